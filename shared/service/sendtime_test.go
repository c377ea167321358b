package service_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

func TestBestSendTimeSchedulesAndSenderDefers(t *testing.T) {
	ctx := context.Background()
	clicksAt := func(id string, hour int) decision.Profile {
		p := profile(id, "sms")
		for day := 1; day <= 2; day++ {
			p.History = append(p.History, decision.ContactEvent{At: time.Date(2026, 11, 23-day, hour, 5, 0, 0, time.UTC),
				Kind: decision.KindResponse, ActionID: "fibre-upgrade", Channel: "sms", Outcome: "click"})
		}
		return p
	}
	s := newMemStore(t, clicksAt("C1", 18), clicksAt("C2", 11), profile("C3", "sms"))
	clk := &clock{t: time.Date(2026, 11, 23, 10, 50, 0, 0, time.UTC)}
	p := newPlanner(s, clk)
	p.BestSendTime = true
	sum, err := p.Run(ctx, "r1", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"now": 1, "delayed": 1, "later": 1}; !maps.Equal(sum.Timing, want) {
		t.Errorf("Run timing = %v, want %v", sum.Timing, want)
	}
	byCustomer := map[string]service.OutboundMessage{}
	for _, m := range s.queued["sms"] {
		byCustomer[m.CustomerID] = m
	}
	tests := []struct {
		customer  string
		wantAt    time.Time
		wantDelay int32
	}{
		{"C1", time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), 900},
		{"C2", time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), 600},
		{"C3", time.Time{}, 0},
	}
	for _, tt := range tests {
		m := byCustomer[tt.customer]
		if !m.SendAt.Equal(tt.wantAt) || m.DelaySeconds != tt.wantDelay {
			t.Errorf("message to %s: sendAt %v, delay %d s; want %v, %d s", tt.customer, m.SendAt, m.DelaySeconds, tt.wantAt, tt.wantDelay)
		}
	}

	provider := &recordingProvider{}
	sender := newSender(s, clk, map[string]service.Provider{"sms": provider})
	sender.Defer = s
	early := byCustomer["C1"]
	s.queued = map[string][]service.OutboundMessage{}
	if got, err := sender.Send(ctx, early); err != nil || got.Status != service.Deferred || len(s.queued["sms"]) != 1 || s.queued["sms"][0].DelaySeconds != 900 {
		t.Errorf("Send(due at 18:00) at 10:50 = %+v, %v, requeued %+v; want deferred by 900 s", got, err, s.queued["sms"])
	}
	clk.t = time.Date(2026, 11, 23, 17, 59, 30, 0, time.UTC)
	if got, err := sender.Send(ctx, early); err != nil || got.Status != service.Delivered || len(provider.got) != 1 {
		t.Errorf("Send(due at 18:00) at 17:59:30 = %+v, %v; want delivered, early by less than the tolerance", got, err)
	}
}

// addressProvider refuses deliveries without an address, as SES and SNS do.
type addressProvider struct{ got []string }

func (p *addressProvider) Deliver(_ context.Context, d service.Delivery) error {
	if d.Address == "" {
		return service.ErrNoAddress
	}
	p.got = append(p.got, d.Address)
	return nil
}

func TestSenderAddressesFromTheProfile(t *testing.T) {
	ctx := context.Background()
	withAddress := profile("C1", "email")
	withAddress.Attributes["email"] = "ada@example.com"
	s := newMemStore(t, withAddress, profile("C2", "email"))
	clk := &clock{t: t0}
	provider := &addressProvider{}
	sender := newSender(s, clk, map[string]service.Provider{"email": provider})
	tests := []struct {
		customer   string
		wantStatus string
		wantReason string
	}{
		{"C1", service.Delivered, ""},
		{"C2", service.Skipped, service.SilenceNoAddress},
	}
	for _, tt := range tests {
		m := service.OutboundMessage{DecisionID: "d-" + tt.customer, CustomerID: tt.customer, ActionID: "loyalty-bonus", TreatmentID: "loyalty-bonus-email", Channel: "email"}
		s.decisions[m.DecisionID] = decision.LoggedDecision{DecisionID: m.DecisionID, CustomerID: m.CustomerID, Channel: m.Channel, DecidedAt: t0,
			ExpiresAt: t0.Add(time.Hour), Offers: []decision.LoggedOffer{{ActionID: m.ActionID, TreatmentID: m.TreatmentID}}}
		if got, err := sender.Send(ctx, m); err != nil || got.Status != tt.wantStatus || got.Reason != tt.wantReason {
			t.Errorf("Send(to %s) = %+v, %v; want %s %s", tt.customer, got, err, tt.wantStatus, tt.wantReason)
		}
	}
	if len(provider.got) != 1 || provider.got[0] != "ada@example.com" {
		t.Errorf("addresses delivered to = %v, want [ada@example.com]", provider.got)
	}
}

// memLeases holds send leases in memory.
type memLeases map[string]time.Time

func (m memLeases) ClaimSend(_ context.Context, id string, now, until time.Time) (bool, error) {
	if end, held := m[id]; held && !end.Before(now) {
		return false, nil
	}
	m[id] = until
	return true, nil
}

func (m memLeases) ReleaseSend(_ context.Context, id string) error {
	delete(m, id)
	return nil
}

func TestSenderLeaseTurnsAwayASecondCopy(t *testing.T) {
	ctx := context.Background()
	s, clk, msg := plannedEmail(t)
	leases := memLeases{}
	provider := &recordingProvider{}
	sender := newSender(s, clk, map[string]service.Provider{"email": provider})
	sender.Leases = leases

	// Another copy of the message holds the lease: this one is turned away, to come back.
	leases[msg.DecisionID] = t0.Add(time.Minute)
	if got, err := sender.Send(ctx, msg); err == nil || len(provider.got) != 0 {
		t.Errorf("Send(while another copy holds the lease) = %+v, %v, %d deliveries; want an error and none", got, err, len(provider.got))
	}
	// The holder died: once its lease ends, the copy delivers.
	clk.t = t0.Add(2 * time.Minute)
	if got, err := sender.Send(ctx, msg); err != nil || got.Status != service.Delivered || len(provider.got) != 1 {
		t.Errorf("Send(after the lease ended) = %+v, %v; want delivered once", got, err)
	}
	// A failed delivery gives the lease up at once.
	failing := *sender
	failing.Providers = map[string]service.Provider{"sms": &failingProvider{errors.New("gateway down")}}
	other := s.queued["sms"][0]
	if _, err := failing.Send(ctx, other); err == nil {
		t.Fatal("Send with a failing provider = nil error, want an error")
	}
	if _, held := leases[other.DecisionID]; held {
		t.Error("a failed delivery kept its lease, want it released")
	}
}
