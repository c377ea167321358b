package adaptive

import (
	"math"
	"math/rand/v2"
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

// Folding old buckets into a later one leaves every later read as it was.
func TestFoldKeepsReads(t *testing.T) {
	hour := epoch.Truncate(time.Hour)
	for _, m := range []Memory{{Bucket: time.Hour}, {Bucket: time.Hour, HalfLife: 3}} {
		cfg := Config{Predictors: []Predictor{{Name: "segment", Kind: Symbolic}}, Memory: m}
		rng := rand.New(rand.NewPCG(19, 20))
		raw := NewState()
		for b := range 10 {
			at := hour.Add(time.Duration(b) * time.Hour)
			for range 300 {
				// The rate drifts from bucket to bucket, so that a wrong decay shows.
				x, _ := syntheticRow(rng)
				y := rng.Float64() < 0.05+0.04*float64(b)
				raw.Apply(mustModel(t, cfg).Snapshot(at).Observe(x[:1], y, at))
			}
		}
		// A store's compaction: every bucket up to into folded into it, as totals.
		into := m.BucketOf(hour.Add(8 * time.Hour))
		folded := NewState()
		raw.Each(func(k Key, n int64) {
			if k.Bucket <= into {
				factor, ok := m.Fold(k.Bucket, into)
				if !ok {
					t.Fatalf("memory %+v cannot fold bucket %d into %d", m, k.Bucket, into)
				}
				k.Bucket, n = into, int64(math.Round(float64(n)*factor))
			}
			folded.Apply(Delta{{Key: k, N: n}})
		})
		now := hour.Add(12 * time.Hour)
		a, _ := New(cfg, raw)
		b, _ := New(cfg, folded)
		for _, segment := range []string{"gold", "silver", "bronze"} {
			x := []Value{Symbol(segment)}
			if pa, pb := a.Snapshot(now).Score(x).Propensity, b.Snapshot(now).Score(x).Propensity; math.Abs(pa-pb) > 0.002 {
				t.Errorf("memory %+v, %s: %.4f read raw, %.4f folded", m, segment, pa, pb)
			}
		}
	}
	windowed := Memory{Bucket: time.Hour, Window: 4}
	if _, ok := windowed.Fold(1, 2); ok {
		t.Error("a memory with a window folded")
	}
	if !windowed.Expired(1, 5) || windowed.Expired(2, 5) {
		t.Error("Expired disagrees with the window")
	}
}
