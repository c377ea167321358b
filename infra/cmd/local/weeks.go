package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/infra/simworld"
	"github.com/nextbest/nextbest/shared/lift"
	"github.com/nextbest/nextbest/shared/service"
)

// runWeeks plays weeks of the engine at work on a simulated world (package simworld):
// each Monday the batch plans and send-message delivers; customers convert on the
// messages with their true probability (a conversion is a response worth money and a
// purchase), and buy anyway at their own rate. Each week's forecast meets what
// happened; then the lift report reads the decision log and the outcomes, as an analyst
// would, and the demo says what the true lift of its world was.
func (d *demo) runWeeks(ctx context.Context) error {
	start := d.env.Now()
	sim, err := d.world(ctx)
	if err != nil {
		return err
	}
	var weekly []service.RunReport
	for week := 1; week <= d.s.weeks; week++ {
		if week > 1 {
			if err := d.env.AdvanceClock(ctx, 7*24*time.Hour); err != nil {
				return err
			}
		}
		report, err := d.playWeek(ctx, sim, fmt.Sprintf("demo-week%d", week), week == 1)
		if err != nil {
			return err
		}
		weekly = append(weekly, report)
	}
	if err := printForecasts(weekly); err != nil {
		return err
	}
	return d.showLift(ctx, sim, start)
}

// playHistory gives `make up`'s stack a week of the engine at work, so that every
// report and console page has data: real-time traffic that the models learn from, then
// a batch run delivered, answered and followed by a week of purchases.
func (d *demo) playHistory(ctx context.Context) error {
	fmt.Printf("\n== A week of history, so that every report and console page has data (-history=false skips it)\n")
	if err := d.simulateTraffic(ctx); err != nil {
		return err
	}
	sim, err := d.world(ctx)
	if err != nil {
		return err
	}
	report, err := d.playWeek(ctx, sim, "up-week1", false)
	if err != nil {
		return err
	}
	t := report.Total
	fmt.Printf("  run %s: %d sends, %d delivered, %d positive responses (forecast %.0f)\n", d.runID, t.Sends, t.Delivered, t.Responses, t.ExpectedResponses)
	return nil
}

// world builds the simulated world the weeks play on, and plays its four weeks of
// purchases before the engine starts: the pre-period that narrows the lift's intervals
// (CUPED).
func (d *demo) world(ctx context.Context) (*simworld.World, error) {
	catalog := service.NewCatalogSnapshot(d.env.Store, time.Minute, d.env.Now)
	models := service.NewModelsSnapshot(d.env.Store, time.Minute, d.env.Now)
	sim := simworld.New(simworld.Config{Catalog: d.catalog, Profiles: seed.Profiles(d.s.seed, d.s.customers, d.env.Now()),
		Responses: &service.Recorder{Catalog: catalog, Models: models, Decisions: d.env.Store, Responses: d.env.Store, Now: d.env.Now},
		Outcomes:  &service.Ingest{Catalog: catalog, Profiles: d.env.Store, Outcomes: d.env.Store, Now: d.env.Now},
		Decisions: d.env.Store, Now: d.env.Now, Seed: d.s.seed})
	if _, err := sim.BasePurchases(ctx, d.env.Now().Add(-28*24*time.Hour), 4); err != nil {
		return nil, err
	}
	return sim, nil
}

// playWeek plays one Monday at the stack's clock: the batch plans run name-<date>,
// send-message delivers it, the world's customers respond to the messages and buy
// through the week; it returns the run's forecast against what happened. show prints
// the plan and the deliveries.
func (d *demo) playWeek(ctx context.Context, sim *simworld.World, name string, show bool) (service.RunReport, error) {
	d.runID = fmt.Sprintf("%s-%s", name, d.env.Now().UTC().Format("20060102"))
	var sum service.RunSummary
	if err := d.invokeBatch(ctx, fmt.Sprintf(`{"runId":%q}`, d.runID), &sum); err != nil {
		return service.RunReport{}, err
	}
	if show {
		if err := printPlan(sum); err != nil {
			return service.RunReport{}, err
		}
		if err := d.deliver(ctx); err != nil {
			return service.RunReport{}, err
		}
	} else if _, err := d.env.DrainQueues(ctx); err != nil {
		return service.RunReport{}, err
	}
	deliveries, err := d.deliveriesOf(d.runID)
	if err != nil {
		return service.RunReport{}, err
	}
	if _, err := sim.Respond(ctx, deliveries); err != nil {
		return service.RunReport{}, err
	}
	if _, err := sim.BasePurchases(ctx, d.env.Now().Add(-7*24*time.Hour), 1); err != nil {
		return service.RunReport{}, err
	}
	var report service.RunReport
	err = d.invokeBatch(ctx, fmt.Sprintf(`{"runId":%q,"report":true}`, d.runID), &report)
	return report, err
}

