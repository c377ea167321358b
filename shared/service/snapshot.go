package service

import (
	"context"
	"sync"
	"time"
)

// Snapshot caches a value that is expensive to load and may be slightly stale, such
// as the catalog or the models' counters, so that decisions read it from memory.
//
// Lambda freezes a function between invocations, so a background refresher would not
// run reliably; instead Get reloads in the calling invocation once the value is older
// than MaxAge. A reload that fails keeps serving the last good value (and reports the
// failure through Stale), so a dependency blip never takes decisions down.
type Snapshot[T any] struct {
	load   func(ctx context.Context, previous T) (T, error)
	maxAge time.Duration
	now    func() time.Time

	mu       sync.Mutex
	value    T
	loadedAt time.Time
	loaded   bool
	lastErr  error
}

// NewSnapshot caches load's result for maxAge. load gets the previous value so it can
// keep it when nothing changed (a catalog whose live version is unchanged).
func NewSnapshot[T any](maxAge time.Duration, now func() time.Time, load func(ctx context.Context, previous T) (T, error)) *Snapshot[T] {
	return &Snapshot[T]{load: load, maxAge: maxAge, now: now}
}

// Get returns the cached value, reloading it first when it is older than MaxAge. It
// fails only when no value has ever been loaded.
func (s *Snapshot[T]) Get(ctx context.Context) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.loaded && now.Sub(s.loadedAt) < s.maxAge {
		return s.value, nil
	}
	v, err := s.load(ctx, s.value)
	s.lastErr = err
	if err != nil {
		if s.loaded {
			// Try again on the next call rather than hammering a failing store.
			s.loadedAt = now
			return s.value, nil
		}
		return v, err
	}
	s.value, s.loadedAt, s.loaded = v, now, true
	return v, nil
}

// Stale reports the error of the last reload attempt, nil when it succeeded.
func (s *Snapshot[T]) Stale() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}
