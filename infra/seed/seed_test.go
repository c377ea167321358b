package seed

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestProfilesDeterministic(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		n    int
	}{{1, 1}, {42, 100}, {1 << 60, 37}} {
		a, b := Profiles(tc.seed, tc.n, testNow), Profiles(tc.seed, tc.n, testNow)
		if len(a) != tc.n {
			t.Fatalf("len(Profiles(%d, %d)) = %d, want %d", tc.seed, tc.n, len(a), tc.n)
		}
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Fatalf("Profiles(%d, %d)[%d] = %v, want %v (same seed)", tc.seed, tc.n, i, b[i], a[i])
			}
		}
		// A shorter run is a prefix of a longer one.
		longer := Profiles(tc.seed, tc.n+5, testNow)
		for i := range a {
			if !reflect.DeepEqual(a[i], longer[i]) {
				t.Fatalf("Profiles(%d, %d)[%d] = %v, want %v (prefix of Profiles(%d, %d))", tc.seed, tc.n, i, a[i], longer[i], tc.seed, tc.n+5)
			}
		}
	}
	if got := Profiles(1, 0, testNow); len(got) != 0 {
		t.Errorf("Profiles(1, 0) has %d profiles, want 0", len(got))
	}
}

func TestProfilesDifferentSeeds(t *testing.T) {
	a, b := Profiles(1, 50, testNow), Profiles(2, 50, testNow)
	same := 0
	for i := range a {
		if a[i].CustomerID != b[i].CustomerID {
			t.Fatalf("Profiles(2, 50)[%d].CustomerID = %q, want %q", i, b[i].CustomerID, a[i].CustomerID)
		}
		if reflect.DeepEqual(a[i].Attributes, b[i].Attributes) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("Profiles(1, 50) and Profiles(2, 50) share %d identical attribute sets, want 0", same)
	}
}

func TestProfilesShares(t *testing.T) {
	const n = 10_000
	ps := Profiles(7, n, testNow)
	count := func(f func(*decision.Profile) bool) float64 {
		k := 0
		for i := range ps {
			if f(&ps[i]) {
				k++
			}
		}
		return float64(k) / n
	}
	holds := func(product string) func(*decision.Profile) bool {
		return func(p *decision.Profile) bool {
			return slices.Contains(p.Attributes["productsHeld"].([]any), any(product))
		}
	}
	for _, tc := range []struct {
		name      string
		got       float64
		want, tol float64
	}{
		{"email consent", count(func(p *decision.Profile) bool { return p.Consents["email"] }), 0.70, 0.02},
		{"sms consent", count(func(p *decision.Profile) bool { return p.Consents["sms"] }), 0.50, 0.02},
		{"push consent", count(func(p *decision.Profile) bool { return p.Consents["push"] }), 0.40, 0.03},
		{"missing firstName", count(func(p *decision.Profile) bool { _, ok := p.Attributes["firstName"]; return !ok }), 0.05, 0.01},
		{"with history", count(func(p *decision.Profile) bool { return len(p.History) > 0 }), 0.14, 0.02},
		{"open complaint", count(func(p *decision.Profile) bool { return p.Attributes["openComplaint"].(bool) }), 0.06, 0.01},
		{"mobile", count(holds("mobile")), 0.90, 0.02},
		{"fibre", count(holds("fibre")), 0.50, 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > tc.tol {
				t.Errorf("share of %s in Profiles(7, %d) = %.3f, want %.2f ± %.2f", tc.name, n, tc.got, tc.want, tc.tol)
			}
		})
	}
}

func TestProfilesTypes(t *testing.T) {
	idPattern := regexp.MustCompile(`^C\d{6}$`)
	numbers := map[string][2]float64{ // attribute → [min, max]
		"age": {18, 86}, "tenureMonths": {0, 240}, "monthlySpend": {5, 200}, "dataUsageGb": {0, 1000},
		"churnRisk": {0, 1}, "digitalScore": {0, 1}, "lastPurchaseDays": {0, 10_000},
	}
	strs := []string{"segment", "region", "language"}
	for i, p := range Profiles(3, 2000, testNow) {
		if want := CustomerID(i); p.CustomerID != want || !idPattern.MatchString(p.CustomerID) {
			t.Fatalf("Profiles(3, 2000)[%d].CustomerID = %q, want %q", i, p.CustomerID, want)
		}
		if !p.Known || p.TimeZone == "" {
			t.Fatalf("Profiles(3, 2000)[%d] = Known %v TimeZone %q, want known with a time zone", i, p.Known, p.TimeZone)
		}
		for k, r := range numbers {
			v, ok := p.Attributes[k].(float64)
			if !ok || v < r[0] || v > r[1] {
				t.Fatalf("Profiles(3, 2000)[%d].Attributes[%q] = %#v, want a float64 in [%v, %v]", i, k, p.Attributes[k], r[0], r[1])
			}
		}
		for _, k := range strs {
			if v, ok := p.Attributes[k].(string); !ok || v == "" {
				t.Fatalf("Profiles(3, 2000)[%d].Attributes[%q] = %#v, want a non-empty string", i, k, p.Attributes[k])
			}
		}
		if v, present := p.Attributes["firstName"]; present {
			if s, ok := v.(string); !ok || s == "" {
				t.Fatalf("Profiles(3, 2000)[%d].Attributes[firstName] = %#v, want a non-empty string or absent", i, v)
			}
		}
		if _, ok := p.Attributes["openComplaint"].(bool); !ok {
			t.Fatalf("Profiles(3, 2000)[%d].Attributes[openComplaint] = %#v, want a bool", i, p.Attributes["openComplaint"])
		}
		products, ok := p.Attributes["productsHeld"].([]any)
		if !ok || len(products) == 0 {
			t.Fatalf("Profiles(3, 2000)[%d].Attributes[productsHeld] = %#v, want a non-empty []any", i, p.Attributes["productsHeld"])
		}
		for _, x := range products {
			if _, ok := x.(string); !ok {
				t.Fatalf("Profiles(3, 2000)[%d].Attributes[productsHeld] = %#v, want strings only", i, products)
			}
		}
		for _, ch := range []string{"email", "sms", "push"} {
			if _, ok := p.Consents[ch]; !ok {
				t.Fatalf("Profiles(3, 2000)[%d].Consents = %v, want an entry for %s", i, p.Consents, ch)
			}
		}
		for _, e := range p.History {
			if e.At.After(testNow) || e.At.Before(testNow.Add(-10*24*time.Hour)) || !p.Consents[e.Channel] {
				t.Fatalf("Profiles(3, 2000)[%d].History has %+v, want a consented channel within the 10 days before %s", i, e, testNow)
			}
		}
	}
}

