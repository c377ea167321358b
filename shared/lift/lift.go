// Package lift turns the decision log and the outcomes recorded since into the report
// a marketing director and an analyst read to decide whether the engine earns its keep:
// the engine's customers against the random control group (what the ranking adds over
// a random eligible action) and against the silence control group (what contacting
// adds over saying nothing), a challenger against the champion, per cut (issue, group,
// action, channel), with intervals that stay valid when the report is read every week.
//
// The package is pure: Build takes the records a store read and returns the report, so
// a report can be recomputed later from what is stored (the decision log, the outcomes
// and the catalog versions) and comes out the same.
//
// # Who is compared
//
// Customers enter the comparison by the same rule in every group: the engine's own
// ranking chose an action for them (decision.LoggedDecision.EngineChoice) in the
// window, whether they then got it, got a random one, got nothing because they are held
// out, or lost it to a volume cap. Comparing everyone the engine decided for, rather
// than only those contacted, keeps the groups alike: a held-out customer is never
// contacted, so "contacted" would compare different people.
//
// # What is attributed
//
// An outcome counts for a customer when it occurred within the attribution window
// (seven days by default) after one of the customer's decisions in the report's window.
// Conversions and their value come from outcome events (POST /v1/outcomes) of the types
// the catalog marks positive: they exist for every group alike, where responses (a
// click) exist only for contacted customers, so responses are compared between the
// engine and the random group only. Each customer's conversions and value in the
// pre-period (28 days before their first decision in the window) are the CUPED
// covariate that narrows the intervals.
package lift

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/nextbest/nextbest/shared/experiment"
)

// Exposure is one logged decision, as much of it as a report reads.
type Exposure struct {
	CustomerID string
	At         time.Time
	// ControlGroup is "", "random" or "silence"; Arm is "", "champion" or "challenger".
	ControlGroup, Arm string
	// LiveVersion is the live catalog version, which configured the groups and arms
	// (the decision itself may come from a challenger's version).
	LiveVersion string
	// EngineChoice are the actions the engine's ranking chose, on EngineChannel.
	EngineChoice  []string
	EngineChannel string
	// Contacted says the customer got an offer from this decision.
	Contacted bool
}

// Outcome is an outcome event or a response of a customer.
type Outcome struct {
	CustomerID string
	At         time.Time
	// RecordedAt is when the engine learnt of it; a report as of an earlier time
	// ignores it. Zero counts always.
	RecordedAt time.Time
	// Response tells a response to a decision from an outcome event.
	Response bool
	// Type is the event's type (purchase, complaint...) or the response's outcome
	// (click, reject, unsubscribe...).
	Type     string
	Value    float64
	Positive bool
}

// Shares are the configured sizes of a catalog version's groups, for the sample-ratio
// checks.
type Shares struct {
	Random, Silence float64
	// Challenger is the challenger's share of the customers in its scope; 0 for none.
	Challenger float64
}

// Options describe a report.
type Options struct {
	From, To time.Time
	// Attribution is how long after a decision an outcome counts (7 days when zero).
	Attribution time.Duration
	// PrePeriod is how far before a customer's first decision their outcomes make the
	// CUPED covariate (28 days when zero; negative turns CUPED off).
	PrePeriod time.Duration
	// AsOf, when set, ignores what was recorded after it, so a report read later
	// comes out as it was read then.
	AsOf time.Time
	// SharesOf gives the configured group shares of a catalog version.
	SharesOf func(catalogVersion string) (Shares, bool)
	// Hierarchy gives an action's issue and group, for the cuts by issue and group.
	Hierarchy func(actionID string) (issue, group string, ok bool)
	// Experiment are the statistical options (MDE, α...).
	Experiment experiment.Options
}

// Metrics a report compares.
const (
	MetricConversions  = "conversions"
	MetricValue        = "value"
	MetricResponses    = "responses"
	MetricContacts     = "contacts"
	MetricUnsubscribes = "unsubscribes"
	MetricRejects      = "rejects"
	MetricComplaints   = "complaints"
)

// Groups of customers.
const (
	GroupEngine     = "engine"
	GroupRandom     = "random"
	GroupSilence    = "silence"
	GroupChampion   = "champion"
	GroupChallenger = "challenger"
)

// metric indexes the per-customer sums, kept in arrays rather than maps: a report
// folds in every customer of the base.
type metric int

const (
	conversions metric = iota
	value
	responses
	contacts
	unsubscribes
	rejects
	complaints
	metricCount
)

// metricNames are the metrics' names, by index.
var metricNames = [metricCount]string{MetricConversions, MetricValue, MetricResponses, MetricContacts, MetricUnsubscribes, MetricRejects, MetricComplaints}

// customer is what a report learns about one customer.
type customer struct {
	id          string
	group, arm  string
	version     string
	first       time.Time
	intervals   [][2]time.Time // attribution windows, merged
	cuts        []cutKey
	metrics     [metricCount]float64
	preMetrics  [metricCount]float64
	consistency bool // false when the customer's decisions disagree on the group
}

// addCut puts the customer in a cut once.
func (c *customer) addCut(k cutKey) {
	if !slices.Contains(c.cuts, k) {
		c.cuts = append(c.cuts, k)
	}
}

type cutKey struct{ kind, name string }

