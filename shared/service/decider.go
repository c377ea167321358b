package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

// DefaultDeadline bounds a decision end to end, from the request to the answer. Past
// it, what has not arrived is done without: the decision is made from what is in
// memory and marked degraded. DECIDE_DEADLINE overrides it.
const DefaultDeadline = 150 * time.Millisecond

// The deadline's shares: reads (catalog, models, profile, weather, challenger, all at
// once) end at 70% of it, the decision-log write at 90%; the rest is the decision's
// own computing and the answer's encoding, with a margin for the runtime.
const (
	readShare  = 0.7
	writeShare = 0.9
)

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
	// Deadline bounds each decision end to end; zero means DefaultDeadline.
	Deadline time.Duration
	// Logger receives the dependency failures a degraded decision hides from callers.
	Logger *slog.Logger
}

// Decide validates the request, loads the customer, decides and logs the decision,
// within the Decider's deadline.
//
// A dependency blip never becomes an error for the caller, and never holds the answer
// past the deadline. Without a fresh catalog or models the cached ones serve (a cache
// that is due reloads in the background if the reload is slow); without any models
// the priors serve; without the profile the decision is made from the context alone;
// a failed or late decision-log write leaves the decision valid but unattributable.
// Each of these marks the answer "degraded". Only when no catalog was ever loaded is
// the answer silence ("unavailable"), since without a catalog there is nothing to
// offer.
func (s *Decider) Decide(ctx context.Context, req decision.Request) (decision.Decision, error) {
	deadline := s.deadline()
	reads, cancelReads := context.WithTimeout(ctx, time.Duration(float64(deadline)*readShare))
	defer cancelReads()
	writes, cancelWrites := context.WithTimeout(ctx, time.Duration(float64(deadline)*writeShare))
	defer cancelWrites()

	// The models load while the catalog does; the rest needs the catalog.
	modelsLoad := start(reads, s.Models.Get)
	catalog, err := s.Catalog.Get(reads)
	if err != nil {
		if err := req.ValidateShape(); err != nil {
			return decision.Decision{}, err
		}
		s.warn(ctx, "no catalog", err)
		return unavailable(req, s.NewID(), s.Now()), nil
	}
	if err := catalog.ValidateRequest(&req); err != nil {
		return decision.Decision{}, err
	}
	degraded := s.Catalog.Stale() != nil
	now := s.Now()
	profileLoad := start(reads, func(ctx context.Context) (decision.Profile, error) {
		return s.Customers.LoadCustomer(ctx, req.CustomerID, now.Add(-catalog.HistoryWindow()))
	})
	weatherLoad := start(reads, func(ctx context.Context) (decision.ContextFeed, error) {
		return weatherFor(ctx, catalog, s.Weather)
	})
	challengerLoad := start(reads, func(ctx context.Context) (*decision.Catalog, error) {
		return s.Challengers.For(ctx, catalog)
	})

	models, err := await(reads, modelsLoad)
	if err != nil {
		s.warn(ctx, "no models; deciding from priors", err)
		models, degraded = nil, true
	}
	degraded = degraded || s.Models.Stale() != nil
	profile, err := await(reads, profileLoad)
	if err != nil {
		s.warn(ctx, "profile unavailable; deciding from the context alone", err)
		profile, degraded = decision.Profile{CustomerID: req.CustomerID}, true
	}
	weather, err := await(reads, weatherLoad)
	if err != nil {
		s.warn(ctx, "weather unavailable; deciding without it", err)
		weather = nil
	}
	challenger, err := await(reads, challengerLoad)
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
	_, err = await(writes, start(writes, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Log.PutDecision(ctx, logged)
	}))
	if err != nil {
		s.warn(ctx, "decision not logged; responses to it cannot be attributed", err)
		degraded = true
	}
	// Checked first: most decisions hold no one out of an uplift catalog, and they
	// should not pay for a goroutine they do not use.
	if err == nil && s.Baseline != nil && catalog.TeachesBaseline(logged) {
		if _, err := await(writes, start(writes, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, teachBaseline(ctx, s.Baseline, catalog, logged, false, now, models)
		})); err != nil {
			// The customer's answer does not depend on it; the baseline misses one count.
			s.warn(ctx, "held-out decision not counted in the baseline", err)
		}
	}
	d.Degraded = degraded
	return d, nil
}

func (s *Decider) deadline() time.Duration {
	if s.Deadline > 0 {
		return s.Deadline
	}
	return DefaultDeadline
}

func (s *Decider) warn(ctx context.Context, msg string, err error) {
	if s.Logger != nil {
		s.Logger.WarnContext(ctx, "degraded decision: "+msg, "error", err)
	}
}

// result is what a dependency call started with start returned.
type result[T any] struct {
	value T
	err   error
}

// start runs fn on its own goroutine, so that calls to different dependencies overlap
// and a caller can stop waiting for one at its deadline (see await).
func start[T any](ctx context.Context, fn func(context.Context) (T, error)) <-chan result[T] {
	out := make(chan result[T], 1)
	go func() {
		v, err := fn(ctx)
		out <- result[T]{v, err}
	}()
	return out
}

// await waits for a started call until ctx ends. Even a dependency that ignored its
// context cannot hold the caller past the deadline: its late result is dropped.
func await[T any](ctx context.Context, call <-chan result[T]) (T, error) {
	select {
	case r := <-call:
		return r.value, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("no answer within the deadline: %w", ctx.Err())
	}
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
