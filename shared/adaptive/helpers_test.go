package adaptive

import (
	"math/rand/v2"
	"testing"
	"time"
)

// epoch is the fixed time the tests learn at.
var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// twoPredictorConfig has one symbolic and one numeric predictor.
func twoPredictorConfig() Config {
	return Config{Predictors: []Predictor{
		{Name: "segment", Kind: Symbolic},
		{Name: "age", Kind: Numeric, Bins: []float64{20, 30, 40, 50, 60}},
	}}
}

// syntheticRow draws a customer whose response rate depends on segment and age.
func syntheticRow(rng *rand.Rand) ([]Value, bool) {
	segment := []string{"gold", "silver", "bronze"}[rng.IntN(3)]
	age := 18 + rng.Float64()*60
	rate := map[string]float64{"gold": 0.3, "silver": 0.15, "bronze": 0.05}[segment]
	if age > 50 {
		rate *= 1.5
	}
	return []Value{Symbol(segment), Number(age)}, rng.Float64() < rate
}

// mustModel returns a new model or stops the test.
func mustModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	m, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// train learns n synthetic responses, one second apart, and returns the deltas it applied.
func train(m *Model, rng *rand.Rand, n int) []Delta {
	deltas := make([]Delta, 0, n)
	for i := range n {
		x, y := syntheticRow(rng)
		d := m.Update(x, y, epoch.Add(time.Duration(i)*time.Second))
		m.Apply(d)
		deltas = append(deltas, d)
	}
	return deltas
}