// Build computes the report of a window from the exposures and outcomes read.
func Build(exposures []Exposure, outcomes []Outcome, o Options) Report {
	o = o.withDefaults()
	customers := map[string]*customer{}
	versions := map[string]bool{}
	decisionsRead, contactsSeen := 0, 0
	for _, e := range exposures {
		if e.At.Before(o.From) || !e.At.Before(o.To) {
			continue
		}
		decisionsRead++
		if e.Contacted {
			contactsSeen++
		}
		c := customers[e.CustomerID]
		if c == nil {
			c = &customer{id: e.CustomerID, consistency: true}
			customers[e.CustomerID] = c
		}
		if e.Contacted {
			c.metrics[contacts]++
		}
		if len(e.EngineChoice) == 0 {
			continue // the engine chose nothing: not in the comparison
		}
		group := groupOf(e.ControlGroup)
		if c.first.IsZero() || e.At.Before(c.first) {
			if !c.first.IsZero() && c.group != group {
				c.consistency = false
			}
			c.first, c.group, c.arm, c.version = e.At, group, e.Arm, e.LiveVersion
		} else if c.group != group {
			c.consistency = false
		}
		versions[e.LiveVersion] = true
		c.intervals = append(c.intervals, [2]time.Time{e.At, e.At.Add(o.Attribution)})
		c.addCut(cutKey{"overall", "all customers"})
		c.addCut(cutKey{"channel", e.EngineChannel})
		top := e.EngineChoice[0]
		c.addCut(cutKey{"action", top})
		if o.Hierarchy != nil {
			if issue, grp, ok := o.Hierarchy(top); ok {
				c.addCut(cutKey{"issue", issue})
				c.addCut(cutKey{"group", grp})
			}
		}
	}
	triggered := map[string]*customer{}
	for id, c := range customers {
		if !c.first.IsZero() {
			c.intervals = mergeIntervals(c.intervals)
			triggered[id] = c
		}
	}
	outcomesCounted := 0
	for _, out := range outcomes {
		c := triggered[out.CustomerID]
		if c == nil || (!o.AsOf.IsZero() && !out.RecordedAt.IsZero() && out.RecordedAt.After(o.AsOf)) {
			continue
		}
		switch {
		case inAny(c.intervals, out.At):
			outcomesCounted++
			addOutcome(&c.metrics, out)
		case o.PrePeriod > 0 && !out.At.Before(c.first.Add(-o.PrePeriod)) && out.At.Before(c.first):
			addOutcome(&c.preMetrics, out)
		}
	}
	r := Report{
		Window: Window{From: o.From, To: o.To, Attribution: days(o.Attribution), PrePeriod: days(o.PrePeriod)},
		Read:   Read{Decisions: decisionsRead, Contacts: contactsSeen, OutcomesAttributed: outcomesCounted},
	}
	if !o.AsOf.IsZero() {
		asOf := o.AsOf
		r.Window.AsOf = &asOf
	}
	r.CatalogVersions = slices.Sorted(maps.Keys(versions))
	r.Checks = checks(triggered, o)
	byCut := map[cutKey][]*customer{}
	for _, c := range triggered {
		for _, k := range c.cuts {
			byCut[k] = append(byCut[k], c)
		}
	}
	keys := slices.SortedFunc(maps.Keys(byCut), func(a, b cutKey) int {
		return cmp.Or(cmp.Compare(cutOrder[a.kind], cutOrder[b.kind]), cmp.Compare(a.name, b.name))
	})
	for _, k := range keys {
		r.Cuts = append(r.Cuts, buildCut(k, byCut[k], o))
	}
	return r
}

var cutOrder = map[string]int{"overall": 0, "issue": 1, "group": 2, "action": 3, "channel": 4}

func groupOf(controlGroup string) string {
	switch controlGroup {
	case "random":
		return GroupRandom
	case "silence":
		return GroupSilence
	default:
		return GroupEngine
	}
}

func addOutcome(m *[metricCount]float64, out Outcome) {
	if out.Response {
		switch {
		case out.Positive:
			m[responses]++
		case out.Type == "unsubscribe":
			m[unsubscribes]++
		case out.Type == "reject":
			m[rejects]++
		}
		return
	}
	switch {
	case out.Positive:
		m[conversions]++
		m[value] += out.Value
	case out.Type == "complaint":
		m[complaints]++
	}
}

func mergeIntervals(in [][2]time.Time) [][2]time.Time {
	slices.SortFunc(in, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	out := in[:0]
	for _, iv := range in {
		if n := len(out); n > 0 && !iv[0].After(out[n-1][1]) {
			if iv[1].After(out[n-1][1]) {
				out[n-1][1] = iv[1]
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

func inAny(intervals [][2]time.Time, t time.Time) bool {
	for _, iv := range intervals {
		if !t.Before(iv[0]) && t.Before(iv[1]) {
			return true
		}
	}
	return false
}

func (o Options) withDefaults() Options {
	if o.Attribution <= 0 {
		o.Attribution = 7 * 24 * time.Hour
	}
	if o.PrePeriod == 0 {
		o.PrePeriod = 28 * 24 * time.Hour
	}
	return o
}

// days writes a duration in whole days when it is one ("7d"), "off" when negative.
func days(d time.Duration) string {
	switch {
	case d < 0:
		return "off"
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	default:
		return d.String()
	}
}
