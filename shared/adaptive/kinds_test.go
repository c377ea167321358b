package adaptive

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestModelKindConformance holds every kind to the package's guarantees: it learns a
// known rate, ranks and explains by predictor, explores while evidence is thin, and
// concurrent writers' deltas merge exactly, in memory and in a store's two-step
// (impression, then success) form alike. A new kind registered in kinds runs here.
func TestModelKindConformance(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			cfg := twoPredictorConfig()
			cfg.Kind = kind
			t.Run("learns known rates", func(t *testing.T) {
				// The rate depends on the segment alone, so every kind can express it.
				rates := map[string]float64{"gold": 0.30, "silver": 0.15, "bronze": 0.05}
				m := mustModel(t, cfg)
				rng := rand.New(rand.NewPCG(1, 2))
				for i := range 6000 {
					segment := []string{"gold", "silver", "bronze"}[rng.IntN(3)]
					x := []Value{Symbol(segment), Number(18 + rng.Float64()*60)}
					m.Apply(m.Update(x, rng.Float64() < rates[segment], epoch.Add(time.Duration(i)*time.Second)))
				}
				s := m.Snapshot(epoch)
				for segment, want := range rates {
					got := s.Score([]Value{Symbol(segment), Number(40)}).Propensity
					if math.Abs(got-want) > 0.03 {
						t.Errorf("propensity of %s = %.3f, want %.2f ± 0.03", segment, got, want)
					}
				}
			})
			t.Run("explains by predictor", func(t *testing.T) {
				m := mustModel(t, cfg)
				train(m, rand.New(rand.NewPCG(3, 4)), 4000)
				s := m.Snapshot(epoch)
				gold := s.Explain([]Value{Symbol("gold"), Number(70)}, nil)
				bronze := s.Explain([]Value{Symbol("bronze"), Number(30)}, nil)
				segment := func(cs []Contribution) Contribution {
					i := slices.IndexFunc(cs, func(c Contribution) bool { return c.Predictor == "segment" })
					if i < 0 {
						t.Fatalf("no segment in the explanation %+v", cs)
					}
					return cs[i]
				}
				if g, b := segment(gold), segment(bronze); g.LogOdds <= b.LogOdds || g.Evidence == 0 {
					t.Errorf("segment explains gold by %+v and bronze by %+v; want gold higher, with evidence", g, b)
				}
			})
			t.Run("explores while evidence is thin", func(t *testing.T) {
				spread := func(n int) float64 {
					m := mustModel(t, cfg)
					train(m, rand.New(rand.NewPCG(5, 6)), n)
					sc := m.Snapshot(epoch).Score([]Value{Symbol("silver"), Number(30)})
					rng := rand.New(rand.NewPCG(7, 8))
					var lo, hi = 1.0, 0.0
					for range 200 {
						d := sc.Sample(rng)
						lo, hi = min(lo, d), max(hi, d)
					}
					return hi - lo
				}
				if thin, thick := spread(10), spread(5000); thin < 3*thick {
					t.Errorf("draws spread %.3f with 10 responses and %.3f with 5000; want a much wider spread when thin", thin, thick)
				}
			})
			t.Run("concurrent writers merge exactly", func(t *testing.T) {
				m := mustModel(t, cfg)
				train(m, rand.New(rand.NewPCG(9, 10)), 500)
				// Eight writers each compute deltas against the same snapshot, as warm
				// functions do between two refreshes, in the store's two-step form.
				s := m.Snapshot(epoch)
				rng := rand.New(rand.NewPCG(11, 12))
				var deltas []Delta
				for range 8 * 50 {
					x, y := syntheticRow(rng)
					c := s.Score(x).Contribution
					deltas = append(deltas, s.ObserveScored(x, false, epoch, c))
					if y {
						deltas = append(deltas, s.ObserveScored(x, true, epoch, c))
					}
				}
				apply := func(order []int) *State {
					st := NewState()
					st.Merge(m.State())
					for _, i := range order {
						st.Apply(deltas[i])
					}
					return st
				}
				forward := make([]int, len(deltas))
				for i := range forward {
					forward[i] = i
				}
				shuffled := slices.Clone(forward)
				rand.New(rand.NewPCG(13, 14)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				// Two shards written by different writers, summed on read.
				shardA, shardB := NewState(), NewState()
				shardA.Merge(m.State())
				for k, i := range shuffled {
					if k%2 == 0 {
						shardA.Apply(deltas[i])
					} else {
						shardB.Apply(deltas[i])
					}
				}
				shardA.Merge(shardB)
				a, b := apply(forward), apply(shuffled)
				if !a.Equal(b) || !a.Equal(shardA) {
					t.Fatal("the same deltas applied in another order or over shards gave another state")
				}
				x := []Value{Symbol("gold"), Number(55)}
				sa, err := New(cfg, a)
				if err != nil {
					t.Fatal(err)
				}
				sb, _ := New(cfg, shardA)
				if pa, pb := sa.Snapshot(epoch).Score(x), sb.Snapshot(epoch).Score(x); pa != pb {
					t.Errorf("scores differ: %+v against %+v", pa, pb)
				}
			})
			t.Run("a store's two steps learn as the labelled examples do", func(t *testing.T) {
				inMemory, stored := mustModel(t, cfg), map[Key]int64{}
				rng := rand.New(rand.NewPCG(15, 16))
				for i := range 3000 {
					at := epoch.Add(time.Duration(i) * time.Second)
					x, y := syntheticRow(rng)
					inMemory.Apply(inMemory.Update(x, y, at))
					s := mustSnapshotOf(t, cfg, stored, at)
					c := s.Score(x).Contribution
					steps := []bool{false}
					if y {
						steps = append(steps, true)
					}
					for _, positive := range steps {
						for _, inc := range s.ObserveScored(x, positive, at, c) {
							stored[inc.Key] += inc.N
						}
					}
				}
				end := epoch.Add(time.Hour)
				a := inMemory.Snapshot(end)
				b := mustSnapshotOf(t, cfg, stored, end)
				for _, seg := range []string{"gold", "silver", "bronze"} {
					x := []Value{Symbol(seg), Number(40)}
					if pa, pb := a.Score(x).Propensity, b.Score(x).Propensity; math.Abs(pa-pb) > 0.02 {
						t.Errorf("%s: %.4f learned in memory, %.4f in two steps; want within 0.02", seg, pa, pb)
					}
				}
			})
		})
	}
}

