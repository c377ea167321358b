//go:build integration

package models

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/platform"
)

// TestMain starts DynamoDB Local and the SQS server; each test creates its tables.
func TestMain(m *testing.M) {
	os.Exit(localtest.RunTests(m, "../../.."))
}

// command runs the models command against the environment's tables, its clock an
// hour after the environment's start.
func command(t *testing.T, env *local.Env, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	tables := env.Tables()
	args = append(args, "--endpoint", env.Stack.DynamoDBEndpoint, "--models-table", tables.Models, "--catalog-table", tables.Catalog)
	clock := func(name string) string {
		if name == platform.ClockEnv {
			return localtest.Start(t).Add(time.Hour).Format(time.RFC3339)
		}
		return ""
	}
	if code := run(context.Background(), args, &out, &errOut, clock); code != 0 {
		t.Fatalf("models %v = exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errOut.String())
	}
	return out.String()
}

// TestReportOnRecordedResponses records responses the way decide and record-response
// do, against DynamoDB Local: long-tenure customers click fibre-upgrade by SMS often,
// others rarely; web customers click at a flat rate. The report must count every
// impression and click, and find the tenure-driven model's ranking power.
func TestReportOnRecordedResponses(t *testing.T) {
	ctx := context.Background()
	env := localtest.Storage(t)
	store, start := env.Store, localtest.Start(t)
	src, err := os.ReadFile("../../../shared/decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PublishCatalog(ctx, src, start); err != nil {
		t.Fatal(err)
	}
	catalog, err := store.LoadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	models, err := store.LoadModels(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	// The test's own clock: one decision a second from start.
	now := start
	streams := []struct {
		channel   string
		decisions int
		clickRate func(tenure float64) float64
	}{
		{"sms", 600, func(tenure float64) float64 {
			if tenure >= 36 {
				return 0.35
			}
			return 0.03
		}},
		{"web", 150, func(float64) float64 { return 0.05 }},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	sent := map[string][2]int64{} // impressions and clicks by model name
	for _, s := range streams {
		for i := range s.decisions {
			now = now.Add(time.Second)
			customerID := fmt.Sprintf("%s-%04d", s.channel, i)
			tenure := float64(rng.IntN(96))
			d, err := catalog.Decide(decision.Input{
				Request: decision.Request{CustomerID: customerID, Channel: s.channel},
				Profile: decision.Profile{CustomerID: customerID, Known: true,
					Attributes: map[string]any{"tenureMonths": tenure, "productsHeld": []any{"mobile"}},
					Consents:   map[string]bool{"sms": true}},
				Models: models, Now: now, DecisionID: "d-" + customerID,
			})
			if err != nil || len(d.Actions) != 1 {
				t.Fatalf("Decide(%s) = %+v, %v; want one action", customerID, d, err)
			}
			if err := store.PutDecision(ctx, catalog.Log(d)); err != nil {
				t.Fatal(err)
			}
			respond := func(outcome string) {
				t.Helper()
				r := decision.Response{DecisionID: d.DecisionID, CustomerID: customerID, ActionID: d.Actions[0].ActionID, Channel: s.channel, Outcome: outcome}
				if err := decision.ValidateResponse(&r, now); err != nil {
					t.Fatal(err)
				}
				logged, err := store.GetDecision(ctx, r.DecisionID, now)
				if err != nil {
					t.Fatal(err)
				}
				a, err := catalog.Attribute(logged, r, models)
				if err != nil {
					t.Fatal(err)
				}
				if applied, err := store.RecordResponse(ctx, a, logged.ExpiresAt); err != nil || applied.Duplicate {
					t.Fatalf("RecordResponse(%s) = %+v, %v; want recorded", r.ResponseID, applied, err)
				}
			}
			name := d.Actions[0].ActionID + "/" + s.channel
			n := sent[name]
			respond(decision.KindImpression)
			n[0]++
			if rng.Float64() < s.clickRate(tenure) {
				respond("click")
				n[1]++
			}
			sent[name] = n
			// A function's periodic refresh: the calibration counters then see the
			// scores of a model that has learned.
			if i%100 == 99 {
				if models, err = store.LoadModels(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	table := command(t, env, "report")
	t.Logf("models report:\n%s", table)
	for name, n := range sent {
		if want := fmt.Sprintf("%s  %10d  %10d", name, n[0], n[1]); !strings.Contains(table, want) {
			t.Errorf("report lacks the line %q", want)
		}
	}

	emf := command(t, env, "report", "--emf")
	got := map[string]struct {
		Evidence, Positives float64
		AUC                 *float64
	}{}
	for _, line := range strings.Split(strings.TrimSpace(emf), "\n") {
		var doc struct {
			ActionID            string `json:"ActionId"`
			Channel             string
			Evidence, Positives float64
			AUC                 *float64
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("EMF line %q: %v", line, err)
		}
		got[doc.ActionID+"/"+doc.Channel] = struct {
			Evidence, Positives float64
			AUC                 *float64
		}{doc.Evidence, doc.Positives, doc.AUC}
	}
	if len(got) != len(sent) {
		t.Errorf("report -emf = %d models, want %d:\n%s", len(got), len(sent), emf)
	}
	for name, n := range sent {
		g := got[name]
		if g.Evidence != float64(n[0]) || g.Positives != float64(n[1]) {
			t.Errorf("report -emf: %s evidence %v, positives %v; want the %d impressions and %d clicks sent", name, g.Evidence, g.Positives, n[0], n[1])
		}
	}
	if auc := got["fibre-upgrade/sms"].AUC; auc == nil || *auc <= 0.6 {
		t.Errorf("report -emf: fibre-upgrade/sms AUC %v, want above 0.6 for the tenure-driven model", auc)
	}

	one := command(t, env, "report", "--model", "fibre-upgrade/sms")
	if !strings.Contains(one, "fibre-upgrade/sms: 600 responses") || strings.Contains(one, "/web") {
		t.Errorf("report -model fibre-upgrade/sms =\n%s\nwant only that model", one)
	}

	// Compaction follows the catalog's memory and leaves the report as it was.
	if out := command(t, env, "compact"); !strings.Contains(out, "items read") {
		t.Errorf("compact = %q", out)
	}
	if again := command(t, env, "report", "--model", "fibre-upgrade/sms"); again != one {
		t.Errorf("report after compact =\n%s\nwant it as before:\n%s", again, one)
	}
}
