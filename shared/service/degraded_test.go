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
		// The read never returns by itself: only the budget's deadline ends it, so
		// this test would hang, not pass, if the budget were not applied.
		{"profile read hangs: decide from the context within the budget", func(s *memStore, d *service.Decider) {
			s.profileHangs = true
			d.Budget = 50 * time.Millisecond
		}, "", false},
		{"decision log fails", func(s *memStore, _ *service.Decider) { s.failLog = errors.New("throttled") }, "", true},
		{"models never loaded: priors", func(s *memStore, d *service.Decider) {
			d.Models = service.NewModelsSnapshot(failingModels{}, service.DefaultModelsMaxAge, (&clock{t0}).now)
		}, "", true},
		{"catalog never loaded: silence", func(s *memStore, _ *service.Decider) { s.failLoad = errors.New("no table") }, decision.SilenceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemStore(t, profile("C1"))
			d := newDecider(s, &clock{t0})
			tt.setup(s, d)
			got, err := d.Decide(ctx, req)
			if err != nil {
				t.Fatalf("Decide error = %v, want an answer: a dependency blip is never an error", err)
			}
			if s.profileHangs && !errors.Is(s.profileGaveUp, context.DeadlineExceeded) {
				t.Errorf("the hanging profile read ended with %v, want the budget's deadline", s.profileGaveUp)
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

type failingModels struct{}

func (failingModels) LoadModels(context.Context, time.Time) (*decision.Models, error) {
	return nil, errors.New("scan timed out")
}

func TestDecideServesCachedCatalogWhenRefreshFails(t *testing.T) {
	s := newMemStore(t, profile("C1"))
	clk := &clock{t0}
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
