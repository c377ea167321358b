package service

import (
	"context"
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// StoredProfile is a customer profile as stored: the profile, the version every write
// increments, when it last changed and when it expires for inactivity (zero: never).
type StoredProfile struct {
	Profile   decision.Profile
	Version   int64
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// ProfileUpdater changes one profile with a read-modify-write that loses no concurrent
// change: apply gets the current profile and reports whether it changed it.
type ProfileUpdater interface {
	UpdateProfile(ctx context.Context, customerID string, now, expiresAt time.Time, apply func(*decision.Profile) bool) (StoredProfile, bool, error)
}

// OutcomeWriter stores an outcome event once per event id and customer, and moves the
// customer's profile expiry (when profileExpiresAt is not zero).
type OutcomeWriter interface {
	PutOutcome(ctx context.Context, e decision.OutcomeEvent, recordedAt, expiresAt, profileExpiresAt time.Time) (duplicate bool, err error)
}

// Ingest takes in what channels and back offices know about customers outside
// decisions: profile changes (a preference centre, a CRM) and business outcomes (a
// purchase in store), validated against the live catalog.
type Ingest struct {
	Catalog  *Snapshot[*decision.Catalog]
	Profiles ProfileUpdater
	Outcomes OutcomeWriter
	// Decisions, Baseline and Models teach the baseline models a positive outcome of
	// a customer held out in the silence group, when the catalog ranks by uplift (see
	// baseline.go); with any of them nil, outcomes teach nothing.
	Decisions HeldOutDecisionReader
	Baseline  BaselineLearner
	Models    *Snapshot[*decision.Models]
	Now       func() time.Time
}

// ProfileUpdated answers a profile update.
type ProfileUpdated struct {
	CustomerID string `json:"customerId"`
	// Created is true when the customer had no profile before.
	Created bool `json:"created"`
	// Changed is false when the update changed nothing (a retry, or values already
	// held); nothing was written then.
	Changed bool  `json:"changed"`
	Version int64 `json:"version"`
}

// UpdateProfile validates an update against the live catalog and applies it to the
// customer's profile, creating the profile if there is none. The next decision for
// the customer reads the new profile: decide caches catalogs and models, not profiles.
//
// A failure of the store is decision.EUnavailable: the update is applied whole or not
// at all, and sending it again is safe.
func (s *Ingest) UpdateProfile(ctx context.Context, customerID string, u decision.ProfileUpdate) (ProfileUpdated, error) {
	updated, err := s.updateProfile(ctx, customerID, u)
	return updated, decision.Unavailable(err, "send the same update again in a moment")
}

func (s *Ingest) updateProfile(ctx context.Context, customerID string, u decision.ProfileUpdate) (ProfileUpdated, error) {
	if err := decision.ValidateID("customerId", customerID); err != nil {
		return ProfileUpdated{}, err
	}
	catalog, err := s.Catalog.Get(ctx)
	if err != nil {
		return ProfileUpdated{}, fmt.Errorf("catalog: %w", err)
	}
	if err := catalog.ValidateUpdate(&u); err != nil {
		return ProfileUpdated{}, err
	}
	now := s.Now()
	created := false
	sp, changed, err := s.Profiles.UpdateProfile(ctx, customerID, now, expiry(now, catalog.ProfileRetention()), func(p *decision.Profile) bool {
		created = !p.Known
		return u.Apply(p)
	})
	if err != nil {
		return ProfileUpdated{}, err
	}
	return ProfileUpdated{CustomerID: customerID, Created: created && changed, Changed: changed, Version: sp.Version}, nil
}

// OutcomeRecorded answers an outcome event.
type OutcomeRecorded struct {
	EventID    string `json:"eventId"`
	CustomerID string `json:"customerId"`
	// Duplicate is true when the event id was already recorded for the customer.
	Duplicate bool `json:"duplicate"`
	// Positive tells whether the event counts as a conversion in lift reports.
	Positive bool `json:"positive"`
}

// RecordOutcome validates an outcome event against the live catalog and stores it
// once, for lift reports to attribute to decisions and control groups. A failure of
// the store is decision.EUnavailable, and a retry with the same eventId counts once.
func (s *Ingest) RecordOutcome(ctx context.Context, e decision.OutcomeEvent) (OutcomeRecorded, error) {
	rec, err := s.recordOutcome(ctx, e)
	return rec, decision.Unavailable(err, "send the same event again (same eventId) in a moment: it counts once")
}

func (s *Ingest) recordOutcome(ctx context.Context, e decision.OutcomeEvent) (OutcomeRecorded, error) {
	catalog, err := s.Catalog.Get(ctx)
	if err != nil {
		return OutcomeRecorded{}, fmt.Errorf("catalog: %w", err)
	}
	now := s.Now()
	if err := catalog.ValidateOutcome(&e, now); err != nil {
		return OutcomeRecorded{}, err
	}
	keep := e.OccurredAt.Add(catalog.Settings.Outcomes.Retention.Std())
	duplicate, err := s.Outcomes.PutOutcome(ctx, e, now, keep, expiry(now, catalog.ProfileRetention()))
	if err != nil {
		return OutcomeRecorded{}, err
	}
	positive := catalog.IsPositiveOutcome(e.Type)
	// Also on a duplicate: a retry after a failure here must still teach the baseline,
	// which counts each held-out decision's success once whatever the retries.
	if positive {
		if err := s.teachBaseline(ctx, catalog, e); err != nil {
			return OutcomeRecorded{}, err
		}
	}
	return OutcomeRecorded{EventID: e.EventID, CustomerID: e.CustomerID, Duplicate: duplicate, Positive: positive}, nil
}

// teachBaseline counts a positive outcome as a success of the baseline model if the
// customer was held out in the silence group within BaselineWindow before it.
func (s *Ingest) teachBaseline(ctx context.Context, catalog *decision.Catalog, e decision.OutcomeEvent) error {
	if s.Decisions == nil || s.Baseline == nil || s.Models == nil || catalog.Settings.Arbitration != decision.ArbitrationUplift {
		return nil
	}
	at := *e.OccurredAt // set by ValidateOutcome
	d, found, err := heldOutBefore(ctx, s.Decisions, catalog, e.CustomerID, at)
	if err != nil || !found {
		return err
	}
	models, err := s.Models.Get(ctx)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	return teachBaseline(ctx, s.Baseline, catalog, d, true, at, models)
}

// expiry is when a profile active now expires, or zero when profiles are kept until
// erased.
func expiry(now time.Time, retention time.Duration) time.Time {
	if retention <= 0 {
		return time.Time{}
	}
	return now.Add(retention)
}

// CustomerData is everything stored about one customer: what an export shows them and
// what an erasure removes.
type CustomerData struct {
	CustomerID string
	// Profile is nil when the customer has no stored profile.
	Profile   *StoredProfile
	History   []decision.ContactEvent
	Outcomes  []decision.OutcomeEvent
	Decisions []decision.LoggedDecision
	// Responses are the claims of the responses recorded for the customer (their ids
	// and reported values), including the deliveries of batch messages.
	Responses []ResponseClaim
}

// ResponseClaim is a recorded response's idempotency claim within its decision (see
// decision.Attribution), or a claim made by the engine itself (a held-out decision
// counted in the baseline), which has no decision.
type ResponseClaim struct {
	DecisionID string   `json:"decisionId,omitempty"`
	Claim      string   `json:"claim"`
	ActionID   string   `json:"actionId,omitempty"`
	Outcome    string   `json:"outcome,omitempty"`
	Value      *float64 `json:"value,omitempty"`
}
