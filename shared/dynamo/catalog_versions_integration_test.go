//go:build integration

package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// twoCatalogs returns the test catalog and a copy with one action fewer.
func twoCatalogs(t *testing.T) (v1, v2 []byte) {
	t.Helper()
	src, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "          - id: loyalty-points")
	end := strings.Index(string(src), "  - id: growth")
	if start < 0 || end < start {
		t.Fatal("testdata/catalog.yaml changed: loyalty-points not found before the growth issue")
	}
	return src, []byte(string(src[:start]) + string(src[end:]))
}

func TestCatalogVersionsPublishRollbackPublish(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1src, v2src := twoCatalogs(t)

	publish := func(src []byte, want string) {
		t.Helper()
		got, err := s.PublishCatalog(ctx, src, now)
		if err != nil || got != want {
			t.Fatalf("PublishCatalog() = %q, %v; want version %s", got, err, want)
		}
	}
	versions := func() string {
		t.Helper()
		vs, err := s.ListCatalogVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vs {
			p := v.Version
			if !v.PublishedAt.Equal(now) {
				p += " published " + v.PublishedAt.String()
			}
			if v.Live {
				p += " live"
			}
			if v.RolledBackFrom != "" {
				p += fmt.Sprintf(" (rolled back from %s at %s)", v.RolledBackFrom, v.RolledBackAt.Format("15:04"))
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, ", ")
	}
	load := func(wantVersion string, wantActions int) {
		t.Helper()
		c, err := s.LoadCatalog(ctx)
		if err != nil || c.Version != wantVersion || c.ActionCount() != wantActions {
			t.Fatalf("LoadCatalog() = %v, %v; want version %s with %d actions", c, err, wantVersion, wantActions)
		}
	}

	if got := versions(); got != "" {
		t.Errorf("ListCatalogVersions() on an empty table = %q, want none", got)
	}
	publish(v1src, "1")
	publish(v2src, "2")
	if got, want := versions(), "1, 2 live"; got != want {
		t.Errorf("ListCatalogVersions() = %q, want %q", got, want)
	}
	load("2", 3)
	for version, want := range map[string][]byte{"1": v1src, "2": v2src} {
		if got, err := s.CatalogSource(ctx, version); err != nil || string(got) != string(want) {
			t.Errorf("CatalogSource(%s) = %d bytes, %v; want the published %d bytes", version, len(got), err, len(want))
		}
	}

	later := now.Add(90 * time.Minute)
	if err := s.RollbackCatalog(ctx, "1", later); err != nil {
		t.Fatalf("RollbackCatalog(1) = %v", err)
	}
	if live, err := s.LiveCatalogVersion(ctx); err != nil || live != "1" {
		t.Errorf("after RollbackCatalog(1): LiveCatalogVersion() = %q, %v; want 1", live, err)
	}
	load("1", 4)
	if got, want := versions(), "1 live (rolled back from 2 at 11:30), 2"; got != want {
		t.Errorf("after the rollback: ListCatalogVersions() = %q, want %q", got, want)
	}

	// Version 2 exists: the next publish is 3, and it clears the rollback record.
	publish(v2src, "3")
	if got, want := versions(), "1, 2, 3 live"; got != want {
		t.Errorf("after publishing again: ListCatalogVersions() = %q, want %q", got, want)
	}
	load("3", 3)
}

func TestCatalogRollbackRefusals(t *testing.T) {
	ctx := context.Background()
	empty := newStore(t)
	if err := empty.RollbackCatalog(ctx, "1", now); decision.ErrorCode(err) != decision.ENotFound {
		t.Errorf("RollbackCatalog(1) with nothing published = %v, want %s", err, decision.ENotFound)
	}
	if _, err := empty.CatalogSource(ctx, "1"); decision.ErrorCode(err) != decision.ENotFound {
		t.Errorf("CatalogSource(1) with nothing published = %v, want %s", err, decision.ENotFound)
	}

	s := newStore(t)
	v1src, v2src := twoCatalogs(t)
	for _, src := range [][]byte{v1src, v2src} {
		if _, err := s.PublishCatalog(ctx, src, now); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		from, to string
		wantCode string // "" for success
	}{
		{"unknown version", "2", "9", decision.ENotFound},
		{"not a number", "2", "v1", decision.EInvalid},
		{"zero", "2", "0", decision.EInvalid},
		{"back to what the caller thinks is live", "1", "1", decision.EConflict},
		{"someone published since", "7", "1", decision.EConflict},
		{"to the live version", "2", "2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.RollbackCatalogFrom(ctx, tt.from, tt.to, now)
			if got := decision.ErrorCode(err); (tt.wantCode == "" && err != nil) || (tt.wantCode != "" && got != tt.wantCode) {
				t.Errorf("RollbackCatalogFrom(%s, %s) = %v, want code %q", tt.from, tt.to, err, tt.wantCode)
			}
			if live, err := s.LiveCatalogVersion(ctx); err != nil || live != "2" {
				t.Errorf("after RollbackCatalogFrom(%s, %s): live version %q, %v; want 2 unchanged", tt.from, tt.to, live, err)
			}
		})
	}
}

