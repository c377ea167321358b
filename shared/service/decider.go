package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

// ModelSource serves every model's evidence.
type ModelSource interface {
	LoadModels(ctx context.Context) (*decision.Models, error)
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
		return src.LoadModels(ctx)
	})
}

// Decider answers decision requests.
type Decider struct {
	Catalog   *Snapshot[*decision.Catalog]
	Models    *Snapshot[*decision.Models]
	Customers CustomerReader
	Log       DecisionWriter
	Now       func() time.Time
	NewID     func() string
}

// Decide validates the request, loads the customer, decides and logs the decision.
func (s *Decider) Decide(ctx context.Context, req decision.Request) (decision.Decision, error) {
	catalog, err := s.Catalog.Get(ctx)
	if err != nil {
		return decision.Decision{}, fmt.Errorf("catalog: %w", err)
	}
	if err := catalog.ValidateRequest(&req); err != nil {
		return decision.Decision{}, err
	}
	models, err := s.Models.Get(ctx)
	if err != nil {
		return decision.Decision{}, fmt.Errorf("models: %w", err)
	}
	now := s.Now()
	profile, err := s.Customers.LoadCustomer(ctx, req.CustomerID, now.Add(-catalog.HistoryWindow()))
	if err != nil {
		return decision.Decision{}, err
	}
	d, err := catalog.Decide(decision.Input{Request: req, Profile: profile, Models: models, Now: now, DecisionID: s.NewID()})
	if err != nil {
		return decision.Decision{}, err
	}
	if err := s.Log.PutDecision(ctx, catalog.Log(d)); err != nil {
		return decision.Decision{}, err
	}
	return d, nil
}

// NewID returns a random 128-bit identifier in hex, for decisions and messages.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	return hex.EncodeToString(b[:])
}
