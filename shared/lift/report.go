package lift

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nextbest/nextbest/shared/experiment"
)

// Report is a lift report: what it covers, the checks that say whether it can be
// trusted, and the comparisons per cut.
type Report struct {
	Window Window `json:"window"`
	// CatalogVersions are the live catalog versions of the decisions compared.
	CatalogVersions []string `json:"catalogVersions"`
	Read            Read     `json:"read"`
	// Checks are the sample-ratio checks: a failed one means the groups are not what
	// the catalog configured, and no lift of this report can be trusted.
	Checks []Check `json:"checks"`
	// Cuts are the comparisons, the whole base first.
	Cuts []Cut `json:"cuts"`
}

// Window is what the report covers.
type Window struct {
	From        time.Time  `json:"from"`
	To          time.Time  `json:"to"`
	Attribution string     `json:"attribution"`
	PrePeriod   string     `json:"prePeriod"`
	AsOf        *time.Time `json:"asOf,omitempty"`
}

// Read counts what the report was computed from.
type Read struct {
	Decisions          int `json:"decisions"`
	Contacts           int `json:"contacts"`
	OutcomesAttributed int `json:"outcomesAttributed"`
}

// Check is one sample-ratio check.
type Check struct {
	Name string `json:"name"`
	// Groups and Observed are the group names and their customers; Expected their
	// configured shares.
	Groups   []string  `json:"groups"`
	Observed []int     `json:"observed"`
	Expected []float64 `json:"expected"`
	PValue   float64   `json:"pValue"`
	Mismatch bool      `json:"mismatch"`
	Message  string    `json:"message"`
}

// Cut is the comparison of one slice of the customers: all of them, or those for whom
// the engine chose an action of an issue, a group, an action, or on a channel.
type Cut struct {
	Kind   string                `json:"kind"`
	Name   string                `json:"name"`
	Groups map[string]GroupStats `json:"groups"`
	// Lifts compare the engine with each control group on the main metrics;
	// Guardrails on what must not get worse (unsubscribes, rejects, complaints,
	// contact pressure); Challenger the challenger with the champion.
	Lifts      []Lift `json:"lifts"`
	Guardrails []Lift `json:"guardrails"`
	Challenger []Lift `json:"challenger,omitempty"`
}

// GroupStats describe one group of a cut: its customers and the means per customer.
type GroupStats struct {
	Customers   int                `json:"customers"`
	PerCustomer map[string]float64 `json:"perCustomer"`
}

// Lift is one comparison of a metric between two groups.
type Lift struct {
	Metric    string `json:"metric"`
	Treatment string `json:"treatment"`
	Control   string `json:"control"`
	// Measured is false when the groups cannot be compared (Reason says why).
	Measured bool   `json:"measured"`
	Reason   string `json:"reason,omitempty"`
	// TreatmentMean and ControlMean are per customer; Difference is their difference
	// (after CUPED when it applied), with its 95% interval and its always-valid one.
	TreatmentMean float64    `json:"treatmentMean"`
	ControlMean   float64    `json:"controlMean"`
	Difference    float64    `json:"difference"`
	Interval      [2]float64 `json:"interval95"`
	AlwaysValid   [2]float64 `json:"alwaysValid95"`
	// Relative is Difference / ControlMean, with its interval; absent when the control
	// mean is 0.
	Relative         *float64    `json:"relative,omitempty"`
	RelativeInterval *[2]float64 `json:"relativeInterval95,omitempty"`
	PValue           float64     `json:"pValue"`
	// Significant is decided on the always-valid interval.
	Significant bool `json:"significant"`
	// VarianceReduction is what the pre-period removed (CUPED).
	VarianceReduction float64 `json:"varianceReduction"`
	// MoreCustomersNeeded is how many more customers the smaller group needs before a
	// lift of the minimum detectable effect would show.
	MoreCustomersNeeded int64  `json:"moreCustomersNeeded"`
	Verdict             string `json:"verdict"`
}

// units a metric's verdict speaks in.
var units = map[string]string{
	MetricConversions: "conversions/customer", MetricValue: "€/customer", MetricResponses: "responses/customer",
	MetricContacts: "contacts/customer", MetricUnsubscribes: "unsubscribes/customer", MetricRejects: "rejects/customer",
	MetricComplaints: "complaints/customer",
}