// deliveriesOf reads the local sink's deliveries of a run's messages.
func (d *demo) deliveriesOf(runID string) ([]service.Delivery, error) {
	all, err := readSink(d.env.SinkPath)
	if err != nil {
		return nil, err
	}
	var out []service.Delivery
	for _, dl := range all {
		if strings.HasPrefix(dl.MessageID, runID+"-") {
			out = append(out, dl)
		}
	}
	return out, nil
}

// printPlan shows the first week's plan: channels, silences, volume constraints and
// the forecast of the largest actions.
func printPlan(sum service.RunSummary) error {
	fmt.Printf("  run %s: %d customers scanned, %d sends planned and enqueued in %.1fs\n", sum.RunID, sum.Scanned, sum.Planned, sum.DurationSec)
	fmt.Printf("  sends by channel: %s\n", formatCounts(sum.ByChannel))
	fmt.Printf("  silence by reason: %s\n", formatCounts(sum.Silences))
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  volume constraint\tmax\tmin\twanted\tsent\t")
	for _, name := range slices.Sorted(maps.Keys(sum.Volume)) {
		u := sum.Volume[name]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t\n", name, bound(u.Max), bound(u.Min), u.Candidates, u.Sent)
	}
	return tw.Flush()
}

// printForecasts sets each week's forecast against what happened, and says whether the
// last week, forecast by models that learned from the weeks before, met the targets:
// the total within 7% of the actual, each of the five largest actions within 15%.
func printForecasts(weeks []service.RunReport) error {
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  week\tsends\tforecast responses (95%)\tactual\terror\tforecast value € (95%)\tactual €\terror\tfrom priors\t")
	for i, r := range weeks {
		t := r.Total
		re, ve := t.Error()
		fmt.Fprintf(tw, "  %d\t%d\t%.0f (%.0f–%.0f)\t%d\t%+.1f%%\t%.0f (%.0f–%.0f)\t%.0f\t%+.1f%%\t%.0f%%\t\n", i+1, t.Sends,
			t.ExpectedResponses, t.ResponsesInterval[0], t.ResponsesInterval[1], t.Responses, 100*re,
			t.ExpectedValue, t.ValueInterval[0], t.ValueInterval[1], t.Value, 100*ve, 100*t.FromPriors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	last := weeks[len(weeks)-1]
	ids := slices.SortedFunc(maps.Keys(last.Actions), func(a, b string) int {
		return cmp.Compare(last.Actions[b].ExpectedResponses, last.Actions[a].ExpectedResponses)
	})
	fmt.Printf("\n  week %d by action (the five largest):\n", len(weeks))
	tw = tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  action\tsends\tforecast (95%)\tactual\terror\t")
	within := 0
	for _, id := range ids[:min(5, len(ids))] {
		a := last.Actions[id]
		re, _ := a.Error()
		if math.Abs(re) <= 0.15 {
			within++
		}
		fmt.Fprintf(tw, "  %s\t%d\t%.1f (%.0f–%.0f)\t%d\t%+.1f%%\t\n", id, a.Sends, a.ExpectedResponses, a.ResponsesInterval[0], a.ResponsesInterval[1], a.Responses, 100*re)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	re, ve := last.Total.Error()
	fmt.Printf("  week %d's forecast: responses %+.1f%% and value %+.1f%% from the actual (target ±7%%: %s); %d of the five largest actions within 15%% (target 5)\n",
		len(weeks), 100*re, 100*ve, verdict(math.Abs(re) <= 0.07 && math.Abs(ve) <= 0.07), within)
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// showLift reads the lift report of the weeks played, as the lift command prints it,
// and sets it against the simulated world's true lift.
func (d *demo) showLift(ctx context.Context, sim *simworld.World, from time.Time) error {
	reporter := &service.LiftReporter{Store: d.env.Store, Catalog: service.NewCatalogSnapshot(d.env.Store, time.Minute, d.env.Now)}
	report, err := reporter.Report(ctx, lift.Options{From: from, To: d.env.Now().Add(time.Minute)})
	if err != nil {
		return err
	}
	fmt.Printf("\n== %s\n", "Lift: what the engine added, measured against its control groups (nextbest lift)")
	if err := lift.Render(os.Stdout, report, []string{"overall"}); err != nil {
		return err
	}
	all := report.Cuts[0]
	for _, control := range []string{lift.GroupSilence, lift.GroupRandom} {
		truth, ok := sim.TrueLift(control, all.Groups[lift.GroupEngine].Customers, all.Groups[control].Customers)
		if !ok {
			continue
		}
		for _, l := range all.Lifts {
			if l.Metric != lift.MetricConversions || l.Control != control || l.Treatment != lift.GroupEngine || !l.Measured {
				continue
			}
			holds := l.Interval[0] <= truth && truth <= l.Interval[1]
			fmt.Printf("  the simulated world's true lift against %s: %+.4f conversions/customer; the report's 95%% interval %+.4f to %+.4f %s it\n",
				control, truth, l.Interval[0], l.Interval[1], map[bool]string{true: "holds", false: "MISSES"}[holds])
		}
	}
	return nil
}
