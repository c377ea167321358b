package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Snapshot caches a value that is expensive to load and may be slightly stale, such
// as the catalog or the models' counters, so that decisions read it from memory.
//
// Get reloads the value once it is older than MaxAge, and waits for the reload only
// as long as its caller's context allows: a reload still running when the caller's
// deadline comes goes on in the background (one at a time) and lands for a later
// call, while the last good value serves. A reload that fails keeps serving the last
// good value too (and reports the failure through Stale), so a dependency blip or a
// slow table never takes decisions down nor holds one past its deadline. Lambda
// freezes a function between invocations; a background reload then resumes with the
// next invocation, or fails and is tried again.
type Snapshot[T any] struct {
	load   func(ctx context.Context, previous T) (T, error)
	maxAge time.Duration
	now    func() time.Time

	mu       sync.Mutex
	value    T
	loadedAt time.Time
	loaded   bool
	lastErr  error
	// reloading is closed when the reload in flight ends; nil when none is.
	reloading chan struct{}
}

// reloadTimeout bounds a reload that outlived its caller: long enough for a large
// models table, short enough that a hung connection is given up.
const reloadTimeout = 30 * time.Second

// retryAfterFailure is how soon a reload that failed is tried again: answers are
// marked degraded until one succeeds, so they are whole again within about this long
// after the store recovers.
const retryAfterFailure = time.Second

// errReloadPending is what Stale reports while a reload outlives its callers.
var errReloadPending = errors.New("a reload is still running; the previous value serves meanwhile")

// NewSnapshot caches load's result for maxAge. load gets the previous value so it can
// keep it when nothing changed (a catalog whose live version is unchanged).
func NewSnapshot[T any](maxAge time.Duration, now func() time.Time, load func(ctx context.Context, previous T) (T, error)) *Snapshot[T] {
	return &Snapshot[T]{load: load, maxAge: maxAge, now: now}
}

// Get returns the cached value, reloading it first when it is older than MaxAge, for
// as long as ctx allows. It fails only when no value has ever been loaded.
func (s *Snapshot[T]) Get(ctx context.Context) (T, error) {
	s.mu.Lock()
	if s.loaded && s.now().Sub(s.loadedAt) < s.maxAge {
		defer s.mu.Unlock()
		return s.value, nil
	}
	done := s.reloading
	if done == nil {
		done = make(chan struct{})
		s.reloading = done
		go s.reload(context.WithoutCancel(ctx), s.value, done)
	}
	s.mu.Unlock()
	var waited error
	select {
	case <-done:
	case <-ctx.Done():
		waited = ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.loaded:
		return s.value, nil
	case waited != nil:
		return s.value, fmt.Errorf("first load not finished: %w", waited)
	default:
		return s.value, s.lastErr
	}
}

// reload loads a new value and keeps it, or keeps the failure for Stale.
func (s *Snapshot[T]) reload(ctx context.Context, previous T, done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	v, err := s.load(ctx, previous)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.lastErr = err
	switch {
	case err == nil:
		s.value, s.loadedAt, s.loaded = v, now, true
	case s.loaded:
		// Try again in retryAfterFailure (or MaxAge, if shorter) rather than hammering
		// a failing store, or waiting a whole MaxAge once it is back.
		s.loadedAt = now.Add(min(retryAfterFailure, s.maxAge) - s.maxAge)
	}
	s.reloading = nil
	close(done)
}

// Stale reports why the value served may be out of date: the error of the last reload
// attempt, or a reload still running; nil when the last reload succeeded.
func (s *Snapshot[T]) Stale() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reloading != nil && s.loaded {
		return errReloadPending
	}
	return s.lastErr
}
