package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

func TestDegradedDecisions(t *testing.T) {
	ctx := context.Background()
	req := decision.Request{CustomerID: "C1", Channel: "web"}
	tests := []struct {
		name        string
		setup       func(s *memStore, d *service.Decider)
		wantSilence string
		wantKnown   bool
	}{
		{"healthy", func(*memStore, *service.Decider) {}, "", true},
		// The read never returns by itself: only the deadline ends it, so this test
		// would hang, not pass, if the deadline were not applied.
		{"profile read hangs: decide from the context within the deadline", func(s *memStore, d *service.Decider) {
			s.profileHangs = true
			d.Deadline = 50 * time.Millisecond
		}, "", false},
		{"decision log fails", func(s *memStore, _ *service.Decider) { s.failLog = errors.New("throttled") }, "", true},
		{"models never loaded: priors", func(s *memStore, d *service.Decider) {
			d.Models = service.NewModelsSnapshot(failingModels{}, service.DefaultModelsMaxAge, (&clock{t: t0}).now)
		}, "", true},
		{"catalog never loaded: silence", func(s *memStore, _ *service.Decider) { s.failLoad = errors.New("no table") }, decision.SilenceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemStore(t, profile("C1"))
			d := newDecider(s, &clock{t: t0})
			tt.setup(s, d)
			got, err := d.Decide(ctx, req)
			if err != nil {
				t.Fatalf("Decide error = %v, want an answer: a dependency blip is never an error", err)
			}
			if gaveUp := s.profileReadEnded(); s.profileHangs && !errors.Is(gaveUp, context.DeadlineExceeded) {
				t.Errorf("the hanging profile read ended with %v, want the deadline", gaveUp)
			}
			silence := ""
			if got.Silence != nil {
				silence = got.Silence.Reason
			}
			wantDegraded := tt.name != "healthy"
			if got.Degraded != wantDegraded || silence != tt.wantSilence || got.KnownCustomer != tt.wantKnown {
				t.Errorf("Decide = degraded %v, silence %q, known %v; want %v, %q, %v", got.Degraded, silence, got.KnownCustomer, wantDegraded, tt.wantSilence, tt.wantKnown)
			}
			if tt.wantSilence == "" && len(got.Actions) == 0 {
				t.Errorf("Decide = no actions, want an answer from what is in memory")
			}
		})
	}
}

// TestDecideAnswersWhenEveryDependencyHangs: both caches are due, and their reloads,
// the profile read and the decision-log write all hang, deaf to their contexts. The
// answer still comes at the deadline, from the cached catalog and models, marked
// degraded; and once the store answers again, the reloads that went on in the
// background land and the next answer is whole.
func TestDecideAnswersWhenEveryDependencyHangs(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, profile("C1"))
	clk := &clock{t: t0}
	d := newDecider(s, clk)
	d.Deadline = 40 * time.Millisecond
	req := decision.Request{CustomerID: "C1", Channel: "web"}
	if got, err := d.Decide(ctx, req); err != nil || got.Degraded {
		t.Fatalf("warm-up Decide = %+v, %v; want a whole answer", got, err)
	}
	release := make(chan struct{})
	s.hang = release
	clk.set(t0.Add(time.Hour)) // both caches are due
	answer := make(chan decision.Decision, 1)
	go func() {
		got, err := d.Decide(ctx, req)
		if err != nil {
			t.Errorf("Decide error = %v, want a degraded answer", err)
		}
		answer <- got
	}()
	var got decision.Decision
	select {
	case got = <-answer:
	case <-time.After(10 * time.Second): // a hang guard, not a speed target
		close(release)
		t.Fatal("Decide did not answer while its dependencies hung")
	}
	if !got.Degraded || len(got.Actions) == 0 || got.KnownCustomer || got.CatalogVersion != "1" {
		t.Errorf("Decide while everything hangs = degraded %v, %d actions, known %v, catalog %q; want a degraded answer from the cached catalog for an unknown customer",
			got.Degraded, len(got.Actions), got.KnownCustomer, got.CatalogVersion)
	}
	close(release) // a closed channel no longer blocks
	// The background reloads end; the decision after them is whole again.
	d.Deadline = 10 * time.Second
	for range 100 {
		if d.Catalog.Stale() == nil && d.Models.Stale() == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, err := d.Decide(ctx, req); err != nil || got.Degraded || !got.KnownCustomer {
		t.Errorf("Decide after the store recovered = degraded %v, known %v, %v; want a whole answer", got.Degraded, got.KnownCustomer, err)
	}
}

type failingModels struct{}

func (failingModels) LoadModels(context.Context, time.Time) (*decision.Models, error) {
	return nil, errors.New("scan timed out")
}

func TestDecideServesCachedCatalogWhenRefreshFails(t *testing.T) {
	s := newMemStore(t, profile("C1"))
	clk := &clock{t: t0}
	d := newDecider(s, clk)
	if _, err := d.Decide(context.Background(), decision.Request{CustomerID: "C1", Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	s.failLoad = errors.New("throttled")
	clk.t = clk.t.Add(time.Hour)
	got, err := d.Decide(context.Background(), decision.Request{CustomerID: "C1", Channel: "web"})
	if err != nil || len(got.Actions) == 0 || !got.Degraded || got.CatalogVersion != "1" {
		t.Errorf("Decide after a failed refresh = %+v, %v; want a degraded answer from catalog version 1", got, err)
	}
}
