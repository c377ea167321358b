package experiment_test

import (
	"fmt"

	"github.com/nextbest/nextbest/shared/experiment"
)

// A lift report after some weeks of a pilot: the share of customers with a positive outcome
// in the engine group (96% of customers) against the random control group (2%) and the
// silence control group (2%).
func ExampleCompare() {
	// group returns a sample of n customers of whom responders had a positive outcome. A
	// report adds the customers who responded one by one (Add) and the others in one call.
	group := func(n, responders int64) experiment.Sample {
		var s experiment.Sample
		s.AddN(1, 0, responders)
		s.AddN(0, 0, n-responders)
		return s
	}
	engine := group(960_000, 34_560) // 3.6%
	random := group(20_000, 600)     // 3.0%
	silence := group(20_000, 700)    // 3.5%

	for _, control := range []struct {
		name   string
		sample experiment.Sample
	}{{"random", random}, {"silence", silence}} {
		c := experiment.Compare(engine, control.sample, experiment.Options{})
		b := c.Best()
		fmt.Printf("engine vs %s: %s\n", control.name, experiment.Verdict(c, experiment.UnitPoints))
		fmt.Printf("  95%% interval %+.2f to %+.2f points, always valid %+.2f to %+.2f points\n",
			100*b.CI.Low, 100*b.CI.High, 100*b.AlwaysValid.Low, 100*b.AlwaysValid.High)
	}

	// Output:
	// engine vs random: +0.60 points (+20.0%), significant
	//   95% interval +0.36 to +0.84 points, always valid +0.21 to +0.99 points
	// engine vs silence: +0.10 points (+2.9%), not significant yet: need about 160,000 more customers in the smaller group
	//   95% interval -0.16 to +0.36 points, always valid -0.33 to +0.53 points
}

// The group sizes themselves are checked against the configured shares before any lift is
// read: here the random control group is 2.6% of customers instead of 2%.
func ExampleSampleRatioMismatch() {
	chi2, p, mismatch := experiment.SampleRatioMismatch([]int{95_400, 2_600, 2_000}, []float64{0.96, 0.02, 0.02})
	fmt.Printf("chi2 %.1f, p %.1g, mismatch %v\n", chi2, p, mismatch)
	// Output:
	// chi2 183.8, p 1e-40, mismatch true
}
