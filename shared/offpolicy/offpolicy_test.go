package offpolicy_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/offpolicy"
)

// TestHandComputed: two actions, four rounds logged by a policy that took action 0 with
// probability 0.5 and action 1 with 0.5; the evaluated policy always takes action 1.
//
//	round  logged  reward  w = π(logged)/μ  w·r   r̂(0)  r̂(1)  DR term = r̂(1) + w·(r − r̂(logged))
//	  1      0       1         0            0     0.5   0.2   0.2
//	  2      1       1         2            2     0.5   0.2   0.2 + 2·0.8 = 1.8
//	  3      1       0         2            0     0.5   0.2   0.2 − 2·0.2 = −0.2
//	  4      0       0         0            0     0.5   0.2   0.2
//
// IPW = 2/4 = 0.5; SNIPS = 2/(0+2+2+0) = 0.5; DR = 2.0/4 = 0.5. A fifth round, action 1
// rewarded, sets the three apart (second case).
func TestHandComputed(t *testing.T) {
	always1 := []float64{0, 1}
	pred := []float64{0.5, 0.2}
	round := func(logged int, reward float64) offpolicy.Round {
		return offpolicy.Round{Logged: logged, Propensity: 0.5, Reward: reward, Target: always1, Predicted: pred}
	}
	tests := []struct {
		name           string
		rounds         []offpolicy.Round
		ipw, snips, dr float64
	}{
		{"four rounds", []offpolicy.Round{round(0, 1), round(1, 1), round(1, 0), round(0, 0)}, 0.5, 0.5, 0.5},
		// Adding round(1, 1): w·r sum 4 over 5 rounds, weights 6, DR terms 2.0 + 1.8 = 3.8.
		{"five rounds", []offpolicy.Round{round(0, 1), round(1, 1), round(1, 0), round(0, 0), round(1, 1)}, 4.0 / 5, 4.0 / 6, 3.8 / 5},
		// Without a reward model DR is IPW.
		{"no reward model", []offpolicy.Round{{Logged: 1, Propensity: 0.25, Reward: 1, Target: always1}, {Logged: 0, Propensity: 0.75, Reward: 1, Target: always1}},
			4.0 / 2, 1, 4.0 / 2},
	}
	for _, tt := range tests {
		got, err := offpolicy.Evaluate(tt.rounds, offpolicy.Options{Bootstrap: 200, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		want := map[string]float64{offpolicy.IPW: tt.ipw, offpolicy.SNIPS: tt.snips, offpolicy.DR: tt.dr}
		for _, e := range got {
			if math.Abs(e.Value-want[e.Estimator]) > 1e-12 {
				t.Errorf("%s: %s = %v, want %v", tt.name, e.Estimator, e.Value, want[e.Estimator])
			}
			if !(e.CI[0] <= e.Value+1e-12 && e.Value-1e-12 <= e.CI[1]) {
				t.Errorf("%s: %s interval %v does not hold its value %v", tt.name, e.Estimator, e.CI, e.Value)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	ok := offpolicy.Round{Logged: 0, Propensity: 0.5, Target: []float64{1, 0}}
	tests := []struct {
		name string
		edit func(r *offpolicy.Round)
		want string
	}{
		{"zero propensity", func(r *offpolicy.Round) { r.Propensity = 0 }, "logging propensity 0"},
		{"propensity above 1", func(r *offpolicy.Round) { r.Propensity = 1.5 }, "logging propensity 1.5"},
		{"unknown action", func(r *offpolicy.Round) { r.Logged = 2 }, "logged action 2"},
		{"target does not sum to 1", func(r *offpolicy.Round) { r.Target = []float64{0.5, 0.2} }, "sum to 0.7"},
		{"negative target", func(r *offpolicy.Round) { r.Target = []float64{1.5, -0.5} }, "target probability -0.5"},
		{"predictions misaligned", func(r *offpolicy.Round) { r.Predicted = []float64{1} }, "1 predictions for 2 actions"},
		{"infinite reward", func(r *offpolicy.Round) { r.Reward = math.Inf(1) }, "reward +Inf"},
	}
	for _, tt := range tests {
		r := ok
		tt.edit(&r)
		_, err := offpolicy.Evaluate([]offpolicy.Round{ok, r}, offpolicy.Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "round 1") {
			t.Errorf("%s: error = %v, want round 1 and %q", tt.name, err, tt.want)
		}
	}
	if _, err := offpolicy.Evaluate(nil, offpolicy.Options{}); err == nil {
		t.Error("Evaluate(no rounds) succeeded")
	}
}

func TestSeededBootstrapRepeats(t *testing.T) {
	rounds := simulatedLog(rand.New(rand.NewPCG(3, 3)), 500, true)
	a, _ := offpolicy.Evaluate(rounds, offpolicy.Options{Bootstrap: 100, Seed: 9})
	b, _ := offpolicy.Evaluate(rounds, offpolicy.Options{Bootstrap: 100, Seed: 9})
	c, _ := offpolicy.Evaluate(rounds, offpolicy.Options{Bootstrap: 100, Seed: 10})
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different intervals: %v and %v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("another seed, the same intervals: %v", a)
	}
}

// The simulated world: three kinds of customers, equally frequent, and three actions
// (two e-mails and nothing) with known reward probabilities. The log comes from a
// skewed logging policy; the evaluated policy sends each kind its best action.
var (
	truth = [3][3]float64{ // truth[kind][action]
		{0.10, 0.04, 0.02},
		{0.03, 0.12, 0.02},
		{0.05, 0.05, 0.06},
	}
	logging = [3][3]float64{ // logging[kind][action]
		{0.2, 0.5, 0.3},
		{0.6, 0.1, 0.3},
		{0.45, 0.45, 0.1},
	}
	best = [3]int{0, 1, 2}
)

// trueValue is the evaluated policy's mean reward: (0.10 + 0.12 + 0.06) / 3.
const trueValue = (0.10 + 0.12 + 0.06) / 3

// simulatedLog draws n logged rounds. The reward model DR uses is deliberately wrong
// (one rate, 0.05, for everything): DR must stay right through its propensities.
func simulatedLog(rng *rand.Rand, n int, withModel bool) []offpolicy.Round {
	rounds := make([]offpolicy.Round, n)
	for i := range rounds {
		kind := rng.IntN(3)
		logged := draw(rng, logging[kind])
		target := make([]float64, 3)
		target[best[kind]] = 1
		r := offpolicy.Round{Logged: logged, Propensity: logging[kind][logged], Target: target}
		if rng.Float64() < truth[kind][logged] {
			r.Reward = 1
		}
		if withModel {
			r.Predicted = []float64{0.05, 0.05, 0.05}
		}
		rounds[i] = r
	}
	return rounds
}

// draw picks an action with the given probabilities.
func draw(rng *rand.Rand, probabilities [3]float64) int {
	u := rng.Float64()
	for a, p := range probabilities {
		if u < p {
			return a
		}
		u -= p
	}
	return len(probabilities) - 1
}

// TestIntervalsHoldTheTruthAtTheirRate: on 200 seeded logs of 2,000 rounds, each
// estimator's 95% interval holds the evaluated policy's true value in 90-99% of them
// (about 95%, up to the simulation's own noise: ±3 standard errors of a proportion
// over 200 logs), and each estimator is unbiased to within its standard error.
func TestIntervalsHoldTheTruthAtTheirRate(t *testing.T) {
	const logs, n = 200, 2000
	rng := rand.New(rand.NewPCG(42, 7))
	held := map[string]int{}
	sum := map[string]float64{}
	for l := range logs {
		est, err := offpolicy.Evaluate(simulatedLog(rng, n, true), offpolicy.Options{Bootstrap: 200, Seed: uint64(l)})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range est {
			sum[e.Estimator] += e.Value
			if e.CI[0] <= trueValue && trueValue <= e.CI[1] {
				held[e.Estimator]++
			}
		}
	}
	for _, name := range []string{offpolicy.IPW, offpolicy.SNIPS, offpolicy.DR} {
		coverage := float64(held[name]) / logs
		mean := sum[name] / logs
		t.Logf("%s: interval held the truth %.3f in %.1f%% of logs; mean estimate %.4f", name, trueValue, 100*coverage, mean)
		if coverage < 0.90 || coverage > 0.99 {
			t.Errorf("%s: 95%% interval held the truth in %.1f%% of %d logs, want about 95%%", name, 100*coverage, logs)
		}
		if math.Abs(mean-trueValue) > 0.003 {
			t.Errorf("%s: mean estimate %.4f over %d logs, want the true %.4f", name, mean, logs, trueValue)
		}
	}
}

func TestMean(t *testing.T) {
	got, err := offpolicy.Mean([]float64{1, 0, 0, 1, 1, 0, 0, 0}, offpolicy.Options{Bootstrap: 500, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Value != 0.375 || got.CI[0] >= 0.375 || got.CI[1] <= 0.375 || got.CI[0] < 0 || got.CI[1] > 1 {
		t.Errorf("Mean = %+v, want 0.375 inside an interval within [0, 1]", got)
	}
	if _, err := offpolicy.Mean(nil, offpolicy.Options{}); err == nil {
		t.Error("Mean(nothing) succeeded")
	}
}

func ExampleEvaluate() {
	// A randomized e-mail test: each customer got the e-mail (action 1) or nothing
	// (action 0) with probability 1/2. The policy valued e-mails only the customers
	// who visited before (the first two here).
	rounds := []offpolicy.Round{
		{Logged: 1, Propensity: 0.5, Reward: 1, Target: []float64{0, 1}},
		{Logged: 0, Propensity: 0.5, Reward: 0, Target: []float64{0, 1}},
		{Logged: 1, Propensity: 0.5, Reward: 0, Target: []float64{1, 0}},
		{Logged: 0, Propensity: 0.5, Reward: 1, Target: []float64{1, 0}},
	}
	estimates, _ := offpolicy.Evaluate(rounds, offpolicy.Options{Seed: 1})
	for _, e := range estimates {
		fmt.Printf("%s %.2f\n", e.Estimator, e.Value)
	}
	// Output:
	// ipw 1.00
	// snips 1.00
	// dr 1.00
}

// TestDifference: on the simulated logs, the best-action policy earns (0.10 + 0.12 +
// 0.06)/3 and "always action 2" earns (0.02 + 0.02 + 0.06)/3: the paired interval of
// the difference holds the true 0.06 in about 95% of logs.
func TestDifference(t *testing.T) {
	const logs, n = 100, 2000
	rng := rand.New(rand.NewPCG(4, 4))
	held := 0
	for l := range logs {
		best := simulatedLog(rng, n, true)
		always2 := make([]offpolicy.Round, n)
		for i, r := range best {
			r.Target = []float64{0, 0, 1}
			always2[i] = r
		}
		d, err := offpolicy.Difference(best, always2, offpolicy.Options{Bootstrap: 200, Seed: uint64(l)})
		if err != nil {
			t.Fatal(err)
		}
		if d.CI[0] <= 0.06 && 0.06 <= d.CI[1] {
			held++
		}
	}
	if held < 88 || held > 100 {
		t.Errorf("the difference's 95%% interval held the truth in %d of %d logs", held, logs)
	}
	if _, err := offpolicy.Difference(simulatedLog(rng, 3, false), simulatedLog(rng, 2, false), offpolicy.Options{}); err == nil {
		t.Error("Difference of logs of different lengths succeeded")
	}
}
