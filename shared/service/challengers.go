package service

import (
	"context"
	"fmt"
	"sync"

	"github.com/nextbest/nextbest/shared/decision"
)

// CatalogVersionSource reads the source of a published catalog version.
type CatalogVersionSource interface {
	CatalogSource(ctx context.Context, version string) ([]byte, error)
}

// Challengers loads the catalog versions that challengers decide with (see
// decision.Challenger). A published version never changes, so each is loaded and
// compiled once per function instance.
type Challengers struct {
	Source CatalogVersionSource

	mu        sync.Mutex
	byVersion map[string]*decision.Catalog
}

// For returns the challenger catalog of the live catalog, or nil when its challenger
// replaces settings (the catalog compiled it already) or there is none.
func (c *Challengers) For(ctx context.Context, live *decision.Catalog) (*decision.Catalog, error) {
	version := live.ChallengerVersion()
	if c == nil || version == "" {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cat, ok := c.byVersion[version]; ok {
		return cat, nil
	}
	src, err := c.Source.CatalogSource(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("challenger catalog version %s: %w", version, err)
	}
	cat, err := decision.ParseCatalog("version "+version, src)
	if err != nil {
		return nil, fmt.Errorf("challenger catalog version %s: %w", version, err)
	}
	cat.Version = version
	if c.byVersion == nil {
		c.byVersion = map[string]*decision.Catalog{}
	}
	c.byVersion[version] = cat
	return cat, nil
}
