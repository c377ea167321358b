//go:build integration

package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/customers"
	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// importClients loads docs/examples/clients.csv into the world, as `customers import`
// does.
func (w *world) importClients() customers.Counts {
	w.t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "docs/examples/clients.mapping.yaml"))
	if err != nil {
		w.t.Fatal(err)
	}
	mapping, err := customers.ParseMapping(data)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := mapping.Check(w.catalog, "clients.csv"); err != nil {
		w.t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "docs/examples/clients.csv"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	im := &customers.Importer{Catalog: w.catalog, Mapping: mapping, Store: w.Store, Now: w.Now}
	counts, err := im.Run(context.Background(), f)
	if err != nil {
		w.t.Fatal(err)
	}
	return counts
}

// TestBringYourOwnCustomers follows the README's steps through the API: imported
// customers are decided for, a preference centre's consent withdrawal holds from the
// next decision, and purchases no decision caused are recorded once.
func TestBringYourOwnCustomers(t *testing.T) {
	w := newWorld(t, worldOptions{customers: 1})
	if got := w.importClients(); got != (customers.Counts{Read: 1000, Written: 993, Rejected: 7}) {
		t.Fatalf("import = %+v, want 993 of 1000 rows written", got)
	}
	var web decision.Decision
	w.api("/v1/decisions", decision.Request{CustomerID: "CL-00042", Channel: "web", Placement: "account-sidebar", Limit: 3}, &web)
	if !web.KnownCustomer || len(web.Actions) == 0 {
		t.Fatalf("decide(CL-00042, web) = %+v, want actions for a known customer", web)
	}

	// CL-00001 consented to e-mail in the file; the preference centre withdraws it.
	email := decision.Request{CustomerID: "CL-00001", Channel: "email"}
	var before decision.Decision
	w.api("/v1/decisions", email, &before)
	if before.Silence != nil && before.Silence.Reason == decision.SilenceNoConsent {
		t.Fatalf("decide(CL-00001, email) before the withdrawal = %+v, want consent", before.Silence)
	}
	status, body := w.patch("/v1/customers/CL-00001", `{"consents": {"email": false}, "attributes": {"language": "en"}}`)
	if status != 200 || !strings.Contains(body, `"changed":true`) {
		t.Fatalf("PATCH /v1/customers/CL-00001 = %d %s, want the profile changed", status, body)
	}
	var after decision.Decision
	w.api("/v1/decisions", email, &after)
	if after.Silence == nil || after.Silence.Reason != decision.SilenceNoConsent {
		t.Errorf("decide(CL-00001, email) after the withdrawal = %+v, want silence for no consent", after)
	}
	if status, body := w.patch("/v1/customers/CL-00001", `{"consents": {"email": false}}`); status != 200 || !strings.Contains(body, `"changed":false`) {
		t.Errorf("the same PATCH again = %d %s, want nothing changed", status, body)
	}
	if status, body := w.patch("/v1/customers/CL-00001", `{"attributes": {"age": "forty"}}`); status != 400 || !strings.Contains(body, `attribute \"age\": want a number`) {
		t.Errorf("PATCH with a text age = %d %s, want 400 naming the attribute", status, body)
	}

	purchase := `{"customerId": "CL-00042", "type": "purchase", "value": 49.9, "eventId": "till-7-0815", "productId": "fibre-1g"}`
	for i, want := range []string{`"duplicate":false`, `"duplicate":true`} {
		if status, body := w.post("/v1/outcomes", purchase); status != 200 || !strings.Contains(body, want) || !strings.Contains(body, `"positive":true`) {
			t.Errorf("POST /v1/outcomes (%d) = %d %s, want %s", i+1, status, body, want)
		}
	}
	if status, body := w.post("/v1/outcomes", `{"customerId": "CL-00042", "type": "refund"}`); status != 400 || !strings.Contains(body, `unknown type \"refund\"`) {
		t.Errorf("POST /v1/outcomes with an unknown type = %d %s, want 400", status, body)
	}
	data, err := w.Store.CustomerData(context.Background(), "CL-00042")
	if err != nil || len(data.Outcomes) != 1 || *data.Outcomes[0].Value != 49.9 {
		t.Errorf("CL-00042's outcomes = %+v, %v; want the one purchase of 49.9", data.Outcomes, err)
	}
}

// TestErasureAfterAFullLife erases a customer who was decided for in real time and by
// the batch, responded, bought, and changed their profile; then no table holds
// anything of them and the next decision treats them as unknown.
func TestErasureAfterAFullLife(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ctx := context.Background()
	var run service.RunSummary
	w.mustRun(`{"runId":"life-1"}`, &run)
	if _, err := w.DrainQueues(ctx); err != nil {
		t.Fatal(err)
	}
	var customer string
	for _, d := range w.readDeliveries() {
		if strings.HasPrefix(d.MessageID, "life-1-") {
			customer = d.CustomerID
			// A click on the batch's message, with the revenue it brought.
			if status, body := w.post("/v1/responses", decision.Response{DecisionID: d.MessageID, CustomerID: d.CustomerID, ActionID: d.ActionID,
				Channel: d.Channel, Outcome: "convert", Value: ptr(30.0)}); status != 200 {
				t.Fatalf("record the batch message's conversion = %d %s", status, body)
			}
			break
		}
	}
	if customer == "" {
		t.Fatal("the batch delivered nothing")
	}
	for i := range 3 {
		var d decision.Decision
		w.api("/v1/decisions", decision.Request{CustomerID: customer, Channel: "web", Placement: "account-sidebar", Limit: 2}, &d)
		if len(d.Actions) > 0 {
			var rec service.Recorded
			w.api("/v1/responses", decision.Response{DecisionID: d.DecisionID, CustomerID: customer, ActionID: d.Actions[0].ActionID,
				Channel: "web", Outcome: []string{"impression", "click", "reject"}[i]}, &rec)
		}
	}
	if status, body := w.post("/v1/outcomes", fmt.Sprintf(`{"customerId": %q, "type": "purchase", "value": 12}`, customer)); status != 200 {
		t.Fatalf("record an outcome = %d %s", status, body)
	}
	if status, body := w.patch("/v1/customers/"+customer, `{"attributes": {"firstName": "Renée"}}`); status != 200 {
		t.Fatalf("update the profile = %d %s", status, body)
	}
	if left := localtest.ItemsMentioning(t, w.Env, customer); len(left) < 6 {
		t.Fatalf("before the erasure %d items mention %s (%v), want a full life's worth", len(left), customer, left)
	}

	n, err := w.Store.EraseCustomer(ctx, customer)
	if err != nil || n == 0 {
		t.Fatalf("EraseCustomer(%s) = %d, %v", customer, n, err)
	}
	if left := localtest.ItemsMentioning(t, w.Env, customer); len(left) > 0 {
		t.Errorf("after erasing %s, these items still mention them: %v", customer, left)
	}
	var d decision.Decision
	w.api("/v1/decisions", decision.Request{CustomerID: customer, Channel: "web", Placement: "home-hero"}, &d)
	if d.KnownCustomer {
		t.Errorf("decide(%s) after the erasure = known customer, want unknown", customer)
	}
	// The decision just made is the only trace: a customer who comes back is a visitor.
	if left := localtest.ItemsMentioning(t, w.Env, customer); len(left) != 1 || !slices.ContainsFunc(left, func(s string) bool { return strings.Contains(s, "D#") }) {
		t.Errorf("after deciding for the erased customer, items mentioning them = %v, want the new decision only", left)
	}
}

func ptr(f float64) *float64 { return &f }
