package service_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// memStore is an in-memory stand-in for the DynamoDB store, satisfying every store
// interface of the service package.
type memStore struct {
	mu        sync.Mutex
	catalog   *decision.Catalog
	profiles  map[string]decision.Profile
	decisions map[string]decision.LoggedDecision
	claims    map[string]bool
	// counters are kept as a store keeps them: impressions and successes.
	counters map[decision.ModelKey]map[adaptive.Key]int64
	queued   map[string][]service.OutboundMessage
	failLoad error
	// profileHangs makes LoadCustomer hang until its context ends, as a read from an
	// unreachable DynamoDB does; profileGaveUp then records why it ended.
	profileHangs  bool
	profileGaveUp error
	failLog       error
	// hang, when set, makes every read and write of the catalog, the models, the
	// profile and the decision log block until it is closed, deaf to its context, as
	// a call stuck in a network stack would.
	hang chan struct{}
}

// profileReadEnded waits for a hanging profile read to end (Decide stops waiting for
// it at the deadline, and the read notices the same deadline a moment later) and
// returns why it ended; nil if it has not within a second.
func (s *memStore) profileReadEnded() error {
	for range 100 {
		s.mu.Lock()
		err := s.profileGaveUp
		s.mu.Unlock()
		if err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func (s *memStore) wait() {
	if s.hang != nil {
		<-s.hang
	}
}

var (
	_ service.CustomerReader      = (*memStore)(nil)
	_ service.CustomerScanner     = (*memStore)(nil)
	_ service.DecisionWriter      = (*memStore)(nil)
	_ service.DecisionBatchWriter = (*memStore)(nil)
	_ service.DecisionReader      = (*memStore)(nil)
	_ service.ResponseWriter      = (*memStore)(nil)
	_ service.ResponseChecker     = (*memStore)(nil)
	_ service.CatalogSource       = (*memStore)(nil)
	_ service.ModelSource         = (*memStore)(nil)
	_ service.Outbox              = (*memStore)(nil)
	_ service.BaselineLearner     = (*memStore)(nil)
)

func newMemStore(t *testing.T, profiles ...decision.Profile) *memStore {
	t.Helper()
	data, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := decision.ParseCatalog("catalog.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	c.Version = "1"
	s := &memStore{catalog: c, profiles: map[string]decision.Profile{}, decisions: map[string]decision.LoggedDecision{},
		claims: map[string]bool{}, counters: map[decision.ModelKey]map[adaptive.Key]int64{}, queued: map[string][]service.OutboundMessage{}}
	for _, p := range profiles {
		s.profiles[p.CustomerID] = p
	}
	return s
}

func (s *memStore) LoadCustomer(ctx context.Context, id string, since time.Time) (decision.Profile, error) {
	s.wait()
	if s.profileHangs {
		<-ctx.Done()
		s.mu.Lock()
		s.profileGaveUp = ctx.Err()
		s.mu.Unlock()
		return decision.Profile{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[id]
	if !ok {
		return decision.Profile{CustomerID: id}, nil
	}
	var recent []decision.ContactEvent
	for _, e := range p.History {
		if !e.At.Before(since) {
			recent = append(recent, e)
		}
	}
	p.History = recent
	return p, nil
}

func (s *memStore) ScanCustomers(ctx context.Context, segment, total int, since time.Time, fn func(decision.Profile) error) error {
	s.mu.Lock()
	var ids []string
	for id := range s.profiles {
		if int(id[len(id)-1])%total == segment {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		p, _ := s.LoadCustomer(ctx, id, since)
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) PutDecision(_ context.Context, d decision.LoggedDecision) error {
	s.wait()
	if s.failLog != nil {
		return s.failLog
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decisions[d.DecisionID] = d
	return nil
}

func (s *memStore) PutDecisions(ctx context.Context, ds []decision.LoggedDecision) error {
	for _, d := range ds {
		_ = s.PutDecision(ctx, d)
	}
	return nil
}

func (s *memStore) GetDecision(_ context.Context, id string, now time.Time) (decision.LoggedDecision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.decisions[id]
	if !ok || now.After(d.ExpiresAt) {
		return decision.LoggedDecision{}, decision.Errorf(decision.ENotFound, "decision %s is unknown", id)
	}
	return d, nil
}

func (s *memStore) RecordResponse(_ context.Context, a decision.Attribution, _ time.Time) (service.Applied, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	claim := a.DecisionID + "#" + a.Claim
	if s.claims[claim] {
		return service.Applied{Duplicate: true}, nil
	}
	s.claims[claim] = true
	learned := len(a.Learn) > 0
	if a.LearnClaim != "" {
		learnClaim := a.DecisionID + "#" + a.LearnClaim
		learned = learned && !s.claims[learnClaim]
		s.claims[learnClaim] = true
	}
	if s.counters[a.Model] == nil {
		s.counters[a.Model] = map[adaptive.Key]int64{}
	}
	if learned {
		for _, inc := range a.Learn {
			s.counters[a.Model][inc.Key] += inc.N
		}
	}
	p := s.profiles[a.CustomerID]
	p.History = append(p.History, a.Contact)
	if a.WithdrawConsent != "" && p.Consents != nil {
		p.Consents[a.WithdrawConsent] = false
	}
	s.profiles[a.CustomerID] = p
	return service.Applied{Learned: learned}, nil
}

func (s *memStore) LearnOnce(_ context.Context, _, claimID string, key decision.ModelKey, delta adaptive.Delta, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claims[claimID] {
		return true, nil
	}
	s.claims[claimID] = true
	if s.counters[key] == nil {
		s.counters[key] = map[adaptive.Key]int64{}
	}
	for _, inc := range delta {
		s.counters[key][inc.Key] += inc.N
	}
	return false, nil
}

func (s *memStore) ImpressionRecorded(_ context.Context, decisionID, actionID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims[decisionID+"#"+decision.ImpressionClaim(actionID)], nil
}

func (s *memStore) LiveCatalogVersion(context.Context) (string, error) {
	s.wait()
	return s.catalog.Version, s.failLoad
}
func (s *memStore) LoadCatalog(context.Context) (*decision.Catalog, error) {
	s.wait()
	return s.catalog, s.failLoad
}

func (s *memStore) LoadModels(_ context.Context, at time.Time) (*decision.Models, error) {
	s.wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	states := make(map[decision.ModelKey]*adaptive.State, len(s.counters))
	for k, c := range s.counters {
		states[k] = adaptive.StateFromImpressions(c)
	}
	return decision.NewModels(states, at), s.failLoad
}

// totals returns a model's impressions and successes.
func (s *memStore) totals(k decision.ModelKey) (impressions, successes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters[k][adaptive.Key{Predictor: "*"}], s.counters[k][adaptive.Key{Predictor: "*", Positive: true}]
}

func (s *memStore) Enqueue(_ context.Context, channel string, msgs []service.OutboundMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[channel] = append(s.queued[channel], msgs...)
	return nil
}

// clock is a settable test clock.
// clock is the tests' injected clock. Tests whose calls leave goroutines behind (a
// reload that outlived its caller) move it with set, which is safe beside them.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func profile(id string, consents ...string) decision.Profile {
	p := decision.Profile{CustomerID: id, Known: true, Consents: map[string]bool{},
		Attributes: map[string]any{"firstName": "Ada", "tenureMonths": 36.0, "productsHeld": []any{"mobile"}}}
	for _, ch := range consents {
		p.Consents[ch] = true
	}
	return p
}
