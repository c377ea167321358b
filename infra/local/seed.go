package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
)

// FixtureCustomer is the customer the sample events in events/ refer to. Seeding gives
// it every consent and no recent contacts, so the sample send-message event delivers.
const FixtureCustomer = "C000001"

// fixtureDecisions are the logged decisions the sample events in events/ answer, so
// that `sam local invoke -e events/record-response.json` (or the emulator) works
// against a freshly seeded stack. They are dated at the sample events' time, so the
// environment's clock must read a later instant, and kept for 30 days from seeding.
func fixtureDecisions(now time.Time) []decision.LoggedDecision {
	offer := func(action, treatment string) []decision.LoggedOffer {
		return []decision.LoggedOffer{{ActionID: action, TreatmentID: treatment, Propensity: 0.03, Priority: 0.9}}
	}
	decided := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	expires := now.Add(30 * 24 * time.Hour)
	return []decision.LoggedDecision{
		{DecisionID: "demo-web-0001", CustomerID: FixtureCustomer, Channel: "web", DecidedAt: decided, ExpiresAt: expires, Offers: offer("app-download", "app-download-web")},
		{DecisionID: "demo-email-0001", CustomerID: FixtureCustomer, Channel: "email", DecidedAt: decided, ExpiresAt: expires, Offers: offer("app-download", "app-download-email")},
	}
}

// Seed validates and publishes the catalog at catalogPath, loads n synthetic customers
// from the documented generator (package seed) and writes the sample events' fixtures,
// all dated by the environment's clock. It returns the published catalog.
func (e *Env) Seed(ctx context.Context, catalogPath string, n int, generatorSeed uint64) (*decision.Catalog, error) {
	source, err := os.ReadFile(catalogPath)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	return e.SeedCatalog(ctx, filepath.Base(catalogPath), source, n, generatorSeed)
}

// SeedCatalog is Seed with the catalog's source given, for tests that publish a
// variant of a catalog file.
func (e *Env) SeedCatalog(ctx context.Context, name string, source []byte, n int, generatorSeed uint64) (*decision.Catalog, error) {
	now := e.Now()
	catalog, err := decision.ParseCatalog(name, source)
	if err != nil {
		return nil, err
	}
	version, err := e.Store.PublishCatalog(ctx, source, now)
	if err != nil {
		return nil, err
	}
	catalog.Version = version
	e.opts.Progress("published catalog %q version %s: %d actions", catalog.Name, version, catalog.ActionCount())

	profiles := seed.Profiles(generatorSeed, n, now)
	if len(profiles) > 0 && profiles[0].CustomerID == FixtureCustomer {
		profiles[0].Consents = map[string]bool{"email": true, "sms": true, "push": true}
		profiles[0].History = nil
	}
	if err := e.putProfiles(ctx, profiles); err != nil {
		return nil, err
	}
	e.opts.Progress("loaded %d synthetic customers (generator seed %d)", len(profiles), generatorSeed)
	for _, d := range fixtureDecisions(now) {
		if err := e.Store.PutDecision(ctx, d); err != nil {
			return nil, err
		}
	}
	return catalog, nil
}

// putProfiles writes profiles from a few goroutines; DynamoDB Local answers batch
// writes one at a time per connection, so parallel writers cut seeding time.
func (e *Env) putProfiles(ctx context.Context, profiles []decision.Profile) error {
	const writers = 4
	chunk := (len(profiles) + writers - 1) / writers
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		start, end := w*chunk, min((w+1)*chunk, len(profiles))
		if start >= end {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = e.Store.PutProfiles(ctx, profiles[start:end])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
