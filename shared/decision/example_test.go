package decision_test

import (
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

func ExampleCatalog_Decide() {
	catalog, err := decision.ParseCatalog("shop.yaml", []byte(`
name: shop
channels:
  - {name: web, content: [title]}
issues:
  - id: growth
    groups:
      - id: fibre
        actions:
          - id: fibre-upgrade
            value: 120
            eligibility: not ("fibre" in (profile.productsHeld ?? []))
            treatments:
              - {id: fibre-web, channel: web, content: {title: "Go fibre, {{firstName|friend}}"}}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := catalog.Decide(decision.Input{
		Request: decision.Request{CustomerID: "C1", Channel: "web"},
		Profile: decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{
			"firstName": "Ada", "productsHeld": []any{"mobile"},
		}},
		Models:     nil, // no responses yet: every action scores its prior
		Now:        time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		DecisionID: "d-1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range d.Actions {
		fmt.Printf("%s %q propensity %.3f priority %.2f\n", a.ActionID, a.Content["title"], a.Propensity, a.Priority)
	}
	// Output:
	// fibre-upgrade "Go fibre, Ada" propensity 0.020 priority 2.40
}
