package service_test

import (
	"context"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

type fixedActuals service.RunActuals

func (f fixedActuals) RunResponses(context.Context, string) (service.RunActuals, error) {
	return service.RunActuals(f), nil
}

func TestReportComparesForecastWithActual(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, volumeBase(30)...)
	p := newPlanner(s, &clock{t0})
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
	}
	got, err := p.Report(ctx, "r1", actual)
	if err != nil {
		t.Fatal(err)
	}
	want := service.ActionReport{Sends: sum.ByAction["fibre-upgrade"], Delivered: 19, Responses: 3,
		ExpectedResponses: sum.Forecast["fibre-upgrade"].ExpectedResponses, ExpectedValue: sum.Forecast["fibre-upgrade"].ExpectedValue}
	if got.Actions["fibre-upgrade"] != want || got.Total.Sends != sum.Planned {
		t.Errorf("Report(r1) = %+v, want fibre-upgrade %+v and %d sends in total", got, want, sum.Planned)
	}
}
