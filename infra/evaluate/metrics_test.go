package main

import (
	"math/rand/v2"
	"testing"
)

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
