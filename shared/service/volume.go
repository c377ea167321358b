package service

import (
	"cmp"
	"slices"

	"github.com/nextbest/nextbest/shared/decision"
)

// SilenceVolumeCap is why a customer with a planned send got nothing: a volume
// constraint of the run was already full of customers with a higher priority.
const SilenceVolumeCap = "volume_cap"

// Volume constraints are met in two passes. The first pass plans every customer and
// keeps, per constraint, the ranks of the best Max sends it covers (a VolumeSketch per
// segment, merged across segments); the Max-th best rank is the constraint's cutoff.
// The second pass sends only the plans that rank at or above the cutoff of every
// constraint covering them: the outcomes the first pass kept in memory or, for a
// segment retried alone, its customers planned again with the run's clock and the
// cutoffs kept in the run record (models that learned in between may move a few sends
// across the cutoff). Ranks are totally ordered (ties in priority are broken by
// a hash of the customer id), so a constraint covering no other constraint's sends
// admits exactly min(Max, candidates) sends, however the base is split.
//
// Where constraints overlap (a cap on an action and a cap on its channel), a send must
// rank within every one of them; a customer cut by one constraint leaves a place
// unused in the other, so that one may end under its Max. Caps always hold. A customer
// who is cut gets nothing this run rather than his next-best offer: that offer lost
// his own arbitration, and filling places with runners-up would need a global greedy
// assignment (one more pass over the base per round of fallbacks).
//
// Keeping the best Max ranks, rather than a histogram of priorities, is what makes the
// cap exact: a histogram knows the bucket the cutoff falls in but not which customers
// of that bucket to keep. A sketch costs 16 bytes per unit of Max per segment.

// Rank orders the sends competing for a volume constraint.
type Rank struct {
	Priority float64 `json:"p"`
	// Tie is a hash of the customer id: it decides between equal priorities the same
	// way in every segment and on every re-run.
	Tie uint64 `json:"t"`
}

// RankOf returns the rank of a customer's send.
func RankOf(customerID string, priority float64) Rank {
	// FNV-1a, inlined so that ranking allocates nothing.
	h := uint64(14695981039346656037)
	for i := 0; i < len(customerID); i++ {
		h ^= uint64(customerID[i])
		h *= 1099511628211
	}
	return Rank{Priority: priority, Tie: h}
}

// compareRanks sorts better ranks first: higher priority, then lower tie hash.
func compareRanks(a, b Rank) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	return cmp.Compare(a.Tie, b.Tie)
}

// VolumeSketch is what one pass over part of the base learned about the volume
// constraints, in the catalog's order: how many sends each covers and the best Max
// ranks among them.
type VolumeSketch struct {
	constraints []decision.VolumeConstraint
	candidates  []int
	top         [][]Rank
}

// NewVolumeSketch returns an empty sketch of the constraints.
func NewVolumeSketch(constraints []decision.VolumeConstraint) *VolumeSketch {
	return &VolumeSketch{constraints: constraints, candidates: make([]int, len(constraints)), top: make([][]Rank, len(constraints))}
}

// Add counts a planned send against every constraint that covers it.
func (s *VolumeSketch) Add(actionID, channel string, r Rank) {
	for i, c := range s.constraints {
		if !c.Covers(actionID, channel) {
			continue
		}
		s.candidates[i]++
		if c.Max > 0 {
			s.top[i] = append(s.top[i], r)
			// Trimming only once the list doubles keeps adding amortized O(log Max).
			if len(s.top[i]) >= 2*c.Max {
				s.trim(i)
			}
		}
	}
}

func (s *VolumeSketch) trim(i int) {
	slices.SortFunc(s.top[i], compareRanks)
	s.top[i] = s.top[i][:min(len(s.top[i]), s.constraints[i].Max)]
}

// Merge adds another sketch of the same constraints, from another segment.
func (s *VolumeSketch) Merge(o *VolumeSketch) {
	for i := range s.constraints {
		s.candidates[i] += o.candidates[i]
		s.top[i] = append(s.top[i], o.top[i]...)
		if len(s.top[i]) > s.constraints[i].Max {
			s.trim(i)
		}
	}
}

// Plan turns the merged sketch into the cutoffs of the second pass.
func (s *VolumeSketch) Plan() VolumePlan {
	plan := VolumePlan{}
	for i, c := range s.constraints {
		cut := VolumeCut{Candidates: s.candidates[i]}
		if c.Max > 0 && s.candidates[i] > c.Max {
			s.trim(i)
			last := s.top[i][c.Max-1]
			cut.Cutoff = &last
		}
		plan[c.Name()] = cut
	}
	return plan
}

