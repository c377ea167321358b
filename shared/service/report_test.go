package service_test

import (
	"context"
	"math"
	"testing"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

type fixedActuals service.RunActuals

func (f fixedActuals) RunResponses(context.Context, string) (service.RunActuals, error) {
	return service.RunActuals(f), nil
}

// TestReportComparesForecastWithActual: no model has evidence, so every send forecasts
// at the catalog's prior, 2%, and all of it rests on the prior. Hand-computed for the
// 20 fibre-upgrade sends: 0.4 expected responses; variance 20 × 0.02 × 0.98 = 0.392
// (chance) + 0.4² × 0.98 / (0.02 × 50) = 0.1568 (the level's uncertainty: the prior is
// worth 50 sends), so the 95% interval is 0.4 ± 1.96 × √0.5488 = [0, 1.8520].
func TestReportComparesForecastWithActual(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, volumeBase(30)...)
	p := newPlanner(s, &clock{t: t0})
	p.Runs = &memRuns{runs: map[string]service.RunRecord{}}
	sum, err := p.Run(ctx, "r1", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Report(ctx, "unknown", fixedActuals{}); decision.ErrorCode(err) != decision.ENotFound {
		t.Errorf("Report(unknown run) error = %v, want not found", err)
	}
	actual := fixedActuals{
		Delivered: map[string]int{"fibre-upgrade": 19},
		Responses: map[string]map[string]int{"fibre-upgrade": {"impression": 19, "click": 2, "accept": 1, "reject": 4}},
		Value:     map[string]map[string]float64{"fibre-upgrade": {"accept": 30, "reject": 99}},
	}
	got, err := p.Report(ctx, "r1", actual)
	if err != nil {
		t.Fatal(err)
	}
	fibre := got.Actions["fibre-upgrade"]
	if sum.ByAction["fibre-upgrade"] != 20 || fibre.Sends != 20 || fibre.Delivered != 19 || fibre.Responses != 3 || fibre.Value != 30 {
		t.Errorf("Report(r1) fibre-upgrade = %+v, want 20 sends, 19 delivered, 3 positive responses worth 30", fibre)
	}
	if math.Abs(fibre.ExpectedResponses-0.4) > 1e-9 || math.Abs(fibre.ResponsesInterval[1]-1.8520) > 1e-4 || fibre.ResponsesInterval[0] != 0 || fibre.FromPriors != 1 {
		t.Errorf("fibre-upgrade forecast = %v in %v, %.2f from priors; want 0.4 in [0, 1.8520], all from the prior", fibre.ExpectedResponses, fibre.ResponsesInterval, fibre.FromPriors)
	}
	if got.Total.Sends != sum.Planned || math.Abs(got.Total.ExpectedResponses-0.6) > 1e-9 {
		t.Errorf("Report(r1) total = %+v, want %d sends and 0.6 expected responses", got.Total, sum.Planned)
	}
}

// TestForecastBorrowsStrengthAcrossChannels: fibre-upgrade has 100 responses on the web
// (10 positive) and none by e-mail or SMS, where the batch sends it. The forecast
// borrows the web's evidence, shrunk to the 2% prior worth 50: (10 + 50 × 0.02) / (100
// + 50) = 7.33% per send instead of the flat 2%, a third of it resting on the prior.
func TestForecastBorrowsStrengthAcrossChannels(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, volumeBase(30)...)
	s.counters[decision.ModelKey{ActionID: "fibre-upgrade", Channel: "web"}] = map[adaptive.Key]int64{
		{Predictor: "*"}: 100, {Predictor: "*", Positive: true}: 10}
	p := newPlanner(s, &clock{t: t0})
	sum, err := p.Run(ctx, "r2", true)
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Forecast["fibre-upgrade"]
	perSend := f.ExpectedResponses / float64(sum.ByAction["fibre-upgrade"])
	if math.Abs(perSend-11.0/150) > 1e-9 || math.Abs(f.FromPriors/f.ExpectedResponses-1.0/3) > 1e-9 {
		t.Errorf("fibre-upgrade forecasts %.4f per send, %.2f from the prior; want 0.0733 and 1/3", perSend, f.FromPriors/f.ExpectedResponses)
	}
}
