package decision_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

// learner applies attributions the way the DynamoDB store does: counters kept as
// impressions and successes, read back with adaptive.StateFromImpressions.
type learner struct {
	counters map[decision.ModelKey]map[adaptive.Key]int64
}

func (l *learner) apply(a decision.Attribution) {
	if l.counters[a.Model] == nil {
		l.counters[a.Model] = map[adaptive.Key]int64{}
	}
	for _, inc := range a.Learn {
		l.counters[a.Model][inc.Key] += inc.N
	}
}

func (l *learner) models(at time.Time) *decision.Models {
	states := map[decision.ModelKey]*adaptive.State{}
	for k, c := range l.counters {
		states[k] = adaptive.StateFromImpressions(c)
	}
	return decision.NewModels(states, at)
}

// TestModelsLearnFromResponses runs the whole learning loop in the core: decide,
// log, respond (long-tenure customers click fibre-upgrade often, others rarely),
// attribute, learn, decide again. The model must learn the tenure effect, explain it,
// and rank customers by it.
func TestModelsLearnFromResponses(t *testing.T) {
	c := loadTestCatalog(t)
	rng := rand.New(rand.NewPCG(1, 2))
	l := &learner{counters: map[decision.ModelKey]map[adaptive.Key]int64{}}
	models := l.models(testNow)
	customer := func(tenure float64) decision.Profile {
		p := loyalCustomer()
		p.Attributes = map[string]any{"tenureMonths": tenure, "productsHeld": []any{"mobile"}}
		return p
	}
	for i := range 4000 {
		now := testNow.Add(time.Duration(i) * time.Minute)
		tenure := float64(rng.IntN(96))
		d, err := c.Decide(decision.Input{
			Request: decision.Request{CustomerID: "C1", Channel: "sms"}, Profile: customer(tenure),
			Models: models, Now: now, DecisionID: fmt.Sprintf("d%d", i),
		})
		if err != nil || len(d.Actions) != 1 || d.Actions[0].ActionID != "fibre-upgrade" {
			t.Fatalf("Decide #%d = %+v, %v; want fibre-upgrade by sms", i, d.Actions, err)
		}
		logged := c.Log(d)
		respond := func(outcome string) {
			r := decision.Response{DecisionID: d.DecisionID, CustomerID: "C1", ActionID: "fibre-upgrade", Channel: "sms", Outcome: outcome}
			if err := decision.ValidateResponse(&r, now); err != nil {
				t.Fatal(err)
			}
			a, err := c.Attribute(logged, r, models)
			if err != nil {
				t.Fatal(err)
			}
			l.apply(a)
		}
		respond("impression")
		rate := 0.02
		if tenure >= 48 {
			rate = 0.25
		}
		if rng.Float64() < rate {
			respond("click")
		}
		if i%250 == 249 {
			models = l.models(now) // a function's periodic refresh
		}
	}
	score := func(tenure float64) decision.Offer {
		d, _ := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "sms"}, Profile: customer(tenure), Models: models, Now: testNow.Add(100 * time.Hour), DecisionID: "probe"})
		return d.Actions[0]
	}
	veteran, newcomer := score(70), score(5)
	if veteran.Propensity < 0.15 || newcomer.Propensity > 0.06 {
		t.Errorf("learned propensities: tenure 70 → %.3f, tenure 5 → %.3f; want about 0.25 and 0.02", veteran.Propensity, newcomer.Propensity)
	}
	if veteran.Evidence < 4000 {
		t.Errorf("evidence = %v, want every one of the 4000 impressions", veteran.Evidence)
	}
	if len(veteran.TopPredictors) == 0 || veteran.TopPredictors[0].Predictor != "tenure" || veteran.TopPredictors[0].LogOdds <= 0 {
		t.Errorf("veteran's top predictors = %+v, want tenure first, raising the propensity", veteran.TopPredictors)
	}
	if len(newcomer.TopPredictors) == 0 || newcomer.TopPredictors[0].Predictor != "tenure" || newcomer.TopPredictors[0].LogOdds >= 0 {
		t.Errorf("newcomer's top predictors = %+v, want tenure first, lowering the propensity", newcomer.TopPredictors)
	}
}

func TestExplorationTriesActionsWithLittleEvidence(t *testing.T) {
	c := catalogWith(t, "", "    predictors:\n", "    explore: true\n    predictors:\n")
	// fibre-upgrade (value 180 with its lever) is well known at 2%; loyalty-bonus
	// (value 40) is new. Exploitation alone would never show loyalty-bonus.
	models := modelsWith(map[decision.ModelKey]counts{{ActionID: "fibre-upgrade", Channel: "web"}: {impressions: 50000, positives: 1000}})
	explored := 0
	for i := range 2000 {
		d, err := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "web"}, Profile: loyalCustomer(),
			Models: models, Now: testNow, DecisionID: fmt.Sprintf("d%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Actions[0].ActionID == "loyalty-bonus" {
			explored++
		}
	}
	if explored == 0 || explored > 1000 {
		t.Errorf("loyalty-bonus won %d of 2000 explored decisions, want some but not most", explored)
	}
	again, _ := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "web"}, Profile: loyalCustomer(), Models: models, Now: testNow, DecisionID: "d7"})
	first, _ := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "web"}, Profile: loyalCustomer(), Models: models, Now: testNow, DecisionID: "d7"})
	if again.Actions[0].ActionID != first.Actions[0].ActionID || again.Actions[0].Priority != first.Actions[0].Priority {
		t.Errorf("the same decision id explored differently: %+v then %+v", first.Actions[0], again.Actions[0])
	}
}

