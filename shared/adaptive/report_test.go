package adaptive

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// calibrationState builds a state holding only totals and calibration counters: n[b] is
// {positives, negatives} in calibration bin b.
func calibrationState(n map[int][2]int64) *State {
	s := NewState()
	for b, c := range n {
		for i, positive := range []bool{true, false} {
			s.Apply(Delta{
				{Key: Key{Predictor: totalName, Positive: positive}, N: c[i]},
				{Key: Key{Predictor: calibrationName, Positive: positive, Bin: strconv.Itoa(b)}, N: c[i]},
			})
		}
	}
	return s
}

func TestReportFromCounts(t *testing.T) {
	cfg := Config{Predictors: []Predictor{{Name: "segment", Kind: Symbolic}}}
	tests := []struct {
		name        string
		bins        map[int][2]int64
		wantAUC     float64
		wantGroups  int
		wantSuccess float64
	}{
		{"empty", nil, 0.5, 0, 0},
		// Low bin 10: 1 positive, 9 negatives; high bin 20: 9 positives, 1 negative. Pairs won:
		// 9 high positives × 9 low negatives = 81, ties 0.5×1×9 + 0.5×9×1 = 9; of 10×10.
		{"two bins", map[int][2]int64{10: {1, 9}, 20: {9, 1}}, 0.9, 2, 0.5},
		{"inverted", map[int][2]int64{10: {9, 1}, 20: {1, 9}}, 0.1, 2, 0.5},
		{"one bin is all ties", map[int][2]int64{16: {30, 70}}, 0.5, 1, 0.3},
		{"no positives", map[int][2]int64{3: {0, 50}, 30: {0, 50}}, 0.5, 2, 0},
		// Ten equal bins give ten groups; a bin is never split, so 10 uneven bins where one
		// holds half the responses give that bin one group and the rest their deciles.
		{"ten equal bins", tenBins(func(int) int64 { return 10 }), -1, 10, 0.5},
		{"one heavy bin", tenBins(func(i int) int64 {
			if i == 0 {
				return 90
			}
			return 10
		}), -1, 6, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(cfg, calibrationState(tt.bins))
			if err != nil {
				t.Fatal(err)
			}
			r := m.Snapshot(epoch).Report()
			var wantEvidence, wantPositives float64
			for _, c := range tt.bins {
				wantPositives += float64(c[0])
				wantEvidence += float64(c[0] + c[1])
			}
			if r.Evidence != wantEvidence || r.Positives != wantPositives || math.Abs(r.SuccessRate-tt.wantSuccess) > 1e-12 {
				t.Errorf("Report(%v) = evidence %v, positives %v, success rate %v; want %v, %v, %v",
					tt.bins, r.Evidence, r.Positives, r.SuccessRate, wantEvidence, wantPositives, tt.wantSuccess)
			}
			if tt.wantAUC >= 0 && math.Abs(r.AUC-tt.wantAUC) > 1e-12 {
				t.Errorf("Report(%v).AUC = %v, want %v", tt.bins, r.AUC, tt.wantAUC)
			}
			if len(r.Calibration) != tt.wantGroups {
				t.Errorf("Report(%v).Calibration = %+v, want %d groups", tt.bins, r.Calibration, tt.wantGroups)
			}
			var responses, positives float64
			for _, g := range r.Calibration {
				responses += g.Responses
				positives += g.Positives
				if g.Observed != g.Positives/g.Responses || g.Predicted <= 0 || g.Predicted >= 1 {
					t.Errorf("Report(%v): calibration group %+v, want observed = positives/responses and a predicted rate in (0, 1)", tt.bins, g)
				}
			}
			if responses != wantEvidence || positives != wantPositives {
				t.Errorf("Report(%v): calibration groups hold %v responses, %v positives; want all %v and %v", tt.bins, responses, positives, wantEvidence, wantPositives)
			}
			if len(r.Predictors) != 1 || r.BaseRate <= 0 {
				t.Errorf("Report(%v) = predictors %+v, base rate %v; want the one predictor and a positive base rate", tt.bins, r.Predictors, r.BaseRate)
			}
		})
	}
}

// tenBins spreads responses over ten consecutive calibration bins, half of them positive.
func tenBins(n func(int) int64) map[int][2]int64 {
	bins := map[int][2]int64{}
	for i := range 10 {
		bins[12+i] = [2]int64{n(i) / 2, n(i) - n(i)/2}
	}
	return bins
}

// TestReportAUCOfLearnedModels trains models online and compares the report's binned AUC
// with the AUC of the exact scores the model gave each response before learning from it.
func TestReportAUCOfLearnedModels(t *testing.T) {
	cfg := Config{Predictors: []Predictor{{Name: "segment", Kind: Symbolic}, {Name: "age", Kind: Numeric, Bins: []float64{20, 30, 40, 50, 60}}}}
	tests := []struct {
		name   string
		rate   func(segment string, age float64) float64
		lo, hi float64
	}{
		{"separating", func(segment string, age float64) float64 {
			if segment == "gold" && age > 40 {
				return 0.5
			}
			return 0.03
		}, 0.7, 1},
		{"random", func(string, float64) float64 { return 0.1 }, 0.45, 0.55},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustModel(t, cfg)
			rng := rand.New(rand.NewPCG(3, 4))
			var scores []float64
			var labels []bool
			for range 5000 {
				segment := []string{"gold", "silver", "bronze"}[rng.IntN(3)]
				age := 18 + rng.Float64()*60
				x := []Value{Symbol(segment), Number(age)}
				y := rng.Float64() < tt.rate(segment, age)
				// The calibration counters bin the raw score relative to the base log-odds.
				snap := m.Snapshot(epoch)
				scores = append(scores, snap.Score(x).RawLogOdds-snap.baseLogOdds)
				labels = append(labels, y)
				m.Apply(m.Update(x, y, epoch))
			}
			r := m.Snapshot(epoch).Report()
			if r.AUC < tt.lo || r.AUC > tt.hi {
				t.Errorf("Report().AUC = %.3f, want in [%v, %v]", r.AUC, tt.lo, tt.hi)
			}
			if exact := exactAUC(scores, labels); math.Abs(r.AUC-exact) > 0.02 {
				t.Errorf("Report().AUC = %.4f, want within 0.02 of the exact test-then-train AUC %.4f", r.AUC, exact)
			}
			if r.Evidence != 5000 {
				t.Errorf("Report().Evidence = %v, want 5000", r.Evidence)
			}
			// The curve is fitted on these counts, so the table's rates agree on the whole.
			for _, g := range r.Calibration {
				if math.Abs(g.Predicted-g.Observed) > 0.1 {
					t.Errorf("calibration group %+v: predicted and observed differ by more than 0.1", g)
				}
			}
		})
	}
}

// exactAUC ranks every pair of scores, ties counting one half.
func exactAUC(scores []float64, labels []bool) float64 {
	var wins, pairs float64
	for i := range scores {
		if !labels[i] {
			continue
		}
		for j := range scores {
			if labels[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				wins++
			case scores[i] == scores[j]:
				wins += 0.5
			}
		}
	}
	return wins / pairs
}