// TestConcurrentRollbacks has several operators roll back from the same live version
// at once, each to a different version: exactly one wins, the others get a conflict,
// and the live version is the winner's.
func TestConcurrentRollbacks(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1src, _ := twoCatalogs(t)
	for range 4 {
		if _, err := s.PublishCatalog(ctx, v1src, now); err != nil {
			t.Fatal(err)
		}
	}
	const operators = 6
	errs := make([]error, operators)
	var wg sync.WaitGroup
	for i := range operators {
		wg.Go(func() { errs[i] = s.RollbackCatalogFrom(ctx, "4", fmt.Sprint(1+i%3), now) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("rollbacks %d and %d both succeeded from version 4", winner, i)
		case err == nil:
			winner = i
		case decision.ErrorCode(err) != decision.EConflict:
			t.Errorf("rollback %d = %v, want success or %s", i, err, decision.EConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("no rollback succeeded: %v", errs)
	}
	if live, err := s.LiveCatalogVersion(ctx); err != nil || live != fmt.Sprint(1+winner%3) {
		t.Errorf("LiveCatalogVersion() = %q, %v; want the winner's %d", live, err, 1+winner%3)
	}
}

// TestPublishFromReviewedVersion publishes only over the version the operator
// reviewed the difference from.
func TestPublishFromReviewedVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1src, v2src := twoCatalogs(t)
	if _, err := s.PublishCatalogFrom(ctx, "1", v1src, now); decision.ErrorCode(err) != decision.EConflict {
		t.Errorf("PublishCatalogFrom(1) with nothing published = %v, want %s", err, decision.EConflict)
	}
	if v, err := s.PublishCatalogFrom(ctx, "", v1src, now); err != nil || v != "1" {
		t.Fatalf("PublishCatalogFrom(nothing) = %q, %v; want version 1", v, err)
	}
	tests := []struct {
		name, from string
		wantCode   string // "" for success
	}{
		{"over nothing, when version 1 is live", "", decision.EConflict},
		{"over a version that is not live", "7", decision.EConflict},
		{"over the live version", "1", ""},
	}
	for _, tt := range tests {
		live, _ := s.LiveCatalogVersion(ctx)
		v, err := s.PublishCatalogFrom(ctx, tt.from, v2src, now)
		after, _ := s.LiveCatalogVersion(ctx)
		switch {
		case tt.wantCode != "" && (decision.ErrorCode(err) != tt.wantCode || after != live):
			t.Errorf("%s: PublishCatalogFrom(%q) = %q, %v, live %s → %s; want %s and nothing changed", tt.name, tt.from, v, err, live, after, tt.wantCode)
		case tt.wantCode == "" && (err != nil || after != v || v != "2"):
			t.Errorf("%s: PublishCatalogFrom(%q) = %q, %v, live %s; want version 2 live", tt.name, tt.from, v, err, after)
		}
	}
}
