package adaptive_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
)

func Example() {
	model, err := adaptive.New(adaptive.Config{Predictors: []adaptive.Predictor{
		{Name: "segment", Kind: adaptive.Symbolic},
		{Name: "tenure", Kind: adaptive.Numeric, Bins: []float64{1, 3, 5, 10}},
	}}, nil)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)

	// Learn from responses: Update computes the counters to add, Apply (or a store's atomic
	// ADDs) adds them.
	for i := range 3000 {
		// Gold customers accept one offer in four, basic ones one in twenty; tenure is noise.
		segment := []string{"gold", "basic"}[i%2]
		tenure := float64(i * 7 % 13)
		accepted := segment == "gold" && i%8 == 0 || segment == "basic" && i%40 == 1
		delta := model.Update([]adaptive.Value{adaptive.Symbol(segment), adaptive.Number(tenure)}, accepted, now)
		model.Apply(delta)
	}

	snapshot := model.Snapshot(now)
	x := []adaptive.Value{adaptive.Symbol("gold"), adaptive.Number(4)}
	score := snapshot.Score(x)
	fmt.Printf("propensity %.2f from %.0f responses\n", score.Propensity, score.Evidence)
	for _, c := range snapshot.Explain(x, nil) {
		fmt.Printf("%s %+.2f\n", c.Predictor, c.LogOdds)
	}
	for _, p := range snapshot.Predictors() {
		fmt.Printf("%s AUC %.2f active %v\n", p.Name, p.AUC, p.Active)
	}
	fmt.Printf("Thompson draw %.2f\n", score.Sample(rand.New(rand.NewPCG(1, 2))))
	// Output:
	// propensity 0.25 from 3000 responses
	// segment +0.63
	// segment AUC 0.70 active true
	// tenure AUC 0.50 active false
	// Thompson draw 0.25
}
