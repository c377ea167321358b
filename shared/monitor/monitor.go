// Package monitor reports on the adaptive models: per model its evidence, positives,
// success rate, AUC, calibration table and predictors, as a text table for operators
// (`nextbest models report`) and as CloudWatch Embedded Metric Format lines for the logs, from
// which CloudWatch extracts metrics to graph and alarm on. It does no I/O of its own
// beyond the writer it is given. See docs/monitoring.md.
package monitor

import (
	"cmp"
	"slices"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

// ModelReport is the report of one model.
type ModelReport struct {
	Model decision.ModelKey
	adaptive.ModelReport
}

// AllChannels stands for the channel of a model shared by every channel (a catalog
// with perChannel: false keeps those under an empty channel), since a CloudWatch
// dimension value cannot be empty.
const AllChannels = "*"

// Channel returns the report's channel, AllChannels for a model shared by every channel.
func (r ModelReport) Channel() string {
	if r.Model.Channel == "" {
		return AllChannels
	}
	return r.Model.Channel
}

// Name returns "action/channel", the name the report command's -model flag takes.
func (r ModelReport) Name() string { return r.Model.ActionID + "/" + r.Channel() }

// AUCDefined reports whether the AUC means anything: it needs both positives and
// negatives, and is a placeholder 0.5 otherwise.
func (r ModelReport) AUCDefined() bool { return r.Positives > 0 && r.Positives < r.Evidence }

// Reports compiles every model with counters as the catalog configures it, at the time
// the counters were loaded, and reports on it; sorted by model name. Models of actions
// that have left the catalog are skipped: no decision uses them any more, and without
// the action there is no configuration to read their counters with.
func Reports(c *decision.Catalog, m *decision.Models) []ModelReport {
	var out []ModelReport
	for _, k := range m.Keys() {
		cfg, ok := c.ModelConfig(k.ActionID)
		if !ok {
			continue
		}
		model, err := adaptive.New(cfg, m.State(k))
		if err != nil {
			continue // Unreachable: the catalog validated the configuration when it was compiled.
		}
		out = append(out, ModelReport{Model: k, ModelReport: model.Snapshot(m.At()).Report()})
	}
	slices.SortFunc(out, func(a, b ModelReport) int {
		return cmp.Or(cmp.Compare(a.Model.ActionID, b.Model.ActionID), cmp.Compare(a.Model.Channel, b.Model.Channel))
	})
	return out
}
