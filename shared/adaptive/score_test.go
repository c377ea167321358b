package adaptive

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestEmptyModelScoresThePrior(t *testing.T) {
	m := mustModel(t, twoPredictorConfig())
	x := []Value{Symbol("gold"), Number(30)}
	got := m.Snapshot(epoch).Score(x)
	if math.Abs(got.Propensity-DefaultPriorRate) > 1e-12 || got.Evidence != 0 {
		t.Errorf("Score(%v) = %+v, want propensity %v and no evidence", x, got, DefaultPriorRate)
	}
}

func TestScoreLearnsRatesAndCalibrates(t *testing.T) {
	m := mustModel(t, twoPredictorConfig())
	train(m, rand.New(rand.NewPCG(3, 4)), 20000)
	s := m.Snapshot(epoch)
	tests := []struct {
		x    []Value
		want float64 // true response rate of syntheticRow
	}{
		{[]Value{Symbol("gold"), Number(30)}, 0.30},
		{[]Value{Symbol("gold"), Number(70)}, 0.45},
		{[]Value{Symbol("silver"), Number(30)}, 0.15},
		{[]Value{Symbol("bronze"), Number(25)}, 0.05},
		{[]Value{Symbol("bronze"), Number(65)}, 0.075},
	}
	for _, tt := range tests {
		if got := s.Score(tt.x); math.Abs(got.Propensity-tt.want) > 0.04 {
			t.Errorf("Score(%v) = %+v, want propensity %.3f ± 0.04", tt.x, got, tt.want)
		}
	}
}

func TestCalibrationKeepsRanking(t *testing.T) {
	m := mustModel(t, twoPredictorConfig())
	rng := rand.New(rand.NewPCG(5, 6))
	train(m, rng, 5000)
	s := m.Snapshot(epoch)
	for range 1000 {
		a, _ := syntheticRow(rng)
		b, _ := syntheticRow(rng)
		sa, sb := s.Score(a), s.Score(b)
		if (sa.RawLogOdds < sb.RawLogOdds) != (sa.LogOdds < sb.LogOdds) && sa.RawLogOdds != sb.RawLogOdds {
			t.Fatalf("Score(%v) = %+v and Score(%v) = %+v: calibration changed their order", a, sa, b, sb)
		}
	}
}

func TestExplainSortsByMagnitude(t *testing.T) {
	m := mustModel(t, twoPredictorConfig())
	train(m, rand.New(rand.NewPCG(7, 8)), 5000)
	x := []Value{Symbol("bronze"), Number(45)}
	got := m.Snapshot(epoch).Explain(x, nil)
	if len(got) != 2 {
		t.Fatalf("Explain(%v) = %+v, want 2 contributions", x, got)
	}
	if got[0].Predictor != "segment" || got[0].LogOdds >= 0 {
		t.Errorf("Explain(%v)[0] = %+v, want a negative segment contribution first", x, got[0])
	}
	if math.Abs(got[0].LogOdds) < math.Abs(got[1].LogOdds) {
		t.Errorf("Explain(%v) = %+v, want sorted by |LogOdds|", x, got)
	}
}

func TestMissingAndUnseenValues(t *testing.T) {
	m := mustModel(t, twoPredictorConfig())
	train(m, rand.New(rand.NewPCG(9, 10)), 2000)
	s := m.Snapshot(epoch)
	for _, x := range [][]Value{
		{Symbol("platinum"), Number(30)}, // unseen symbol: scored as the rare symbols
		{Symbol("gold"), Missing()},      // missing number: its own bin
		{Symbol("gold")},                 // short slice: the rest is missing
		nil,
	} {
		if got := s.Score(x); math.IsNaN(got.Propensity) || got.Propensity <= 0 || got.Propensity >= 1 {
			t.Errorf("Score(%v) = %+v, want a propensity in (0, 1)", x, got)
		}
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	cfg, xs := wideConfig(30)
	m := mustModel(t, cfg)
	trainWide(m, xs)
	s := m.Snapshot(epoch)
	if allocs := testing.AllocsPerRun(100, func() { s.Score(xs[0]) }); allocs != 0 {
		t.Errorf("Score allocates %v times per call, want 0", allocs)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no predictors", Config{}},
		{"bad name", Config{Predictors: []Predictor{{Name: "a/b"}}}},
		{"duplicate", Config{Predictors: []Predictor{{Name: "a"}, {Name: "a"}}}},
		{"unsorted bins", Config{Predictors: []Predictor{{Name: "a", Kind: Numeric, Bins: []float64{2, 1}}}}},
		{"prior rate 1", Config{Predictors: []Predictor{{Name: "a"}}, PriorRate: 1}},
		{"negative strength", Config{Predictors: []Predictor{{Name: "a"}}, BinStrength: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, nil); err == nil {
				t.Errorf("New(%+v) = nil error, want an error", tt.cfg)
			}
		})
	}
}

// TestPreparedValuesScoreAsRawOnes checks that binning values once with Prepare
// changes nothing but the speed: every customer scores the same either way.
func TestPreparedValuesScoreAsRawOnes(t *testing.T) {
	cfg, xs := wideConfig(12)
	m, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		m.Apply(m.Update(xs[i%len(xs)], rng.Float64() < 0.2+0.004*xs[i%len(xs)][1].Number, time.Time{}))
	}
	s := m.Snapshot(time.Time{})
	for i, x := range xs {
		prepared := append([]Value(nil), x...)
		Prepare(cfg.Predictors, prepared)
		if got, want := s.Score(prepared), s.Score(x); got != want {
			t.Fatalf("Score(prepared customer %d) = %+v, want %+v as unprepared", i, got, want)
		}
	}
}
