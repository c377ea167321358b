package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// staticSource serves one catalog and fixed model counters.
type staticSource struct {
	catalog *decision.Catalog
	models  *decision.Models
}

func (s staticSource) LiveCatalogVersion(context.Context) (string, error) {
	return s.catalog.Version, nil
}
func (s staticSource) LoadCatalog(context.Context) (*decision.Catalog, error) {
	return s.catalog, nil
}
func (s staticSource) LoadModels(context.Context, time.Time) (*decision.Models, error) {
	return s.models, nil
}

func TestMetricsRequestPublishesOneEMFLinePerModel(t *testing.T) {
	data, err := os.ReadFile("../../shared/decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := decision.ParseCatalog("catalog.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	evidence := func(impressions, positives int64) *adaptive.State {
		s := adaptive.NewState()
		s.Apply(adaptive.Delta{
			{Key: adaptive.Key{Predictor: "*", Positive: true}, N: positives},
			{Key: adaptive.Key{Predictor: "*"}, N: impressions - positives},
		})
		return s
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	src := staticSource{catalog: catalog, models: decision.NewModels(map[decision.ModelKey]*adaptive.State{
		{ActionID: "fibre-upgrade", Channel: "web"}:   evidence(400, 20),
		{ActionID: "loyalty-bonus", Channel: "email"}: evidence(100, 7),
	}, at)}
	var out bytes.Buffer
	h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		catalog: service.NewCatalogSnapshot(src, time.Minute, now), models: service.NewModelsSnapshot(src, time.Minute, now), metricsOut: &out, now: now}

	answer, err := h.handle(context.Background(), json.RawMessage(`{"metrics":true}`))
	if err != nil {
		t.Fatalf("handle(metrics) error: %v", err)
	}
	if got := answer.(map[string]int)["models"]; got != 2 {
		t.Errorf("handle(metrics) = %v models, want 2", got)
	}
	lines := 0
	for sc := bufio.NewScanner(&out); sc.Scan(); lines++ {
		var line struct {
			AWS struct {
				CloudWatchMetrics []struct{ Namespace string } `json:"CloudWatchMetrics"`
			} `json:"_aws"`
			ActionID string  `json:"ActionId"`
			Evidence float64 `json:"Evidence"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("metrics line %q is not JSON: %v", sc.Text(), err)
		}
		if len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Namespace != "nextbest/models" || line.Evidence == 0 {
			t.Errorf("metrics line = %s, want an EMF line of namespace nextbest/models with the model's evidence", sc.Text())
		}
	}
	if lines != 2 {
		t.Errorf("handle(metrics) wrote %d lines, want one per model (2)", lines)
	}
}
