package decision_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

// TestChallengerArms runs a challenger that raises the silence threshold on 30% of the
// customers in scope (those holding mobile): arms are stable per customer and hold
// their share, the challenger's settings apply to its customers only, and the control
// groups are the champion's in both arms.
func TestChallengerArms(t *testing.T) {
	c := catalogWith(t, `  controlGroups: {randomShare: 0.05, silenceShare: 0.05, salt: s1}
  challenger:
    name: pickier
    share: 0.3
    salt: pilot-1
    scope: '"mobile" in (profile.productsHeld ?? [])'
    settings: {silenceThreshold: 1000}
`)
	c.Version = "7"
	counts := map[string]int{}
	const customers = 20000
	for i := range customers {
		p := loyalCustomer()
		p.CustomerID = fmt.Sprintf("C%d", i)
		req := decision.Request{CustomerID: p.CustomerID, Channel: "web", Limit: 1}
		d := decide(t, c, req, p, testNow)
		if again := decide(t, c, decision.Request{CustomerID: p.CustomerID, Channel: "sms"}, p, testNow); again.Arm != d.Arm {
			t.Fatalf("customer %s in arm %q on web and %q on sms, want one arm", p.CustomerID, d.Arm, again.Arm)
		}
		if d.ControlGroup != "" {
			counts["control"]++
			continue // the control groups' answers are checked in TestControlGroups
		}
		counts[d.Arm]++
		switch d.Arm {
		case decision.ArmChallenger:
			if d.Silence == nil || d.Silence.Reason != decision.SilenceBelowThreshold || d.CatalogVersion != "7+pickier" {
				t.Fatalf("challenger decision = %+v (version %s), want silence below its threshold of 1000, version 7+pickier", d.Silence, d.CatalogVersion)
			}
		case decision.ArmChampion:
			if len(d.Actions) != 1 || d.CatalogVersion != "7" {
				t.Fatalf("champion decision = %v (version %s), want an offer from version 7", actionIDs(d), d.CatalogVersion)
			}
		default:
			t.Fatalf("decision for an in-scope customer has arm %q", d.Arm)
		}
	}
	inArms := float64(counts[decision.ArmChampion] + counts[decision.ArmChallenger])
	if share := float64(counts[decision.ArmChallenger]) / inArms; share < 0.285 || share > 0.315 {
		t.Errorf("the challenger holds %.3f of the customers in arms, want 0.30 ± 0.015", share)
	}
	if share := float64(counts["control"]) / customers; share < 0.085 || share > 0.115 {
		t.Errorf("control groups hold %.3f of customers whatever the arm, want 0.10 ± 0.015", share)
	}

	outOfScope := loyalCustomer()
	outOfScope.CustomerID = "fibre-only"
	outOfScope.Attributes["productsHeld"] = []any{"fibre"}
	if d := decide(t, c, decision.Request{CustomerID: outOfScope.CustomerID, Channel: "web"}, outOfScope, testNow); d.Arm != "" || d.CatalogVersion != "7" {
		t.Errorf("out-of-scope decision arm %q version %s, want no arm and the champion", d.Arm, d.CatalogVersion)
	}
}

func TestChallengerFromAPublishedVersion(t *testing.T) {
	c := catalogWith(t, "  challenger: {name: v9, share: 0.5, salt: s, version: \"9\"}\n")
	c.Version = "8"
	v9 := catalogWith(t, "  silenceThreshold: 1000\n", "  silenceThreshold: 0.05\n", "")
	v9.Version = "9"
	arms := map[string]string{}
	for i := range 400 {
		p := loyalCustomer()
		p.CustomerID = fmt.Sprintf("V%d", i)
		d, err := c.Decide(decision.Input{Request: decision.Request{CustomerID: p.CustomerID, Channel: "web"}, Profile: p, Now: testNow,
			DecisionID: "d", Challenger: v9})
		if err != nil {
			t.Fatal(err)
		}
		arms[d.Arm] = d.CatalogVersion
		// Without the version loaded, the champion decides, in no arm.
		alone := decide(t, c, decision.Request{CustomerID: p.CustomerID, Channel: "web"}, p, testNow)
		if alone.Arm != "" || alone.CatalogVersion != "8" {
			t.Fatalf("decision without the challenger's version = arm %q version %s, want the champion in no arm", alone.Arm, alone.CatalogVersion)
		}
	}
	if arms[decision.ArmChallenger] != "9" || arms[decision.ArmChampion] != "8" {
		t.Errorf("arms decided with versions %v, want the challenger by 9 and the champion by 8", arms)
	}
}

