package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/lift"
)

// CustomerOutcome is an outcome event or a recorded response of a customer.
type CustomerOutcome struct {
	CustomerID string
	Event      *decision.OutcomeEvent
	Response   *decision.ContactEvent
	RecordedAt time.Time
}

// LiftSource reads what a lift report is computed from: the decision log, the
// customers' outcomes, and the catalog versions that configured the groups.
type LiftSource interface {
	ScanDecisionLog(ctx context.Context, from, to time.Time, segment, segments int, fn func(decision.LoggedDecision) error) error
	ScanOutcomes(ctx context.Context, since time.Time, segment, segments int, fn func(CustomerOutcome) error) error
	CatalogSource(ctx context.Context, version string) ([]byte, error)
}

// LiftReporter computes lift reports from what is stored, so that a report can be
// computed again later, as of the same time, and come out the same.
type LiftReporter struct {
	Store   LiftSource
	Catalog *Snapshot[*decision.Catalog]
	// Segments is how many parallel scan segments each read uses (4 when zero).
	Segments int
}

// Report computes the lift report of a window. The live catalog says which outcome
// types and responses are positive and where actions sit in the hierarchy; each
// catalog version found in the log says its own group shares.
func (l *LiftReporter) Report(ctx context.Context, o lift.Options) (lift.Report, error) {
	live, err := l.Catalog.Get(ctx)
	if err != nil {
		return lift.Report{}, fmt.Errorf("catalog: %w", err)
	}
	segments := l.Segments
	if segments <= 0 {
		segments = 4
	}
	pre := o.PrePeriod
	if pre == 0 {
		pre = 28 * 24 * time.Hour
	}
	since := o.From.Add(-max(pre, 0))
	exposures, err := gather(segments, func(seg int, add func(lift.Exposure)) error {
		return l.Store.ScanDecisionLog(ctx, o.From, o.To, seg, segments, func(d decision.LoggedDecision) error {
			add(exposureOf(d))
			return nil
		})
	})
	if err != nil {
		return lift.Report{}, err
	}
	outcomes, err := gather(segments, func(seg int, add func(lift.Outcome)) error {
		return l.Store.ScanOutcomes(ctx, since, seg, segments, func(co CustomerOutcome) error {
			add(outcomeOf(live, co))
			return nil
		})
	})
	if err != nil {
		return lift.Report{}, err
	}
	shares, err := l.sharesOf(ctx, live, exposures)
	if err != nil {
		return lift.Report{}, err
	}
	o.SharesOf = func(v string) (lift.Shares, bool) { s, ok := shares[v]; return s, ok }
	o.Hierarchy = func(actionID string) (string, string, bool) {
		_, issue, group, ok := live.Action(actionID)
		return issue, group, ok
	}
	return lift.Build(exposures, outcomes, o), nil
}

func exposureOf(d decision.LoggedDecision) lift.Exposure {
	channel := d.EngineChannel
	if channel == "" {
		channel = d.Channel
	}
	version := d.LiveVersion
	if version == "" {
		version = d.CatalogVersion
	}
	return lift.Exposure{CustomerID: d.CustomerID, At: d.DecidedAt, ControlGroup: d.ControlGroup, Arm: d.Arm, LiveVersion: version,
		EngineChoice: d.EngineChoice, EngineChannel: channel, Contacted: len(d.Offers) > 0}
}

func outcomeOf(live *decision.Catalog, co CustomerOutcome) lift.Outcome {
	if e := co.Event; e != nil {
		v := 0.0
		if e.Value != nil {
			v = *e.Value
		}
		return lift.Outcome{CustomerID: co.CustomerID, At: *e.OccurredAt, RecordedAt: co.RecordedAt, Type: e.Type, Value: v,
			Positive: live.IsPositiveOutcome(e.Type)}
	}
	r := co.Response
	v := 0.0
	if r.Value != nil {
		v = *r.Value
	}
	return lift.Outcome{CustomerID: co.CustomerID, At: r.At, RecordedAt: co.RecordedAt, Response: true, Type: r.Outcome, Value: v,
		Positive: live.IsSuccess(r.ActionID, r.Outcome)}
}

// sharesOf reads, for every live version in the log, the group shares it configured.
func (l *LiftReporter) sharesOf(ctx context.Context, live *decision.Catalog, exposures []lift.Exposure) (map[string]lift.Shares, error) {
	out := map[string]lift.Shares{}
	for _, e := range exposures {
		if _, done := out[e.LiveVersion]; done || e.LiveVersion == "" {
			continue
		}
		c := live
		if e.LiveVersion != live.Version {
			src, err := l.Store.CatalogSource(ctx, e.LiveVersion)
			if err != nil {
				return nil, fmt.Errorf("catalog version %s: %w", e.LiveVersion, err)
			}
			if c, err = decision.ParseCatalog("version "+e.LiveVersion, src); err != nil {
				return nil, err
			}
		}
		g := c.Settings.ControlGroups
		s := lift.Shares{Random: g.RandomShare, Silence: g.SilenceShare}
		if ch := c.Settings.Challenger; ch != nil {
			s.Challenger = ch.Share
		}
		out[e.LiveVersion] = s
	}
	return out, nil
}

// gather scans the segments in parallel and collects what each scan adds, in no
// particular order.
func gather[T any](segments int, scan func(segment int, add func(T)) error) ([]T, error) {
	var mu sync.Mutex
	var out []T
	err := parallel(segments, func(seg int) error {
		return scan(seg, func(x T) {
			mu.Lock()
			out = append(out, x)
			mu.Unlock()
		})
	})
	return out, err
}

// parallel runs fn for each of the segments at once and joins their errors.
func parallel(segments int, fn func(segment int) error) error {
	errs := make([]error, segments)
	all := make([]int, segments)
	for i := range all {
		all[i] = i
	}
	eachSegment(all, func(seg int) { errs[seg] = fn(seg) })
	return errors.Join(errs...)
}
