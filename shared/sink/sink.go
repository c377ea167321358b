// Package sink holds the delivery providers that do not reach customers: a file sink
// that records every delivery as a JSON line, for the local demo and tests, and a log
// provider that records deliveries' metadata in the function's log.
package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/nextbest/nextbest/shared/service"
)

var (
	_ service.Provider = (*File)(nil)
	_ service.Provider = (*Log)(nil)
)

// File appends deliveries to a JSON-lines file. Several processes may append to the
// same file: each delivery is one write on a file opened with O_APPEND.
type File struct {
	Path string
	mu   sync.Mutex
}

// Deliver appends the delivery.
func (f *File) Deliver(_ context.Context, d service.Delivery) error {
	line, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode delivery %s: %w", d.MessageID, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	file, err := os.OpenFile(f.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open sink: %w", err)
	}
	if _, err := file.Write(append(line, '\n')); err != nil {
		file.Close()
		return fmt.Errorf("write sink: %w", err)
	}
	return file.Close()
}

// Log records a delivery's ids in the log, never its content or personal data. It is
// the provider of a deployment whose channel providers are not configured yet.
type Log struct {
	Logger *slog.Logger
}

// Deliver logs the delivery.
func (l *Log) Deliver(ctx context.Context, d service.Delivery) error {
	l.Logger.InfoContext(ctx, "delivery (log provider)", "messageId", d.MessageID, "channel", d.Channel,
		"actionId", d.ActionID, "treatmentId", d.TreatmentID)
	return nil
}
