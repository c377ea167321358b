package adaptive

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestKeyRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		key  Key
		want string
	}{
		{"total", Key{Bucket: 0, Predictor: "*", Positive: true}, "0/*/pos/"},
		{"numeric bin", Key{Bucket: 2920, Predictor: "age", Bin: "3"}, "2920/age/neg/3"},
		{"symbol with separators", Key{Bucket: 1, Predictor: "history_segment", Positive: true, Bin: "2) $100/$200"}, "1/history_segment/pos/2) $100/$200"},
		{"calibration", Key{Bucket: -1, Predictor: "~cal", Bin: "17"}, "-1/~cal/neg/17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.key.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			back, err := ParseKey(tt.want)
			if err != nil {
				t.Fatalf("ParseKey(%q): %v", tt.want, err)
			}
			if back != tt.key {
				t.Errorf("ParseKey(%q) = %+v, want %+v", tt.want, back, tt.key)
			}
		})
	}
}

func TestParseKeyRejectsMalformed(t *testing.T) {
	for _, s := range []string{"", "0/age/pos", "x/age/pos/1", "0/age/maybe/1"} {
		t.Run(s, func(t *testing.T) {
			if _, err := ParseKey(s); err == nil {
				t.Errorf("ParseKey(%q) = nil error, want an error", s)
			}
		})
	}
}

// TestDeltasCommute checks the property a store relies on: applying the same deltas in any
// order, or spread over shards that are summed on read, gives the same state.
func TestDeltasCommute(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := mustModel(t, twoPredictorConfig())
	deltas := train(m, rng, 2000)

	for _, shards := range []int{1, 2, 7, 32} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			shuffled := append([]Delta(nil), deltas...)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			parts := make([]*State, shards)
			for i := range parts {
				parts[i] = NewState()
			}
			for _, d := range shuffled {
				parts[rng.IntN(shards)].Apply(d)
			}
			merged := NewState()
			for _, p := range parts {
				merged.Merge(p)
			}
			if !merged.Equal(m.State()) {
				t.Fatalf("merged shards differ from the sequential state (%d vs %d counters)", merged.Len(), m.State().Len())
			}
			again, err := New(twoPredictorConfig(), merged)
			if err != nil {
				t.Fatal(err)
			}
			x := []Value{Symbol("gold"), Number(55)}
			if got, want := again.Snapshot(epoch).Score(x), m.Snapshot(epoch).Score(x); got != want {
				t.Errorf("Score(%v) = %v, want %v", x, got, want)
			}
		})
	}
}

func TestUpdateDoesNotChangeModel(t *testing.T) {
	m := mustModel(t, twoPredictorConfig())
	d := m.Update([]Value{Symbol("gold"), Number(40)}, true, epoch)
	if m.State().Len() != 0 {
		t.Fatalf("Update changed the state: %d counters, want 0", m.State().Len())
	}
	if got, want := len(d), 4; got != want {
		t.Fatalf("len(Update(...)) = %d, want %d (total, 2 predictors, calibration)", got, want)
	}
	m.Apply(d)
	if got := m.State().Count(Key{Predictor: "segment", Positive: true, Bin: "gold"}); got != 1 {
		t.Errorf("Count(segment gold pos) = %d, want 1", got)
	}
}

func TestStateFromImpressions(t *testing.T) {
	imp := func(pred, bin string) Key { return Key{Predictor: pred, Bin: bin} }
	pos := func(pred, bin string) Key { return Key{Predictor: pred, Positive: true, Bin: bin} }
	tests := []struct {
		name     string
		counters map[Key]int64
		want     map[Key]int64
	}{
		{"impressions become negatives", map[Key]int64{imp("*", ""): 10, pos("*", ""): 3}, map[Key]int64{imp("*", ""): 7, pos("*", ""): 3}},
		{"successes without impressions leave no negatives", map[Key]int64{imp("a", "x"): 1, pos("a", "x"): 2}, map[Key]int64{pos("a", "x"): 2}},
		{"impressions without successes", map[Key]int64{imp("a", "x"): 4}, map[Key]int64{imp("a", "x"): 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StateFromImpressions(tt.counters)
			want := NewState()
			for k, n := range tt.want {
				want.Apply(Delta{{Key: k, N: n}})
			}
			if !got.Equal(want) {
				t.Errorf("StateFromImpressions(%v) = %v, want %v", tt.counters, got.counts, want.counts)
			}
		})
	}
}