// VolumePlan holds each constraint's first-pass result, by constraint name. It is
// kept in the run record so a segment retried later cuts at the same place.
type VolumePlan map[string]VolumeCut

// VolumeCut is one constraint's first-pass result.
type VolumeCut struct {
	// Candidates is how many planned sends the constraint covered before any cut.
	Candidates int `json:"candidates"`
	// Cutoff is the worst rank admitted, nil when every candidate fits.
	Cutoff *Rank `json:"cutoff,omitempty"`
	// Quotas is how many of each segment's sends made the cut. A segment planned again
	// (a retry, a fanned-out run's second pass) may see models that learned since the
	// first pass, and so different priorities; it never sends more than its quota, so
	// the cap holds even then.
	Quotas map[int]int `json:"quotas,omitempty"`
}

// planVolume merges the first pass's sketches, by segment, into the cutoffs and each
// segment's quotas.
func planVolume(constraints []decision.VolumeConstraint, segments map[int]SketchData) VolumePlan {
	merged := NewVolumeSketch(constraints)
	for _, d := range segments {
		merged.MergeData(d)
	}
	plan := merged.Plan()
	for name, cut := range plan {
		if cut.Cutoff == nil {
			continue
		}
		cut.Quotas = map[int]int{}
		for seg, d := range segments {
			for _, r := range d.Top[name] {
				if compareRanks(r, *cut.Cutoff) <= 0 {
					cut.Quotas[seg]++
				}
			}
		}
		plan[name] = cut
	}
	return plan
}

// Admit reports whether a send planned by a segment fits every constraint covering
// it, by rank and within the segment's quota, and when it does not, the first
// constraint that cut it. used counts the segment's sends admitted so far, by
// constraint; Admit adds the send to it. Constraints the plan does not know (the
// catalog changed since the first pass) cut nothing.
func (p VolumePlan) Admit(constraints []decision.VolumeConstraint, seg int, used map[string]int, actionID, channel string, r Rank) (ok bool, cutBy string) {
	for _, c := range constraints {
		if !c.Covers(actionID, channel) {
			continue
		}
		cut := p[c.Name()]
		if cut.Cutoff != nil && (compareRanks(r, *cut.Cutoff) > 0 || used[c.Name()] >= cut.Quotas[seg]) {
			return false, c.Name()
		}
	}
	for _, c := range constraints {
		if c.Covers(actionID, channel) {
			used[c.Name()]++
		}
	}
	return true, ""
}

// VolumeUse reports how a run used one volume constraint.
type VolumeUse struct {
	Max int `json:"max,omitempty"`
	Min int `json:"min,omitempty"`
	// Candidates is how many sends the constraint covered before the cut.
	Candidates int `json:"candidates"`
	Sent       int `json:"sent"`
	// BelowMin is true when fewer than Min sends went out: not enough customers had
	// this offer as their best one. The batch does not force it (see
	// decision.VolumeConstraint).
	BelowMin bool `json:"belowMin,omitempty"`
}

// hasVolumeCaps tells whether any constraint needs the first pass.
func hasVolumeCaps(constraints []decision.VolumeConstraint) bool {
	return slices.ContainsFunc(constraints, func(c decision.VolumeConstraint) bool { return c.Max > 0 })
}

// SketchData is a VolumeSketch in a form that can be stored, keyed by constraint name,
// so that workers in other invocations can merge their sketches.
type SketchData struct {
	Candidates map[string]int
	Top        map[string][]Rank
}

// Data exports the sketch, trimmed to each constraint's Max.
func (s *VolumeSketch) Data() SketchData {
	d := SketchData{Candidates: map[string]int{}, Top: map[string][]Rank{}}
	for i, c := range s.constraints {
		if len(s.top[i]) > c.Max {
			s.trim(i)
		}
		d.Candidates[c.Name()] = s.candidates[i]
		d.Top[c.Name()] = s.top[i]
	}
	return d
}

// MergeData adds a stored sketch of another segment; constraints it does not know
// are left as they are.
func (s *VolumeSketch) MergeData(d SketchData) {
	o := NewVolumeSketch(s.constraints)
	for i, c := range s.constraints {
		o.candidates[i] = d.Candidates[c.Name()]
		o.top[i] = d.Top[c.Name()]
	}
	s.Merge(o)
}
