package adaptive

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSampleIsDeterministicWithASeed(t *testing.T) {
	sc := Score{Propensity: 0.1, sampleSize: 50}
	draw := func() []float64 {
		rng := rand.New(rand.NewPCG(42, 0))
		out := make([]float64, 5)
		for i := range out {
			out[i] = sc.Sample(rng)
		}
		return out
	}
	a, b := draw(), draw()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("Sample draws %v then %v with the same seed, want identical", a, b)
		}
	}
}

// TestSampleExploresNewAndConvergesOnKnown checks the documented behaviour: the spread of the
// draws shrinks with evidence, and their mean stays on the propensity.
func TestSampleExploresNewAndConvergesOnKnown(t *testing.T) {
	tests := []struct {
		name       string
		sampleSize float64
		minSD      float64
		maxSD      float64
	}{
		{"new action", 10, 0.05, 0.15},
		{"known action", 100000, 0, 0.002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := Score{Propensity: 0.1, sampleSize: tt.sampleSize}
			rng := rand.New(rand.NewPCG(1, 1))
			const n = 20000
			var sum, sumSq float64
			for range n {
				x := sc.Sample(rng)
				sum += x
				sumSq += x * x
			}
			mean := sum / n
			sd := math.Sqrt(sumSq/n - mean*mean)
			if math.Abs(mean-0.1) > 0.005 {
				t.Errorf("mean of Sample = %.4f, want 0.1 ± 0.005", mean)
			}
			if sd < tt.minSD || sd > tt.maxSD {
				t.Errorf("sd of Sample = %.4f, want in [%v, %v]", sd, tt.minSD, tt.maxSD)
			}
		})
	}
}
