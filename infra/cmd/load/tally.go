package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// ModelCounts is what each model counted, keyed by model.
type ModelCounts map[decision.ModelKey]evidence

// countsOf reads every model's impressions and successes. A model's impressions are its
// successes plus its failures (see decision.Attribution.Learn).
func countsOf(models *decision.Models) ModelCounts {
	out := ModelCounts{}
	for _, k := range models.Keys() {
		successes, failures := models.Totals(k)
		out[k] = evidence{impressions: successes + failures, successes: successes}
	}
	return out
}

// Minus is after − before for every model either holds, leaving out the models that
// did not move.
func (after ModelCounts) Minus(before ModelCounts) ModelCounts {
	out := ModelCounts{}
	for k := range keysOf(after, before) {
		d := evidence{impressions: after[k].impressions - before[k].impressions, successes: after[k].successes - before[k].successes}
		if d != (evidence{}) {
			out[k] = d
		}
	}
	return out
}

// Total sums the counts over every model.
func (c ModelCounts) Total() evidence {
	var t evidence
	for _, e := range c {
		t.impressions += e.impressions
		t.successes += e.successes
	}
	return t
}

// add counts one impression or one success for a model.
func (c ModelCounts) add(k decision.ModelKey, impression bool) {
	e := c[k]
	if impression {
		e.impressions++
	} else {
		e.successes++
	}
	c[k] = e
}

// merge adds other's counts.
func (c ModelCounts) merge(other ModelCounts) {
	for k, e := range other {
		sum := c[k]
		sum.impressions += e.impressions
		sum.successes += e.successes
		c[k] = sum
	}
}

// Mismatch is a model whose counters moved otherwise than the answers say they should.
type Mismatch struct {
	Model     decision.ModelKey
	Got, Want evidence
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s/%s: +%d impressions, +%d successes, want +%d, +%d",
		m.Model.ActionID, m.Model.Channel, m.Got.impressions, m.Got.successes, m.Want.impressions, m.Want.successes)
}

// Compare lists, in model order, every model whose delta (got) differs from what was
// expected (want): a lost update, a doubled one, or a model counted that nothing
// asked for.
func Compare(got, want ModelCounts) []Mismatch {
	var out []Mismatch
	for k := range keysOf(got, want) {
		if got[k] != want[k] {
			out = append(out, Mismatch{Model: k, Got: got[k], Want: want[k]})
		}
	}
	slices.SortFunc(out, func(a, b Mismatch) int {
		return cmp.Or(cmp.Compare(a.Model.ActionID, b.Model.ActionID), cmp.Compare(a.Model.Channel, b.Model.Channel))
	})
	return out
}

func keysOf(a, b ModelCounts) map[decision.ModelKey]bool {
	keys := map[decision.ModelKey]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// ResponseTally is what the accepted (200) record-response answers said: which were
// duplicates, which counted for their model, which were recorded without teaching it.
type ResponseTally struct {
	Accepted   int // 200 answers
	Duplicates int // of them, "duplicate": true: nothing changed
	NotCounted int // accepted, not duplicates, and the model did not learn
	// Counted holds, per model, the impressions and successes the answers say the
	// model learned ("counted": true): what the counters must have risen by.
	Counted ModelCounts
}

// Add tallies one 200 answer to a response with outcome for the model it teaches.
func (t *ResponseTally) Add(model decision.ModelKey, outcome string, rec service.Recorded) {
	if t.Counted == nil {
		t.Counted = ModelCounts{}
	}
	t.Accepted++
	switch {
	case rec.Duplicate:
		t.Duplicates++
	case !rec.Counted:
		t.NotCounted++
	case outcome == decision.KindImpression:
		t.Counted.add(model, true)
	case rec.Positive:
		t.Counted.add(model, false)
	default:
		// Counted yet neither an impression nor a success: models learn nothing else, so
		// the exactness check will show the model did not move.
		t.NotCounted++
	}
}

// Merge adds another tally, as each virtual app keeps its own.
func (t *ResponseTally) Merge(o ResponseTally) {
	if t.Counted == nil {
		t.Counted = ModelCounts{}
	}
	t.Accepted += o.Accepted
	t.Duplicates += o.Duplicates
	t.NotCounted += o.NotCounted
	t.Counted.merge(o.Counted)
}

// StatusCounts counts answers by HTTP status; 0 stands for no answer at all (a
// transport error).
type StatusCounts map[int]int

func (s StatusCounts) merge(o StatusCounts) {
	for k, n := range o {
		s[k] += n
	}
}

// Other is how many answers had a status other than want.
func (s StatusCounts) Other(want int) int {
	n := 0
	for k, c := range s {
		if k != want {
			n += c
		}
	}
	return n
}

// String lists the counts in status order: "200 ×1980, 404 ×2, no answer ×1".
func (s StatusCounts) String() string {
	if len(s) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s)) {
		label := fmt.Sprint(k)
		if k == 0 {
			label = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", label, s[k]))
	}
	return strings.Join(parts, ", ")
}

// sendKind is why a response is sent, which fixes what its answer must say.
type sendKind int

const (
	// firstSend is a response sent for the first time.
	firstSend sendKind = iota
	// resend is the same response again (same responseId), as a channel retries.
	resend
)

// expectRecorded is what a 200 answer must say about a response: a resend is a
// duplicate that counts nothing; a first impression counts; another first outcome
// counts only if it is a success (positive) and no success of the decision's action
// counted before (a click then a conversion is one success).
func expectRecorded(kind sendKind, outcome string, positive, successCounted bool) (duplicate, counted bool) {
	switch {
	case kind == resend:
		return true, false
	case outcome == decision.KindImpression:
		return false, true
	default:
		return false, positive && !successCounted
	}
}

// checkExpected compares an answer with expectRecorded.
func checkExpected(kind sendKind, outcome string, positive, successCounted bool, rec service.Recorded) error {
	dup, counted := expectRecorded(kind, outcome, positive, successCounted)
	if rec.Duplicate != dup || rec.Counted != counted {
		return fmt.Errorf("%s (resend %v) answered duplicate=%v counted=%v, want duplicate=%v counted=%v",
			outcome, kind == resend, rec.Duplicate, rec.Counted, dup, counted)
	}
	return nil
}