// TestResponsesAreCalibratedAtTheDecisionsScore checks that an impression and its
// click land in the same calibration bin although the models learned in between:
// both use the score logged with the decision.
func TestResponsesAreCalibratedAtTheDecisionsScore(t *testing.T) {
	c := loadTestCatalog(t)
	p := loyalCustomer()
	d, err := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "sms"}, Profile: p, Now: testNow, DecisionID: "d1"})
	if err != nil || len(d.Actions) == 0 {
		t.Fatalf("Decide = %+v, %v", d, err)
	}
	logged := c.Log(d)
	calibrationBin := func(a decision.Attribution) string {
		for _, inc := range a.Learn {
			if inc.Key.Predictor == "~cal" {
				return inc.Key.Bin
			}
		}
		t.Fatalf("attribution %+v has no calibration counter", a)
		return ""
	}
	attribute := func(outcome string, models *decision.Models) decision.Attribution {
		r := decision.Response{DecisionID: "d1", CustomerID: "C1", ActionID: d.Actions[0].ActionID, Channel: "sms", Outcome: outcome}
		if err := decision.ValidateResponse(&r, testNow); err != nil {
			t.Fatal(err)
		}
		a, err := c.Attribute(logged, r, models)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	impression := attribute("impression", nil)
	// Meanwhile the model learned that long-tenure customers click a lot.
	l := &learner{counters: map[decision.ModelKey]map[adaptive.Key]int64{}}
	cfg, _ := c.ModelConfig(d.Actions[0].ActionID)
	m, _ := adaptive.New(cfg, nil)
	for i := range 2000 {
		veteran := i%2 == 0 // the test customer's tenure (36) clicks 90%, newcomers 5%
		x, positive := []adaptive.Value{adaptive.Number(36)}, i%10 != 0
		if !veteran {
			x, positive = []adaptive.Value{adaptive.Number(5)}, i%20 == 1
		}
		l.apply(decision.Attribution{Model: decision.ModelKey{ActionID: d.Actions[0].ActionID, Channel: "sms"},
			Learn: m.Update(x, positive, testNow)})
	}
	click := attribute("click", l.models(testNow))
	if calibrationBin(impression) != calibrationBin(click) {
		t.Errorf("impression counted in calibration bin %s, its click in %s; want the decision's bin for both", calibrationBin(impression), calibrationBin(click))
	}
}

// TestContextValuesCannotGrowAModel: a caller who sends a new device string with every
// request, some of them a kilobyte long (the request's limit), grows the model by at most the catalog's bound
// (default 100 values) and a shared "other" bin.
func TestContextValuesCannotGrowAModel(t *testing.T) {
	c := loadTestCatalog(t)
	l := &learner{counters: map[decision.ModelKey]map[adaptive.Key]int64{}}
	models := l.models(testNow)
	huge := strings.Repeat("Mozilla/5.0 ", 80) // 960 bytes
	for i := range 600 {
		device := fmt.Sprintf("device-%d", i)
		if i%3 == 0 {
			device = huge + device
		}
		d, err := c.Decide(decision.Input{
			Request: decision.Request{CustomerID: "C1", Channel: "sms", Context: map[string]any{"device": device}},
			Profile: loyalCustomer(), Models: models, Now: testNow, DecisionID: fmt.Sprintf("d%d", i),
		})
		if err != nil || len(d.Actions) == 0 {
			t.Fatalf("Decide #%d = %+v, %v", i, d.Actions, err)
		}
		outcomes := []string{"impression"}
		if i%3 == 1 {
			outcomes = append(outcomes, "click") // keeps the offer above the silence threshold
		}
		for _, outcome := range outcomes {
			r := decision.Response{DecisionID: d.DecisionID, CustomerID: "C1", ActionID: d.Actions[0].ActionID, Channel: "sms", Outcome: outcome}
			if err := decision.ValidateResponse(&r, testNow); err != nil {
				t.Fatal(err)
			}
			a, err := c.Attribute(c.Log(d), r, models)
			if err != nil {
				t.Fatal(err)
			}
			l.apply(a)
		}
		if i%50 == 49 {
			models = l.models(testNow) // a function's periodic refresh
		}
	}
	for key, counters := range l.counters {
		bins, longest := map[string]bool{}, 0
		for k := range counters {
			longest = max(longest, len(k.String()))
			if strings.HasSuffix(k.Predictor, "device") {
				bins[k.Bin] = true
			}
		}
		t.Logf("%v: %d device bins, longest counter name %d bytes", key, len(bins), longest)
		// The bound, plus what writers admit between two refreshes (here 50 responses).
		if len(bins) > 100+1+50 || !bins[adaptive.OtherSymbol] {
			t.Errorf("%v: %d device bins; want at most the bound, its refresh slack and %q", key, len(bins), adaptive.OtherSymbol)
		}
		if longest > 200 {
			t.Errorf("%v: a counter name of %d bytes; want long values pooled", key, longest)
		}
	}
}
