package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUC(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{1, 1, 1, 1}, []bool{false, true, false, true}, 0.5},
		// Positives 0.8 and 0.4, negatives 0.5 and 0.4: 0.8 beats both negatives (2 pairs),
		// 0.4 loses to 0.5 and ties 0.4 (one half): 2.5 of 4 pairs.
		{"one tie", []float64{0.8, 0.4, 0.5, 0.4}, []bool{true, true, false, false}, 0.625},
		{"no positives", []float64{1, 2}, []bool{false, false}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := auc(tt.scores, tt.labels)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("auc(%v, %v) = %v, want %v", tt.scores, tt.labels, got, tt.want)
			}
		})
	}
}

func TestPairedBootstrap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2000
	labels := make([]bool, n)
	good, noise := make([]float64, n), make([]float64, n)
	for i := range labels {
		labels[i] = rng.Float64() < 0.3
		good[i] = rng.NormFloat64()
		if labels[i] {
			good[i]++
		}
		noise[i] = rng.NormFloat64()
	}
	a, b, d := pairedBootstrap(good, noise, labels, 300, rand.New(rand.NewPCG(3, 4)))
	for _, c := range []struct {
		name string
		iv   interval
	}{{"good", a}, {"noise", b}, {"difference", d}} {
		if !(c.iv.lo <= c.iv.value && c.iv.value <= c.iv.hi) {
			t.Errorf("%s: interval %+v does not hold its estimate", c.name, c.iv)
		}
	}
	if a.lo < 0.7 || b.hi > 0.56 || d.lo < 0.15 {
		t.Errorf("pairedBootstrap = %+v, %+v, %+v: want good AUC above 0.7, noise below 0.56, difference above 0.15", a, b, d)
	}
	again, _, _ := pairedBootstrap(good, noise, labels, 300, rand.New(rand.NewPCG(3, 4)))
	if again != a {
		t.Errorf("pairedBootstrap with the same seed = %+v, then %+v, want identical", a, again)
	}
}

func TestPercentiles(t *testing.T) {
	xs := make([]float64, 1001)
	for i := range xs {
		xs[i] = float64(1000 - i)
	}
	if lo, hi := percentiles(xs); lo != 25 || hi != 975 {
		t.Errorf("percentiles(0..1000) = %v, %v, want 25, 975", lo, hi)
	}
}
