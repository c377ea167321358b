package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// CustomerReader loads a customer's profile and recent contact history together.
type CustomerReader interface {
	LoadCustomer(ctx context.Context, customerID string, since time.Time) (decision.Profile, error)
}

// DecisionWriter logs decisions so responses can be attributed to them.
type DecisionWriter interface {
	PutDecision(ctx context.Context, d decision.LoggedDecision) error
}

// CatalogSource serves the live catalog.
type CatalogSource interface {
	LiveCatalogVersion(ctx context.Context) (string, error)
	LoadCatalog(ctx context.Context) (*decision.Catalog, error)
}

// ModelSource serves every model's counters as of a time (which sets the models'
// current memory bucket).
type ModelSource interface {
	LoadModels(ctx context.Context, at time.Time) (*decision.Models, error)
}

// Freshness bounds how stale a warm function's view may be by default: a newly
// published catalog or new evidence reaches every decision within these intervals.
// CATALOG_MAX_AGE and MODELS_MAX_AGE override them (the local demo shortens them).
const (
	DefaultCatalogMaxAge = 30 * time.Second
	DefaultModelsMaxAge  = 30 * time.Second
)

// NewCatalogSnapshot caches the live catalog, re-reading only its version number on
// refresh and compiling a catalog only when the version changed.
func NewCatalogSnapshot(src CatalogSource, maxAge time.Duration, now func() time.Time) *Snapshot[*decision.Catalog] {
	return NewSnapshot(maxAge, now, func(ctx context.Context, previous *decision.Catalog) (*decision.Catalog, error) {
		if previous != nil {
			version, err := src.LiveCatalogVersion(ctx)
			if err != nil {
				return nil, err
			}
			if version == previous.Version {
				return previous, nil
			}
		}
		return src.LoadCatalog(ctx)
	})
}

// NewModelsSnapshot caches the models' evidence.
func NewModelsSnapshot(src ModelSource, maxAge time.Duration, now func() time.Time) *Snapshot[*decision.Models] {
	return NewSnapshot(maxAge, now, func(ctx context.Context, _ *decision.Models) (*decision.Models, error) {
		return src.LoadModels(ctx, now())
	})
}

// DefaultBudget bounds each DynamoDB call of a decision (the profile read, a cache
// refresh, the decision-log write). Past it the decision goes on without that call, so
// decide answers within about three budgets even when DynamoDB hangs.
const DefaultBudget = 150 * time.Millisecond

// Decider answers decision requests.
type Decider struct {
	Catalog   *Snapshot[*decision.Catalog]
	Models    *Snapshot[*decision.Models]
	Customers CustomerReader
	Log       DecisionWriter
	Now       func() time.Time
	NewID     func() string
	// Weather caches the weather feed's stored observations; nil decides without it.
	Weather *Snapshot[decision.ContextFeed]
	// Challengers loads a challenger's catalog version; nil when none is run.
	Challengers *Challengers
	// Baseline teaches the baseline models from the silence group's decisions when the
	// catalog ranks by uplift (see baseline.go); nil teaches nothing.
	Baseline BaselineLearner
	// Budget bounds each DynamoDB call; zero means DefaultBudget.
	Budget time.Duration
	// Logger receives the dependency failures a degraded decision hides from callers.
	Logger *slog.Logger
}