func mustSnapshotOf(t *testing.T, cfg Config, counters map[Key]int64, at time.Time) *Snapshot {
	t.Helper()
	m, err := New(cfg, StateFromImpressions(counters))
	if err != nil {
		t.Fatal(err)
	}
	return m.Snapshot(at)
}

// TestSymbolsAreBounded: a caller who sends a new value every time (a device string,
// a session id) cannot grow a model beyond its bound, whatever the kind; a value
// counted before the bound was reached keeps its own bin.
func TestSymbolsAreBounded(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			cfg := Config{Kind: kind, Predictors: []Predictor{{Name: "device", Kind: Symbolic, MaxSymbols: 5}}}
			m := mustModel(t, cfg)
			rng := rand.New(rand.NewPCG(17, 18))
			long := string(make([]byte, MaxSymbolBytes+1))
			for i := range 2000 {
				device := fmt.Sprintf("device-%d", i) // a new value every time
				switch {
				case i%10 == 0:
					device = "phone" // counted from the start: keeps its own bin
				case i%10 == 1:
					device = long
				}
				m.Apply(m.Update([]Value{Symbol(device)}, rng.Float64() < 0.1, epoch))
			}
			bins := map[string]bool{}
			m.State().Each(func(k Key, _ int64) {
				if k.Predictor == "device" || k.Predictor == zPrefix+"device" {
					bins[k.Bin] = true
				}
			})
			if len(bins) > 6 || !bins[OtherSymbol] || !bins["phone"] || bins[long] {
				t.Errorf("device bins %v: want at most 5 symbols and %q, phone among them, the long value pooled", slices.Sorted(maps.Keys(bins)), OtherSymbol)
			}
			// An unknown value scores as the values beyond the bound do.
			s := m.Snapshot(epoch)
			if a, b := s.Score([]Value{Symbol("never-seen")}), s.Score([]Value{Symbol("device-1999")}); a.Propensity != b.Propensity {
				t.Errorf("unknown %v against pooled %v", a.Propensity, b.Propensity)
			}
		})
	}
}

// TestIncrementsPerResponse pins what one response costs a store, per kind, for a
// profile like Hillstrom's (6 symbolic predictors, 2 numeric): the figures the README
// gives.
func TestIncrementsPerResponse(t *testing.T) {
	preds := []Predictor{{Name: "recency", Kind: Numeric, Bins: []float64{1, 3, 6}}, {Name: "history", Kind: Numeric, Bins: []float64{100, 500}}}
	x := []Value{Number(2), Number(250)}
	for _, name := range []string{"segment", "mens", "womens", "zip", "newbie", "channel"} {
		preds = append(preds, Predictor{Name: name, Kind: Symbolic})
		x = append(x, Symbol("a"))
	}
	for kind, want := range map[ModelKind][2]int{NaiveBayes: {10, 10}, Logistic: {32, 33}} {
		m := mustModel(t, Config{Kind: kind, Predictors: preds})
		if negative, positive := len(m.Update(x, false, epoch)), len(m.Update(x, true, epoch)); negative != want[0] || positive != want[1] {
			t.Errorf("%s: %d increments per negative response and %d per positive, want %v", kind, negative, positive, want)
		}
	}
}

// A model that switches to the logistic kind with naive Bayes counts and no regression
// yet scores as naive Bayes did, rather than as an untrained regression.
func TestSwitchingToLogisticStartsFromNaiveBayes(t *testing.T) {
	nb := mustModel(t, twoPredictorConfig())
	train(nb, rand.New(rand.NewPCG(21, 22)), 3000)
	cfg := twoPredictorConfig()
	cfg.Kind = Logistic
	switched, err := New(cfg, nb.State())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range [][]Value{{Symbol("gold"), Number(70)}, {Symbol("bronze"), Number(25)}} {
		if a, b := nb.Snapshot(epoch).Score(x).Propensity, switched.Snapshot(epoch).Score(x).Propensity; math.Abs(a-b) > 1e-12 {
			t.Errorf("%v: naive Bayes %.4f, switched %.4f", x, a, b)
		}
	}
}
