package seed_test

import (
	"fmt"
	"time"

	"github.com/nextbest/nextbest/infra/seed"
)

func Example() {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	customers := seed.Profiles(42, 3, now) // the same seed always gives the same customers
	for _, p := range customers {
		a := p.Attributes
		fmt.Printf("%s %-12s age %2.0f, %3.0f months, products %v\n",
			p.CustomerID, a["segment"], a["age"], a["tenureMonths"], a["productsHeld"])
	}
	// The demo simulates a click with the synthetic ground truth.
	p := seed.ResponseProbability(&customers[0], "fibre-upgrade", "email")
	fmt.Println(p > 0 && p < 1)
	// Output:
	// C000001 senior       age 77,   9 months, products [mobile]
	// C000002 family       age 31,  54 months, products [fibre]
	// C000003 family       age 37,  21 months, products [mobile fibre family-plan]
	// true
}
