package main

import (
	"slices"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

var (
	modelA = decision.ModelKey{ActionID: "a", Channel: "web"}
	modelB = decision.ModelKey{ActionID: "b", Channel: "app"}
	modelC = decision.ModelKey{ActionID: "c", Channel: "web"}
)

func TestModelCountsMinus(t *testing.T) {
	tests := []struct {
		name          string
		before, after ModelCounts
		want          ModelCounts
	}{
		{"nothing moved", ModelCounts{modelA: {5, 1}}, ModelCounts{modelA: {5, 1}}, ModelCounts{}},
		{"rose", ModelCounts{modelA: {5, 1}}, ModelCounts{modelA: {8, 2}}, ModelCounts{modelA: {3, 1}}},
		{"a new model", ModelCounts{}, ModelCounts{modelB: {2, 0}}, ModelCounts{modelB: {2, 0}}},
		{"a model gone counts negative", ModelCounts{modelC: {4, 1}}, ModelCounts{}, ModelCounts{modelC: {-4, -1}}},
		{"several", ModelCounts{modelA: {1, 0}, modelB: {1, 1}}, ModelCounts{modelA: {1, 0}, modelB: {3, 2}, modelC: {1, 0}},
			ModelCounts{modelB: {2, 1}, modelC: {1, 0}}},
	}
	for _, tt := range tests {
		got := tt.after.Minus(tt.before)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Minus = %v, want %v", tt.name, got, tt.want)
			continue
		}
		for k, e := range tt.want {
			if got[k] != e {
				t.Errorf("%s: Minus[%v] = %v, want %v", tt.name, k, got[k], e)
			}
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name      string
		got, want ModelCounts
		mismatch  []decision.ModelKey
	}{
		{"exact", ModelCounts{modelA: {3, 1}, modelB: {1, 0}}, ModelCounts{modelA: {3, 1}, modelB: {1, 0}}, nil},
		{"both empty", ModelCounts{}, ModelCounts{}, nil},
		{"a lost impression", ModelCounts{modelA: {2, 1}}, ModelCounts{modelA: {3, 1}}, []decision.ModelKey{modelA}},
		{"a doubled success", ModelCounts{modelA: {3, 2}}, ModelCounts{modelA: {3, 1}}, []decision.ModelKey{modelA}},
		{"a model nothing asked for", ModelCounts{modelA: {3, 1}, modelC: {1, 0}}, ModelCounts{modelA: {3, 1}}, []decision.ModelKey{modelC}},
		{"a model that never moved", ModelCounts{}, ModelCounts{modelB: {1, 0}}, []decision.ModelKey{modelB}},
		{"sorted by action", ModelCounts{modelC: {1, 0}, modelA: {1, 0}}, ModelCounts{}, []decision.ModelKey{modelA, modelC}},
	}
	for _, tt := range tests {
		var keys []decision.ModelKey
		for _, m := range Compare(tt.got, tt.want) {
			keys = append(keys, m.Model)
			if m.Got != tt.got[m.Model] || m.Want != tt.want[m.Model] {
				t.Errorf("%s: mismatch %+v does not carry both figures", tt.name, m)
			}
		}
		if !slices.Equal(keys, tt.mismatch) {
			t.Errorf("%s: Compare found %v, want %v", tt.name, keys, tt.mismatch)
		}
	}
}

func TestResponseTally(t *testing.T) {
	tests := []struct {
		name    string
		outcome string
		rec     service.Recorded
		// what the tally holds afterwards for modelA, and its other counts
		want                   evidence
		duplicates, notCounted int
	}{
		{"impression counted", decision.KindImpression, service.Recorded{Counted: true}, evidence{1, 0}, 0, 0},
		{"click counted", "click", service.Recorded{Counted: true, Positive: true}, evidence{0, 1}, 0, 0},
		{"duplicate impression", decision.KindImpression, service.Recorded{Duplicate: true}, evidence{}, 1, 0},
		{"duplicate click", "click", service.Recorded{Duplicate: true, Positive: true}, evidence{}, 1, 0},
		{"conversion after a counted click", "convert", service.Recorded{Positive: true}, evidence{}, 0, 1},
		{"reject", "reject", service.Recorded{}, evidence{}, 0, 1},
		{"counted but neither impression nor success", "reject", service.Recorded{Counted: true}, evidence{}, 0, 1},
	}
	for _, tt := range tests {
		var tally ResponseTally
		tally.Add(modelA, tt.outcome, tt.rec)
		if tally.Accepted != 1 || tally.Counted[modelA] != tt.want || tally.Duplicates != tt.duplicates || tally.NotCounted != tt.notCounted {
			t.Errorf("%s: tally = %+v, want %v counted, %d duplicates, %d not counted", tt.name, tally, tt.want, tt.duplicates, tt.notCounted)
		}
	}
}

func TestResponseTallyMerge(t *testing.T) {
	var a, b, total ResponseTally
	a.Add(modelA, decision.KindImpression, service.Recorded{Counted: true})
	a.Add(modelA, "click", service.Recorded{Counted: true, Positive: true})
	b.Add(modelA, decision.KindImpression, service.Recorded{Counted: true})
	b.Add(modelB, decision.KindImpression, service.Recorded{Duplicate: true})
	b.Add(modelB, "convert", service.Recorded{Positive: true})
	total.Merge(a)
	total.Merge(b)
	if total.Accepted != 5 || total.Duplicates != 1 || total.NotCounted != 1 {
		t.Errorf("merged tally = %+v, want 5 accepted, 1 duplicate, 1 not counted", total)
	}
	if total.Counted[modelA] != (evidence{2, 1}) || len(total.Counted) != 1 {
		t.Errorf("merged counts = %v, want only %v: {2 1}", total.Counted, modelA)
	}
	if total.Counted.Total() != (evidence{2, 1}) {
		t.Errorf("Total = %v", total.Counted.Total())
	}
}

func TestStatusCounts(t *testing.T) {
	tests := []struct {
		in    StatusCounts
		str   string
		other int
	}{
		{StatusCounts{}, "none", 0},
		{StatusCounts{200: 1980}, "200 ×1980", 0},
		{StatusCounts{404: 2, 200: 10, 0: 1}, "no answer ×1, 200 ×10, 404 ×2", 3},
		{StatusCounts{503: 8}, "503 ×8", 8},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.str {
			t.Errorf("String(%v) = %q, want %q", map[int]int(tt.in), got, tt.str)
		}
		if got := tt.in.Other(200); got != tt.other {
			t.Errorf("Other(%v, 200) = %d, want %d", map[int]int(tt.in), got, tt.other)
		}
	}
}

func TestExpectRecorded(t *testing.T) {
	tests := []struct {
		name                     string
		kind                     sendKind
		outcome                  string
		positive, successCounted bool
		dup, counted             bool
	}{
		{"first impression", firstSend, decision.KindImpression, false, false, false, true},
		{"impression after a click", firstSend, decision.KindImpression, false, true, false, true},
		{"first click", firstSend, "click", true, false, false, true},
		{"conversion after a counted click", firstSend, "convert", true, true, false, false},
		{"conversion alone", firstSend, "convert", true, false, false, true},
		{"reject", firstSend, "reject", false, false, false, false},
		{"resent impression", resend, decision.KindImpression, false, false, true, false},
		{"resent click", resend, "click", true, true, true, false},
	}
	for _, tt := range tests {
		dup, counted := expectRecorded(tt.kind, tt.outcome, tt.positive, tt.successCounted)
		if dup != tt.dup || counted != tt.counted {
			t.Errorf("%s: expectRecorded = duplicate %v, counted %v; want %v, %v", tt.name, dup, counted, tt.dup, tt.counted)
		}
		answer := service.Recorded{Duplicate: tt.dup, Counted: tt.counted}
		if err := checkExpected(tt.kind, tt.outcome, tt.positive, tt.successCounted, answer); err != nil {
			t.Errorf("%s: checkExpected(the expected answer) = %v", tt.name, err)
		}
		answer.Counted = !answer.Counted
		if err := checkExpected(tt.kind, tt.outcome, tt.positive, tt.successCounted, answer); err == nil {
			t.Errorf("%s: checkExpected(counted flipped) succeeded", tt.name)
		}
	}
}
