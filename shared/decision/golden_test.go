package decision_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestExplanationsGolden pins the whole answer, explanations included, of a few
// representative decisions; run `go test ./shared/decision -update` after an
// intended change and review the diff.
func TestExplanationsGolden(t *testing.T) {
	c := loadTestCatalog(t)
	tests := []struct {
		name string
		req  decision.Request
		p    decision.Profile
	}{
		{"web-explain", decision.Request{CustomerID: "C1", Channel: "web", Placement: "home", Limit: 2, Explain: true}, loyalCustomer()},
		{"complaint-explain", decision.Request{CustomerID: "C1", Channel: "web", Limit: 3, Explain: true}, withAttr(loyalCustomer(), "openComplaint", true)},
		{"unknown-customer", decision.Request{CustomerID: "nobody", Channel: "web", Explain: true}, decision.Profile{CustomerID: "nobody"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := c.Decide(decision.Input{Request: tt.req, Profile: tt.p, Now: testNow, DecisionID: "golden"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Decide(%s) =\n%s\nwant (%s)\n%s", tt.name, got, path, want)
			}
		})
	}
}
