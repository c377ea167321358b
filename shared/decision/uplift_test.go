package decision_test

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

func upliftCatalog(t *testing.T, edit func(string) string) (*decision.Catalog, error) {
	t.Helper()
	data, err := os.ReadFile("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return decision.ParseCatalog("catalog.yaml", []byte(edit(string(data))))
}

// TestUpliftArbitration: ranked by uplift, the loyal customer's e-mail offer
// (loyalty-bonus, value 40, learned at 30% from 1,000 sends) is worth (propensity −
// baseline) × 40. With a baseline at its prior (2%), it is offered and says so; with a
// baseline learned at 90% (customers do it anyway), the e-mail would change nothing and
// the engine stays silent. By propensity, the baseline plays no part.
func TestUpliftArbitration(t *testing.T) {
	byUplift, err := upliftCatalog(t, func(s string) string {
		return strings.Replace(s, "silenceThreshold: 0.05", "arbitration: uplift\n  silenceThreshold: 0.05", 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	byPropensity := loadTestCatalog(t)
	offer := decision.ModelKey{ActionID: "loyalty-bonus", Channel: "email"}
	learned := modelsWith(map[decision.ModelKey]counts{offer: {1000, 300}})
	anyway := modelsWith(map[decision.ModelKey]counts{offer: {1000, 300}, byUplift.BaselineKey("email"): {1000, 900}})
	tests := []struct {
		name        string
		catalog     *decision.Catalog
		models      *decision.Models
		wantOffer   bool
		wantUplift  bool
		minBaseline float64
	}{
		{"by uplift, baseline at its prior", byUplift, learned, true, true, 0.01},
		{"by uplift, customers do it anyway", byUplift, anyway, false, true, 0},
		{"by propensity", byPropensity, anyway, true, false, 0},
	}
	for _, tt := range tests {
		d, err := tt.catalog.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "email", Explain: true},
			Profile: loyalCustomer(), Models: tt.models, Now: testNow, DecisionID: "d-uplift"})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !tt.wantOffer {
			if len(d.Actions) != 0 || d.Silence == nil || d.Silence.Reason != decision.SilenceBelowThreshold {
				t.Errorf("%s: %+v, want silence below the threshold", tt.name, d)
			}
			continue
		}
		if len(d.Actions) != 1 || d.Actions[0].ActionID != "loyalty-bonus" {
			t.Fatalf("%s: actions %v, want loyalty-bonus", tt.name, actionIDs(d))
		}
		o := d.Actions[0]
		reasons := strings.Join(o.Reasons, " | ")
		if tt.wantUplift {
			want := (o.Propensity - o.Baseline) * o.Value * o.Lever * o.ContextWeight
			if o.Baseline < tt.minBaseline || math.Abs(o.Priority-want) > 1e-9 || !strings.Contains(reasons, "ranked by uplift") {
				t.Errorf("%s: priority %v with baseline %v, want (propensity %v − baseline) × 40 = %v, explained: %s", tt.name, o.Priority, o.Baseline, o.Propensity, want, reasons)
			}
		} else if o.Baseline != 0 || strings.Contains(reasons, "uplift") {
			t.Errorf("%s: baseline %v, reasons %s; want the propensity alone", tt.name, o.Baseline, reasons)
		}
	}
}

func TestUpliftSettingsChecked(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown mode", "silenceThreshold: 0.05", "arbitration: incremental\n  silenceThreshold: 0.05", `"incremental" is neither "propensity" nor "uplift"`},
		{"reserved action id", "id: loyalty-points\n", "id: ~without-action\n", "reserved for the baseline models"},
	}
	for _, tt := range tests {
		_, err := upliftCatalog(t, func(s string) string { return strings.Replace(s, tt.old, tt.new, 1) })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestObserveWithout: a decision that sent nothing teaches the channel's baseline
// model an impression, and a positive outcome a success.
func TestObserveWithout(t *testing.T) {
	c := loadTestCatalog(t)
	d, err := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "email"}, Profile: loyalCustomer(), Now: testNow, DecisionID: "d-without"})
	if err != nil {
		t.Fatal(err)
	}
	for _, positive := range []bool{false, true} {
		key, delta := c.ObserveWithout(c.Log(d), positive, testNow, nil)
		if key != c.BaselineKey("email") || len(delta) == 0 {
			t.Fatalf("ObserveWithout(%v) = %v, %v; want the e-mail baseline's counters", positive, key, delta)
		}
		for _, inc := range delta {
			if !inc.Key.IsSum() && inc.Key.Positive != positive {
				t.Errorf("ObserveWithout(%v) counts %+v", positive, inc)
			}
		}
	}
}
