package adaptive

import (
	"math"
	"testing"
)

func TestGroupAUC(t *testing.T) {
	byRate := func(c counts) float64 { return c.pos / c.n() }
	tests := []struct {
		name   string
		groups []counts
		want   float64
	}{
		{"perfect separation", []counts{{pos: 0, neg: 10}, {pos: 5, neg: 0}}, 1},
		{"no information", []counts{{pos: 2, neg: 8}, {pos: 2, neg: 8}}, 0.5},
		// Ranked ascending: A (1/4 rate 0.2) then B (3/1 rate 0.75). Pairs: positives of B beat
		// the 4 negatives of A: 3*4 = 12; ties inside A: 0.5*1*4 = 2; inside B: 0.5*3*1 = 1.5.
		// Total (12+2+1.5) / (4*5) = 0.775.
		{"known table", []counts{{pos: 3, neg: 1}, {pos: 1, neg: 4}}, 0.775},
		{"no positives", []counts{{pos: 0, neg: 3}}, 0.5},
		{"empty groups ignored", []counts{{}, {pos: 0, neg: 10}, {}, {pos: 5, neg: 0}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupAUC(tt.groups, byRate); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("groupAUC(%v) = %v, want %v", tt.groups, got, tt.want)
			}
		})
	}
}

func TestUselessPredictorIsInactivated(t *testing.T) {
	cfg := Config{Predictors: []Predictor{
		{Name: "useful", Kind: Symbolic},
		{Name: "noise", Kind: Symbolic},
	}}
	m := mustModel(t, cfg)
	// "useful" decides the outcome; "noise" cycles independently of it.
	for i := range 1000 {
		useful := []string{"a", "b"}[i%2]
		noise := []string{"x", "y", "z"}[i/2%3]
		positive := useful == "a" && i%4 == 0
		m.Apply(m.Update([]Value{Symbol(useful), Symbol(noise)}, positive, epoch))
	}
	want := map[string]bool{"useful": true, "noise": false}
	for _, st := range m.Snapshot(epoch).Predictors() {
		if st.Active != want[st.Name] {
			t.Errorf("predictor %s: Active = %v (AUC %.3f), want %v", st.Name, st.Active, st.AUC, want[st.Name])
		}
	}
	expl := m.Snapshot(epoch).Explain([]Value{Symbol("a"), Symbol("x")}, nil)
	if len(expl) != 1 || expl[0].Predictor != "useful" {
		t.Errorf("Explain = %+v, want only the useful predictor", expl)
	}
}

func TestPredictorNotInactivatedWithoutEvidence(t *testing.T) {
	m := mustModel(t, Config{Predictors: []Predictor{{Name: "noise", Kind: Symbolic}}})
	for i := range 50 {
		m.Apply(m.Update([]Value{Symbol("x")}, i%5 == 0, epoch))
	}
	if st := m.Snapshot(epoch).Predictors()[0]; !st.Active {
		t.Errorf("predictor with %v responses: Active = false, want true until %v responses", st.Evidence, DefaultMinEvidenceToInactivate)
	}
}

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
			got := AUC(tt.scores, tt.labels)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("AUC(%v, %v) = %v, want %v", tt.scores, tt.labels, got, tt.want)
			}
		})
	}
}

func TestCalibration(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float64
		labels  []bool
		groups  int
		want    []CalibrationGroup
		wantECE float64
	}{
		{name: "none", groups: 10},
		{
			name:   "two groups, both calibrated",
			scores: []float64{0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75},
			labels: []bool{true, false, false, false, true, true, true, false},
			groups: 2,
			want:   []CalibrationGroup{{Responses: 4, Positives: 1, Predicted: 0.25, Observed: 0.25}, {Responses: 4, Positives: 3, Predicted: 0.75, Observed: 0.75}},
		},
		{
			name:    "a tie is never split",
			scores:  []float64{0.1, 0.5, 0.5, 0.5},
			labels:  []bool{false, true, false, false},
			groups:  4,
			want:    []CalibrationGroup{{Responses: 1, Predicted: 0.1}, {Responses: 3, Positives: 1, Predicted: 0.5, Observed: 1.0 / 3}},
			wantECE: (1*0.1 + 3*(0.5-1.0/3)) / 4,
		},
		{
			name:    "overconfident",
			scores:  []float64{0.9, 0.9},
			labels:  []bool{true, false},
			groups:  10,
			want:    []CalibrationGroup{{Responses: 2, Positives: 1, Predicted: 0.9, Observed: 0.5}},
			wantECE: 0.4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ece := Calibration(tt.scores, tt.labels, tt.groups)
			if len(got) != len(tt.want) {
				t.Fatalf("Calibration = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.Responses != w.Responses || g.Positives != w.Positives || math.Abs(g.Predicted-w.Predicted) > 1e-12 || math.Abs(g.Observed-w.Observed) > 1e-12 {
					t.Errorf("group %d = %+v, want %+v", i, g, w)
				}
			}
			if math.Abs(ece-tt.wantECE) > 1e-12 {
				t.Errorf("ECE = %v, want %v", ece, tt.wantECE)
			}
		})
	}
}