func TestProfilesCorrelations(t *testing.T) {
	type acc struct{ sum, n float64 }
	mean := func(a acc) float64 { return a.sum / a.n }
	var digital = map[string]*acc{"youth": {}, "senior": {}}
	var churnShort, churnLong acc
	for _, p := range Profiles(11, 5000, testNow) {
		a := p.Attributes
		if d, ok := digital[a["segment"].(string)]; ok {
			d.sum += a["digitalScore"].(float64)
			d.n++
		}
		switch tenure := a["tenureMonths"].(float64); {
		case tenure < 12:
			churnShort.sum += a["churnRisk"].(float64)
			churnShort.n++
		case tenure >= 60:
			churnLong.sum += a["churnRisk"].(float64)
			churnLong.n++
		}
	}
	if s, y := mean(*digital["senior"]), mean(*digital["youth"]); s >= y-0.2 {
		t.Errorf("mean digitalScore of seniors = %.2f, want well below youth's %.2f", s, y)
	}
	if l, s := mean(churnLong), mean(churnShort); l >= s {
		t.Errorf("mean churnRisk with tenure ≥ 60 months = %.3f, want below %.3f (tenure < 12)", l, s)
	}
}

func TestResponseProbability(t *testing.T) {
	c := demoCatalog(t)
	channels := []string{"web", "app", "callcenter", "store", "email", "sms", "push", "unknown-channel"}
	var ids []string
	for _, issue := range c.Issues {
		for _, g := range issue.Groups {
			for _, a := range g.Actions {
				ids = append(ids, a.ID)
			}
		}
	}
	ids = append(ids, "not-in-the-catalog")
	profiles := append(Profiles(5, 200, testNow), decision.Profile{CustomerID: "anon"})
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			lo, hi := 1.0, 0.0
			for i := range profiles {
				for _, ch := range channels {
					p := ResponseProbability(&profiles[i], id, ch)
					if !(p > 0 && p < 1) {
						t.Fatalf("ResponseProbability(%s, %q, %q) = %v, want in (0,1)", profiles[i].CustomerID, id, ch, p)
					}
					if again := ResponseProbability(&profiles[i], id, ch); again != p {
						t.Fatalf("ResponseProbability(%s, %q, %q) = %v then %v, want the same", profiles[i].CustomerID, id, ch, p, again)
					}
					if ch == "email" {
						lo, hi = min(lo, p), max(hi, p)
					}
				}
			}
			if hi < 2*lo {
				t.Errorf("ResponseProbability(·, %q, email) ranges over [%.4f, %.4f], want it to vary with the customer", id, lo, hi)
			}
		})
	}
	if p := ResponseProbability(nil, "x", "web"); !(p > 0 && p < 1) {
		t.Errorf("ResponseProbability(nil, x, web) = %v, want in (0,1)", p)
	}

	// Hand-written effects point the right way.
	base := map[string]any{"churnRisk": 0.1, "digitalScore": 0.6, "tenureMonths": 36.0, "segment": "family",
		"productsHeld": []any{"mobile"}, "dataUsageGb": 5.0, "openComplaint": false}
	with := func(k string, v any) *decision.Profile {
		attrs := map[string]any{}
		for k, v := range base {
			attrs[k] = v
		}
		attrs[k] = v
		return &decision.Profile{CustomerID: "t", Known: true, Attributes: attrs}
	}
	for _, tc := range []struct {
		action, channel string
		low, high       *decision.Profile
	}{
		{"loyalty-discount-20", "email", with("churnRisk", 0.1), with("churnRisk", 0.8)},
		{"plan-unlimited-upgrade", "sms", with("dataUsageGb", 2.0), with("dataUsageGb", 40.0)},
		{"fibre-upgrade", "web", with("openComplaint", true), with("openComplaint", false)},
		{"app-download", "web", with("digitalScore", 0.1), with("digitalScore", 0.9)},
	} {
		lo, hi := ResponseProbability(tc.low, tc.action, tc.channel), ResponseProbability(tc.high, tc.action, tc.channel)
		if lo >= hi {
			t.Errorf("ResponseProbability(%v, %q, %q) = %.4f, want below %.4f for %v", tc.low.Attributes, tc.action, tc.channel, lo, hi, tc.high.Attributes)
		}
	}
}
