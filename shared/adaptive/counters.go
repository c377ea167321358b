package adaptive

import (
	"fmt"
	"strconv"
	"strings"
)

// Special predictor names in counter keys; predictor names cannot take them (see Validate).
const (
	totalName       = "*"
	calibrationName = "~cal"
)

// Key names one counter of a model's state. See the package documentation for the scheme.
type Key struct {
	// Bucket is the time bucket the responses fell in.
	Bucket int64
	// Predictor is a predictor's name, "*" for the model's totals or "~cal" for calibration.
	Predictor string
	// Positive says whether the counter counts positive or negative responses.
	Positive bool
	// Bin is the symbol, the numeric fine-bin index ("na" when missing) or the calibration bin;
	// empty for the totals.
	Bin string
}

// String returns the counter name a store persists: bucket/predictor/outcome/bin.
func (k Key) String() string {
	outcome := "neg"
	if k.Positive {
		outcome = "pos"
	}
	return strconv.FormatInt(k.Bucket, 10) + "/" + k.Predictor + "/" + outcome + "/" + k.Bin
}

// ParseKey reads back a counter name written by Key.String.
func ParseKey(s string) (Key, error) {
	parts := strings.SplitN(s, "/", 4)
	if len(parts) != 4 {
		return Key{}, fmt.Errorf("parse counter key %q: want bucket/predictor/outcome/bin", s)
	}
	bucket, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return Key{}, fmt.Errorf("parse counter key %q: bucket: %w", s, err)
	}
	if parts[2] != "pos" && parts[2] != "neg" {
		return Key{}, fmt.Errorf("parse counter key %q: outcome %q is neither pos nor neg", s, parts[2])
	}
	return Key{Bucket: bucket, Predictor: parts[1], Positive: parts[2] == "pos", Bin: parts[3]}, nil
}

// Increment adds N to the counter named Key.
type Increment struct {
	Key Key
	N   int64
}

// Delta is what learning from one or more responses adds to a model's state. A store applies
// it with atomic ADDs, in any order.
type Delta []Increment

// State is a model's counters. Its zero value is not usable; use NewState.
type State struct {
	counts map[Key]int64
}

// NewState returns an empty state.
func NewState() *State { return &State{counts: make(map[Key]int64)} }

// Apply adds a delta to the state.
func (s *State) Apply(d Delta) {
	for _, inc := range d {
		s.counts[inc.Key] += inc.N
	}
}

// Merge adds every counter of other to s, as a store does when it sums its shards on read.
func (s *State) Merge(other *State) {
	for k, n := range other.counts {
		s.counts[k] += n
	}
}

// Count returns one counter's value.
func (s *State) Count(k Key) int64 { return s.counts[k] }

// Len returns how many counters the state holds.
func (s *State) Len() int { return len(s.counts) }

// Equal reports whether two states hold the same counters (a counter at zero equals an absent one).
func (s *State) Equal(other *State) bool {
	for k, n := range s.counts {
		if other.counts[k] != n {
			return false
		}
	}
	for k, n := range other.counts {
		if s.counts[k] != n {
			return false
		}
	}
	return true
}

// Each calls f for every counter, in no particular order; a store uses it to write a snapshot.
func (s *State) Each(f func(Key, int64)) {
	for k, n := range s.counts {
		f(k, n)
	}
}

// StateFromImpressions builds a state from counters a store keeps as impressions and
// successes rather than negatives and positives: keys that are not Positive hold
// impressions. Counting an impression when shown and a success when it comes keeps
// every write an addition, without finding and undoing the impression of a success;
// the negatives are the impressions minus the successes, at zero at least (a success
// reported without its impression). The logistic kind's sums are not counts of
// responses and pass through as they are.
func StateFromImpressions(counters map[Key]int64) *State {
	s := NewState()
	for k, n := range counters {
		if k.Positive || k.IsSum() {
			s.counts[k] += n
			continue
		}
		positive := k
		positive.Positive = true
		if neg := n - counters[positive]; neg > 0 {
			s.counts[k] += neg
		}
	}
	return s
}
