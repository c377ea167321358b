package catalogcheck

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// Comparison is what making one catalog source live instead of another would change.
type Comparison struct {
	From, To string // the two sides' names, "nothing (no catalog published yet)" for none
	// Notes say when a side was compared as written because it no longer compiles
	// with this version's catalog format.
	Notes   []string
	Changes []Change
}

// Freshness tells the operator when the running functions see a published or
// rolled-back version.
func Freshness() string {
	return fmt.Sprintf("running functions switch to it within CATALOG_MAX_AGE (%s by default), without a redeploy", service.DefaultCatalogMaxAge)
}

// NothingPublished names the "from" side when no catalog has been published yet.
const NothingPublished = "nothing (no catalog published yet)"

// Compare compiles both sides and lists their differences (Diff). fromSrc is nil when
// nothing is published yet; an error means toSrc (or fromSrc) is not a catalog at all.
func Compare(fromName string, fromSrc []byte, toName string, toSrc []byte) (Comparison, error) {
	cmp := Comparison{From: fromName, To: toName}
	var from *decision.Catalog
	if fromSrc == nil {
		cmp.From = NothingPublished
	} else {
		c, note, err := LoadForDiff(fromName, fromSrc)
		if err != nil {
			return Comparison{}, err
		}
		if note != "" {
			cmp.Notes = append(cmp.Notes, note)
		}
		from = c
	}
	to, note, err := LoadForDiff(toName, toSrc)
	if err != nil {
		return Comparison{}, err
	}
	if note != "" {
		cmp.Notes = append(cmp.Notes, note)
	}
	cmp.Changes = Diff(from, to)
	return cmp, nil
}

// Head is a change's first line: its operation, kind and id ("~ action fibre-tv").
func (c Change) Head() string {
	head := c.Op + " " + c.Kind
	if c.ID != "" {
		head += " " + c.ID
	}
	return head
}

// String is the change on one line, its details joined.
func (c Change) String() string {
	s := c.Head()
	if len(c.Details) > 0 {
		s += ": " + strings.Join(c.Details, "; ")
	}
	return s
}

// MarshalJSON names Change's fields as the other shapes do.
func (c Change) MarshalJSON() ([]byte, error) {
	details := c.Details
	if details == nil {
		details = []string{}
	}
	return json.Marshal(struct {
		Op      string   `json:"op"`
		Kind    string   `json:"kind"`
		ID      string   `json:"id,omitempty"`
		Details []string `json:"details"`
	}{c.Op, c.Kind, c.ID, details})
}
