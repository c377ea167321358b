package main

import (
	"math"
	"testing"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// triple is one training row: a symbol, a number and the outcome.
type triple = struct {
	s string
	x float64
	y bool
}

// rows builds examples from triples.
func rows(data []triple) []example {
	out := make([]example, len(data))
	for i, d := range data {
		out[i] = example{group: "g", x: []adaptive.Value{adaptive.Symbol(d.s), adaptive.Number(d.x)}, y: d.y}
	}
	return out
}

var twoColumns = []column{{"s", adaptive.Symbolic}, {"x", adaptive.Numeric}}

func TestFitLogisticSeparable(t *testing.T) {
	// x alone separates the classes: without a penalty the weights would diverge.
	train := rows([]triple{{"a", 1, false}, {"b", 2, false}, {"a", 3, false}, {"b", 4, true}, {"a", 5, true}, {"b", 6, true}})
	m, err := fitLogistic(twoColumns, train, 0.1, 1e-4)
	if err != nil {
		t.Fatalf("fitLogistic: %v", err)
	}
	buf := make([]float64, m.enc.width)
	scores := make([]float64, len(train))
	labels := make([]bool, len(train))
	for i, r := range train {
		scores[i], labels[i] = m.score(r.x, buf), r.y
	}
	if got := adaptive.AUC(scores, labels); got != 1 {
		t.Errorf("training AUC = %v, want 1 on separable data", got)
	}
}

func TestFitLogisticMatchesRates(t *testing.T) {
	// Symbol a responds 1 in 4, b 3 in 4, x is constant: with a tiny penalty the fit reproduces
	// the two rates.
	var data []triple
	for i := range 400 {
		s := []string{"a", "b"}[i%2]
		y := s == "a" && i%8 == 0 || s == "b" && i%8 != 1
		data = append(data, triple{s, 7, y})
	}
	m, err := fitLogistic(twoColumns, rows(data), 1e-6, 1e-6)
	if err != nil {
		t.Fatalf("fitLogistic: %v", err)
	}
	buf := make([]float64, m.enc.width)
	for _, c := range []struct {
		s    string
		want float64
	}{{"a", 0.25}, {"b", 0.75}} {
		x := []adaptive.Value{adaptive.Symbol(c.s), adaptive.Number(7)}
		if got := sigmoid(m.score(x, buf)); math.Abs(got-c.want) > 1e-3 {
			t.Errorf("score(%v) = %v, want %v", x, got, c.want)
		}
	}
}

func TestFitLogisticWithoutPositives(t *testing.T) {
	train := rows([]triple{{"a", 1, false}, {"b", 2, false}, {"a", 3, false}})
	m, err := fitLogistic(twoColumns, train, 1, 1e-4)
	if err != nil {
		t.Fatalf("fitLogistic: %v", err)
	}
	if p := sigmoid(m.score(train[0].x, make([]float64, m.enc.width))); p > 0.01 {
		t.Errorf("propensity with no positive in training = %v, want below 0.01", p)
	}
}
