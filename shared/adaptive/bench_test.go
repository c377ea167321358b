package adaptive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// wideConfig returns a config of n predictors, alternately symbolic (5 symbols) and numeric
// (19 edges), and 1000 customers to score.
func wideConfig(n int) (Config, [][]Value) {
	var cfg Config
	edges := make([]float64, 19)
	for i := range edges {
		edges[i] = float64(i+1) * 5
	}
	for i := range n {
		p := Predictor{Name: fmt.Sprintf("p%d", i), Kind: Symbolic}
		if i%2 == 1 {
			p = Predictor{Name: fmt.Sprintf("p%d", i), Kind: Numeric, Bins: edges}
		}
		cfg.Predictors = append(cfg.Predictors, p)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	xs := make([][]Value, 1000)
	for j := range xs {
		x := make([]Value, n)
		for i, p := range cfg.Predictors {
			if p.Kind == Numeric {
				x[i] = Number(rng.Float64() * 100)
			} else {
				x[i] = Symbol(fmt.Sprintf("s%d", rng.IntN(5)))
			}
		}
		xs[j] = x
	}
	return cfg, xs
}

// trainWide learns from the customers with outcomes to which every predictor contributes a
// little, so that numeric predictors keep several bin groups as in a real model.
func trainWide(m *Model, xs [][]Value) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 20 {
		for _, x := range xs {
			logOdds := -3.0
			for _, v := range x {
				if v.Symbol == "s0" {
					logOdds += 0.4
				}
				logOdds += 0.008 * v.Number
			}
			m.Apply(m.Update(x, rng.Float64() < 1/(1+math.Exp(-logOdds+6)), epoch))
		}
	}
}

// BenchmarkScore scores one customer with a 30-predictor model: the decide path runs it for
// every eligible action (200 actions take 200 times this).
func BenchmarkScore(b *testing.B) {
	cfg, xs := wideConfig(30)
	m, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	trainWide(m, xs)
	s := m.Snapshot(epoch)
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	for i := range b.N {
		sink += s.Score(xs[i%len(xs)]).Propensity
	}
	_ = sink
}

// BenchmarkUpdate computes the delta of one response of a 30-predictor model.
func BenchmarkUpdate(b *testing.B) {
	cfg, xs := wideConfig(30)
	m, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	trainWide(m, xs)
	m.Snapshot(epoch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		_ = m.Update(xs[i%len(xs)], i%10 == 0, epoch)
	}
}

// BenchmarkScore200Actions scores one customer against 200 distinct 30-predictor models, the
// decide path's per-request model work (target: well under 250 µs in total).
func BenchmarkScore200Actions(b *testing.B) {
	cfg, xs := wideConfig(30)
	trained, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	trainWide(trained, xs)
	snapshots := make([]*Snapshot, 200)
	for i := range snapshots {
		m, err := New(cfg, trained.State())
		if err != nil {
			b.Fatal(err)
		}
		snapshots[i] = m.Snapshot(epoch)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	for i := range b.N {
		x := xs[i%len(xs)]
		for _, s := range snapshots {
			sink += s.Score(x).Propensity
		}
	}
	_ = sink
}