// Decide validates the request, loads the customer, decides and logs the decision.
//
// A dependency blip never becomes an error for the caller. Without a fresh catalog or
// models the cached ones serve; without any models the priors serve; without the
// profile the decision is made from the context alone; a failed decision-log write
// leaves the decision valid but unattributable. Each of these marks the answer
// "degraded". Only when no catalog was ever loaded is the answer silence
// ("unavailable"), since without a catalog there is nothing to offer.
func (s *Decider) Decide(ctx context.Context, req decision.Request) (decision.Decision, error) {
	degraded := false
	catalog, err := withBudget(ctx, s.budget(), s.Catalog.Get)
	if err != nil {
		s.warn(ctx, "no catalog", err)
		return unavailable(req, s.NewID(), s.Now()), nil
	}
	if err := catalog.ValidateRequest(&req); err != nil {
		return decision.Decision{}, err
	}
	degraded = degraded || s.Catalog.Stale() != nil
	models, err := withBudget(ctx, s.budget(), s.Models.Get)
	if err != nil {
		s.warn(ctx, "no models; deciding from priors", err)
		models, degraded = nil, true
	}
	degraded = degraded || s.Models.Stale() != nil
	now := s.Now()
	profile, err := withBudget(ctx, s.budget(), func(ctx context.Context) (decision.Profile, error) {
		return s.Customers.LoadCustomer(ctx, req.CustomerID, now.Add(-catalog.HistoryWindow()))
	})
	if err != nil {
		s.warn(ctx, "profile unavailable; deciding from the context alone", err)
		profile, degraded = decision.Profile{CustomerID: req.CustomerID}, true
	}
	weather, err := withBudget(ctx, s.budget(), func(ctx context.Context) (decision.ContextFeed, error) {
		return weatherFor(ctx, catalog, s.Weather)
	})
	if err != nil {
		s.warn(ctx, "weather unavailable; deciding without it", err)
		weather = nil
	}
	challenger, err := withBudget(ctx, s.budget(), func(ctx context.Context) (*decision.Catalog, error) {
		return s.Challengers.For(ctx, catalog)
	})
	if err != nil {
		// The champion decides, in no arm: the experiment loses a decision, not its validity.
		s.warn(ctx, "challenger catalog unavailable; the champion decides", err)
		challenger, degraded = nil, true
	}
	d, err := catalog.Decide(decision.Input{Request: req, Profile: profile, Models: models, Now: now, DecisionID: s.NewID(),
		Weather: weather, Challenger: challenger})
	if err != nil {
		return decision.Decision{}, err
	}
	logged := catalog.Log(d)
	_, err = withBudget(ctx, s.budget(), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Log.PutDecision(ctx, logged)
	})
	if err != nil {
		s.warn(ctx, "decision not logged; responses to it cannot be attributed", err)
		degraded = true
	}
	// Checked first: most decisions hold no one out of an uplift catalog, and they
	// should not pay for a time budget they do not use.
	if err == nil && s.Baseline != nil && catalog.TeachesBaseline(logged) {
		if _, err := withBudget(ctx, s.budget(), func(ctx context.Context) (struct{}, error) {
			return struct{}{}, teachBaseline(ctx, s.Baseline, catalog, logged, false, now, models)
		}); err != nil {
			// The customer's answer does not depend on it; the baseline misses one count.
			s.warn(ctx, "held-out decision not counted in the baseline", err)
		}
	}
	d.Degraded = degraded
	return d, nil
}

func (s *Decider) budget() time.Duration {
	if s.Budget > 0 {
		return s.Budget
	}
	return DefaultBudget
}

func (s *Decider) warn(ctx context.Context, msg string, err error) {
	if s.Logger != nil {
		s.Logger.WarnContext(ctx, "degraded decision: "+msg, "error", err)
	}
}

// withBudget runs fn with a deadline, so a slow dependency costs at most the budget.
func withBudget[T any](ctx context.Context, budget time.Duration, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	return fn(ctx)
}

// unavailable is the answer when no catalog could ever be loaded.
func unavailable(req decision.Request, id string, now time.Time) decision.Decision {
	return decision.Decision{
		DecisionID: id, CustomerID: req.CustomerID, Channel: req.Channel, Placement: req.Placement,
		DecidedAt: now, Degraded: true, Actions: []decision.Offer{},
		Silence: &decision.Silence{Reason: decision.SilenceUnavailable, Detail: "the catalog cannot be loaded right now; nothing is offered"},
	}
}

// NewID returns a random 128-bit identifier in hex, for decisions and messages.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	return hex.EncodeToString(b[:])
}
