package adaptive

import (
	"math"
	"testing"
	"time"
)

func TestMemoryWeight(t *testing.T) {
	tests := []struct {
		name        string
		mem         Memory
		bucket, now int64
		want        float64
	}{
		{"no memory limit", Memory{}, 0, 0, 1},
		{"inside window", Memory{Bucket: time.Hour, Window: 3}, 8, 10, 1},
		{"outside window", Memory{Bucket: time.Hour, Window: 3}, 7, 10, 0},
		{"one half-life", Memory{Bucket: time.Hour, HalfLife: 2}, 8, 10, 0.5},
		{"future bucket counts as current", Memory{Bucket: time.Hour, HalfLife: 2}, 11, 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.mem.weight(tt.bucket, tt.now); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("weight(%d, %d) = %v, want %v", tt.bucket, tt.now, got, tt.want)
			}
		})
	}
}

// TestDecayFollowsDrift checks that a model with a memory follows a change of behaviour that a
// model without one averages away.
func TestDecayFollowsDrift(t *testing.T) {
	week := 7 * 24 * time.Hour
	tests := []struct {
		name    string
		mem     Memory
		wantMin float64 // minimum propensity of segment a after the drift
	}{
		{"window of 2 weeks", Memory{Bucket: week, Window: 2}, 0.7},
		{"half-life of 1 week", Memory{Bucket: week, HalfLife: 1}, 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Predictors: []Predictor{{Name: "seg", Kind: Symbolic}}, Memory: tt.mem}
			forgetful, still := mustModel(t, cfg), mustModel(t, Config{Predictors: cfg.Predictors})
			learn := func(at time.Time, rate float64) {
				for i := range 400 {
					positive := float64(i%10) < rate*10
					for _, m := range []*Model{forgetful, still} {
						m.Apply(m.Update([]Value{Symbol("a")}, positive, at))
					}
				}
			}
			for w := range 10 { // Ten weeks at 10%, then two weeks at 90%.
				learn(epoch.Add(time.Duration(w)*week), 0.1)
			}
			for w := 10; w < 12; w++ {
				learn(epoch.Add(time.Duration(w)*week), 0.9)
			}
			now := epoch.Add(11 * week)
			x := []Value{Symbol("a")}
			if got := forgetful.Snapshot(now).Score(x).Propensity; got < tt.wantMin {
				t.Errorf("with memory: Score(%v).Propensity = %.3f, want >= %.2f", x, got, tt.wantMin)
			}
			if got := still.Snapshot(now).Score(x).Propensity; got > 0.4 {
				t.Errorf("without memory: Score(%v).Propensity = %.3f, want <= 0.4 (the long-run average)", x, got)
			}
		})
	}
}
