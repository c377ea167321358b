package customers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// ProfileStore is what the import reads and writes (*dynamo.Store).
type ProfileStore interface {
	GetProfiles(ctx context.Context, customerIDs []string) (map[string]service.StoredProfile, error)
	WriteProfiles(ctx context.Context, profiles []service.StoredProfile) error
}

// Counts are what an import did.
type Counts struct {
	// Read is the number of rows read (rejected ones included).
	Read int `json:"read"`
	// Written rows created or changed a profile.
	Written int `json:"written"`
	// Unchanged rows matched the stored profile already; nothing was written.
	Unchanged int `json:"unchanged"`
	// Rejected rows were not imported; each is in the rejects with its reason.
	Rejected int `json:"rejected"`
}

// Reject is a row that was not imported, and why.
type Reject struct {
	Line       int    `json:"line"`
	CustomerID string `json:"customerId,omitempty"`
	Reason     string `json:"reason"`
}

// Importer loads a customer file into the profile store: every row is validated
// against the live catalog, merged into the customer's stored profile, and written
// only if that changed it, so importing the same file twice changes nothing.
type Importer struct {
	Catalog *decision.Catalog
	Mapping *Mapping
	Store   ProfileStore
	Now     func() time.Time
	// Workers write batches concurrently (8 when zero); BatchSize rows are read and
	// written together (100 when zero, the most one BatchGetItem reads).
	Workers   int
	BatchSize int
	// Rejected receives each rejected row, in file order.
	Rejected func(Reject) error
	// Progress is called after each batch with the counts so far.
	Progress func(Counts)
}

// pending is a row that passed validation, waiting for its batch.
type pending struct {
	line   int
	id     string
	update decision.ProfileUpdate
}

// Run imports every row of r, a file of the mapping's format. A row is written whole
// or not at all; if the store fails past its retries, Run stops and returns the error
// with the counts so far, and running the same file again finishes the job.
func (im *Importer) Run(ctx context.Context, r io.Reader) (Counts, error) {
	workers, size := im.Workers, im.BatchSize
	if workers <= 0 {
		workers = 8
	}
	if size <= 0 || size > 100 {
		size = 100
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		mu     sync.Mutex
		counts Counts
	)
	addCounts := func(written, unchanged int) {
		mu.Lock()
		counts.Written += written
		counts.Unchanged += unchanged
		snapshot := counts
		mu.Unlock()
		if im.Progress != nil {
			im.Progress(snapshot)
		}
	}
	batches := make(chan []pending)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for batch := range batches {
				written, unchanged, err := im.write(ctx, batch)
				if err != nil {
					cancel(err)
					continue // drain, so the reader is never stuck
				}
				addCounts(written, unchanged)
			}
		})
	}

	seen := map[string]int{} // customer id → the line it was first read on
	var batch []pending
	reject := func(l int, id, reason string) error {
		mu.Lock()
		counts.Rejected++
		mu.Unlock()
		if im.Rejected == nil {
			return nil
		}
		return im.Rejected(Reject{Line: l, CustomerID: id, Reason: reason})
	}
	readErr := im.read(r, func(l line) error {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		mu.Lock()
		counts.Read++
		mu.Unlock()
		if l.err != nil {
			return reject(l.number, "", l.err.Error())
		}
		id, u, err := im.Mapping.row(im.Catalog, l.record)
		if err == nil {
			if err = im.Catalog.ValidateUpdate(&u); err != nil {
				err = errors.New(decision.ErrorMessage(err))
			}
		}
		if err != nil {
			return reject(l.number, id, err.Error())
		}
		if first, dup := seen[id]; dup {
			return reject(l.number, id, fmt.Sprintf("customer %s already appears on line %d; a file holds each customer once", id, first))
		}
		seen[id] = l.number
		batch = append(batch, pending{line: l.number, id: id, update: u})
		if len(batch) == size {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			batch = nil
		}
		return nil
	})
	if readErr == nil && len(batch) > 0 {
		select {
		case batches <- batch:
		case <-ctx.Done():
		}
	}
	close(batches)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return counts, err
	}
	return counts, readErr
}

func (im *Importer) read(r io.Reader, fn func(line) error) error {
	if im.Mapping.Format == FormatJSONL {
		return readJSONL(r, fn)
	}
	required := []string{im.Mapping.CustomerID.Column}
	for _, f := range im.Mapping.Attributes {
		if f.Column != "" {
			required = append(required, f.Column)
		}
	}
	for _, f := range im.Mapping.Consents {
		if f.Column != "" {
			required = append(required, f.Column)
		}
	}
	if im.Mapping.TimeZone.Column != "" {
		required = append(required, im.Mapping.TimeZone.Column)
	}
	return readCSV(r, []rune(im.Mapping.Delimiter)[0], required, fn)
}

// write merges a batch into the stored profiles and writes those it changed.
func (im *Importer) write(ctx context.Context, batch []pending) (written, unchanged int, err error) {
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.id
	}
	stored, err := im.Store.GetProfiles(ctx, ids)
	if err != nil {
		return 0, 0, err
	}
	now := im.Now()
	retention := im.Catalog.ProfileRetention()
	var changed []service.StoredProfile
	for _, p := range batch {
		sp, ok := stored[p.id]
		if !ok {
			sp = service.StoredProfile{Profile: decision.Profile{CustomerID: p.id}}
		}
		if !p.update.Apply(&sp.Profile) {
			unchanged++
			continue
		}
		sp.Version++
		sp.UpdatedAt = now
		if retention > 0 {
			sp.ExpiresAt = now.Add(retention)
		}
		changed = append(changed, sp)
	}
	if len(changed) == 0 {
		return 0, unchanged, nil
	}
	if err := im.Store.WriteProfiles(ctx, changed); err != nil {
		return 0, 0, err
	}
	return len(changed), unchanged, nil
}
