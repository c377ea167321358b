package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// Namespace is the CloudWatch namespace of the model metrics.
const Namespace = "nextbest/models"

// The EMF documents follow the CloudWatch embedded metric format specification: a root
// object whose "_aws" member holds the timestamp (milliseconds since the Unix epoch) and
// the metric directives; every dimension and metric a directive names is a member of
// the root, dimensions with string values and metrics with numbers.
type (
	emfDocument struct {
		AWS         emfMetadata `json:"_aws"`
		ActionID    string      `json:"ActionId"`
		Channel     string      `json:"Channel"`
		Evidence    float64     `json:"Evidence"`
		Positives   float64     `json:"Positives"`
		SuccessRate float64     `json:"SuccessRate"`
		// AUC is left out, from the directive too, while it is undefined, so that a
		// model without positives does not publish a misleading 0.5.
		AUC *float64 `json:"AUC,omitempty"`
	}
	emfMetadata struct {
		Timestamp         int64          `json:"Timestamp"`
		CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
	}
	emfDirective struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []emfMetric `json:"Metrics"`
	}
	emfMetric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
)

// WriteEMF writes one embedded-metric-format JSON line per model, stamped now. Written
// to a Lambda function's standard output, each line becomes the metrics Evidence and
// Positives (Count), SuccessRate and AUC (None) in the Namespace, with the dimensions
// ActionId and Channel. Counts, fractional once a model's memory decays, are rounded
// to 2 decimal places and rates to 4: finer digits are noise.
func WriteEMF(w io.Writer, reports []ModelReport, now time.Time) error {
	enc := json.NewEncoder(w)
	for _, r := range reports {
		doc := emfDocument{
			AWS: emfMetadata{Timestamp: now.UnixMilli(), CloudWatchMetrics: []emfDirective{{
				Namespace:  Namespace,
				Dimensions: [][]string{{"ActionId", "Channel"}},
				Metrics: []emfMetric{
					{Name: "Evidence", Unit: "Count"}, {Name: "Positives", Unit: "Count"}, {Name: "SuccessRate", Unit: "None"},
				},
			}}},
			ActionID:    r.Model.ActionID,
			Channel:     r.Channel(),
			Evidence:    round(r.Evidence, 2),
			Positives:   round(r.Positives, 2),
			SuccessRate: round(r.SuccessRate, 4),
		}
		if r.AUCDefined() {
			auc := round(r.AUC, 4)
			doc.AUC = &auc
			doc.AWS.CloudWatchMetrics[0].Metrics = append(doc.AWS.CloudWatchMetrics[0].Metrics, emfMetric{Name: "AUC", Unit: "None"})
		}
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("write metrics of model %s: %w", r.Name(), err)
		}
	}
	return nil
}

// round rounds x to a number of decimal places.
func round(x float64, places int) float64 {
	scale := math.Pow10(places)
	return math.Round(x*scale) / scale
}