func TestChallengerIsChecked(t *testing.T) {
	tests := []struct {
		settings, wantErr string
	}{
		{"  challenger: {name: x, share: 0.2, salt: s}\n", "give either settings to replace or a catalog version"},
		{"  challenger: {name: x, share: 0.2, salt: s, version: \"3\", settings: {maxLimit: 2}}\n", "not both"},
		{"  challenger: {name: x, share: 1.5, salt: s, version: \"3\"}\n", "share must be between 0 and 1"},
		{"  challenger: {name: x, share: 0.2, salt: s, settings: {controlGroups: {randomShare: 0.5}}}\n", "controlGroups cannot change for the challenger"},
		{"  challenger: {name: x, share: 0.2, salt: s, scope: 'profile.nope >', version: \"3\"}\n", "scope:"},
		{"  challenger: {name: x, share: 0.2, salt: s, settings: {prior: {rate: 2, strength: 10}}}\n", "(challenger x): settings.prior: rate must be in (0,1)"},
	}
	for _, tt := range tests {
		data := strings.Replace(validCatalog, "issues:", "settings:\n"+tt.settings+"issues:", 1)
		_, err := decision.ParseCatalog("c.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("challenger %q: ParseCatalog error = %v, want %q", tt.settings, err, tt.wantErr)
		}
	}
}

// TestEngineChoiceIsLoggedForEveryGroup checks that the log says what the engine's
// ranking chose, also for customers held out, by the same rule: a lift report compares
// customers the engine would have contacted in every group.
func TestEngineChoiceIsLoggedForEveryGroup(t *testing.T) {
	c := catalogWith(t, "  controlGroups: {randomShare: 0.2, silenceShare: 0.2, salt: s1}\n")
	seen := map[string]bool{}
	for i := range 300 {
		p := loyalCustomer()
		p.CustomerID = fmt.Sprintf("E%d", i)
		d := decide(t, c, decision.Request{CustomerID: p.CustomerID, Channel: "web", Limit: 1}, p, testNow)
		l := c.Log(d)
		if strings.Join(l.EngineChoice, ",") != "fibre-upgrade" || l.EngineChannel != "web" {
			t.Fatalf("group %q logged engine choice %v on %q, want fibre-upgrade on web, the best action", d.ControlGroup, l.EngineChoice, l.EngineChannel)
		}
		seen[d.ControlGroup] = true
		plan, err := c.PlanOutbound(p, decision.Resources{}, testNow, "p")
		if err != nil {
			t.Fatal(err)
		}
		if pl := c.Log(plan); d.ControlGroup == decision.ControlSilence && (len(pl.EngineChoice) == 0 || pl.EngineChannel == "") {
			t.Fatalf("a planned silence-group decision logged engine choice %v on %q, want the engine's best outbound offer", pl.EngineChoice, pl.EngineChannel)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("groups seen %v, want the engine's and both control groups", seen)
	}
	high := catalogWith(t, "  silenceThreshold: 1000\n  controlGroups: {randomShare: 0.5, silenceShare: 0, salt: s1}\n", "  silenceThreshold: 0.05\n", "")
	for i := range 50 {
		p := loyalCustomer()
		p.CustomerID = fmt.Sprintf("H%d", i)
		d := decide(t, high, decision.Request{CustomerID: p.CustomerID, Channel: "web"}, p, testNow)
		if l := high.Log(d); len(l.EngineChoice) != 0 {
			t.Fatalf("group %q logged engine choice %v although the engine would say nothing", d.ControlGroup, l.EngineChoice)
		}
	}
}