func buildCut(k cutKey, customers []*customer, o Options) Cut {
	samples := map[string]*[metricCount]experiment.Sample{} // by group
	count := map[string]int{}
	for _, c := range customers {
		groups := []string{c.group}
		if c.group == GroupEngine && c.arm != "" {
			groups = append(groups, c.arm) // champion or challenger
		}
		for _, g := range groups {
			count[g]++
			s := samples[g]
			if s == nil {
				s = &[metricCount]experiment.Sample{}
				samples[g] = s
			}
			for m := range metricCount {
				s[m].Add(c.metrics[m], c.preMetrics[m])
			}
		}
	}
	cut := Cut{Kind: k.kind, Name: k.name, Groups: map[string]GroupStats{}}
	for _, g := range slices.Sorted(maps.Keys(count)) {
		gs := GroupStats{Customers: count[g], PerCustomer: map[string]float64{}}
		for m := range metricCount {
			gs.PerCustomer[metricNames[m]] = samples[g][m].Mean()
		}
		cut.Groups[g] = gs
	}
	compare := func(m metric, treatment, control string) Lift {
		var t, c experiment.Sample
		if samples[treatment] != nil {
			t = samples[treatment][m]
		}
		if samples[control] != nil {
			c = samples[control][m]
		}
		return liftOf(metricNames[m], treatment, control, experiment.Compare(t, c, o.Experiment))
	}
	for _, control := range []string{GroupSilence, GroupRandom} {
		cut.Lifts = append(cut.Lifts, compare(conversions, GroupEngine, control), compare(value, GroupEngine, control))
	}
	cut.Lifts = append(cut.Lifts, compare(responses, GroupEngine, GroupRandom))
	for _, m := range []metric{unsubscribes, rejects, complaints, contacts} {
		cut.Guardrails = append(cut.Guardrails, compare(m, GroupEngine, GroupSilence))
	}
	if count[GroupChallenger] > 0 || count[GroupChampion] > 0 {
		for _, m := range []metric{conversions, value, responses, contacts, unsubscribes} {
			cut.Challenger = append(cut.Challenger, compare(m, GroupChallenger, GroupChampion))
		}
	}
	return cut
}

func liftOf(metric, treatment, control string, c experiment.Comparison) Lift {
	l := Lift{Metric: metric, Treatment: treatment, Control: control, Measured: c.Measurable(), Reason: c.Reason,
		Verdict: experiment.Verdict(c, units[metric])}
	best := c.Best()
	l.TreatmentMean, l.ControlMean = best.TreatmentMean, best.ControlMean
	if !l.Measured {
		return l
	}
	l.Difference = best.Diff
	l.Interval = [2]float64{best.CI.Low, best.CI.High}
	l.AlwaysValid = [2]float64{best.AlwaysValid.Low, best.AlwaysValid.High}
	if best.RelativeDefined {
		rel, ri := best.Relative, [2]float64{best.RelativeCI.Low, best.RelativeCI.High}
		l.Relative, l.RelativeInterval = &rel, &ri
	}
	l.PValue, l.Significant = best.PValue, c.Significant
	l.VarianceReduction, l.MoreCustomersNeeded = c.VarianceReduction, c.MoreNeeded
	return l
}

// checks are the sample-ratio checks: per catalog version, the engine and the control
// groups against the configured shares; and the arms against the challenger's share.
func checks(customers map[string]*customer, o Options) []Check {
	type counts struct{ engine, random, silence, champion, challenger int }
	byVersion := map[string]*counts{}
	inconsistent := 0
	for _, c := range customers {
		if !c.consistency {
			inconsistent++
		}
		n := byVersion[c.version]
		if n == nil {
			n = &counts{}
			byVersion[c.version] = n
		}
		switch c.group {
		case GroupRandom:
			n.random++
		case GroupSilence:
			n.silence++
		default:
			n.engine++
			switch c.arm {
			case GroupChampion:
				n.champion++
			case GroupChallenger:
				n.challenger++
			}
		}
	}
	var out []Check
	for _, v := range slices.Sorted(maps.Keys(byVersion)) {
		n := byVersion[v]
		shares, ok := Shares{}, false
		if o.SharesOf != nil {
			shares, ok = o.SharesOf(v)
		}
		if !ok {
			out = append(out, Check{Name: "control groups, catalog version " + v, Message: "the configured shares of this version are unknown: not checked"})
			continue
		}
		if shares.Random+shares.Silence > 0 {
			out = append(out, srm("control groups, catalog version "+v, []string{GroupEngine, GroupRandom, GroupSilence},
				[]int{n.engine, n.random, n.silence}, []float64{1 - shares.Random - shares.Silence, shares.Random, shares.Silence}))
		}
		if shares.Challenger > 0 && n.champion+n.challenger > 0 {
			out = append(out, srm("arms, catalog version "+v, []string{GroupChampion, GroupChallenger},
				[]int{n.champion, n.challenger}, []float64{1 - shares.Challenger, shares.Challenger}))
		}
	}
	if inconsistent > 0 {
		out = append(out, Check{Name: "one group per customer", Mismatch: true,
			Message: fmt.Sprintf("MISMATCH: %d customers were decided in different groups within the window (a changed salt or share?); compare windows that one configuration covers", inconsistent)})
	}
	return out
}

func srm(name string, groups []string, observed []int, expected []float64) Check {
	_, p, mismatch := experiment.SampleRatioMismatch(observed, expected)
	c := Check{Name: name, Groups: groups, Observed: observed, Expected: expected, PValue: p, Mismatch: mismatch}
	total := 0
	for _, n := range observed {
		total += n
	}
	if mismatch {
		c.Message = fmt.Sprintf("SAMPLE RATIO MISMATCH (p = %.2g): the groups are not the configured shares; the assignment or the logging is broken and no lift below can be trusted", p)
	} else {
		c.Message = fmt.Sprintf("groups match the configured shares (p = %.2g, %d customers)", p, total)
	}
	return c
}
