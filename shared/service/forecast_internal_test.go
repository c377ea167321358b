package service

import (
	"math"
	"os"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

// TestRateFollowsThePropensityWithResponses: a model with 50 responses in 200 sends
// (and no evidence elsewhere, so the 2% prior worth 50 sends stands for the rest)
// forecasts 50/(50+30) of a customer's propensity and the rest at its observed rate
// shrunk to the prior, (50 + 50 × 2%) / (200 + 50) = 20.4%.
func TestRateFollowsThePropensityWithResponses(t *testing.T) {
	data, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := decision.ParseCatalog("catalog.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	fc := &forecaster{catalog: c, byModel: map[decision.ModelKey][2]float64{c.ModelKey("fibre-upgrade", "sms"): {50, 200}},
		byAction: map[string][2]float64{"fibre-upgrade": {50, 200}}, channelFactor: map[string]float64{}}
	got := fc.rate("fibre-upgrade", "sms", 0.9)
	want, wantPriors := 0.9*5/8+0.204*3/8, 3.0/8*50*0.02/250
	if math.Abs(got.rate-want) > 1e-12 || math.Abs(got.priors-wantPriors) > 1e-12 {
		t.Errorf("rate = %+v, want %.4f with %.6f from the prior", got, want, wantPriors)
	}
}
