package catalogcheck_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/catalogcheck"
)

// A draft is checked as `nextbest catalog publish` checks it, then compared with the
// live version.
func Example() {
	live, err := os.ReadFile("testdata/base.yaml")
	if err != nil {
		panic(err)
	}
	draft := strings.Replace(string(live), "value: 10", "value: 12", 1)

	report := catalogcheck.Validate("draft.yaml", []byte(draft),
		catalogcheck.Options{Profiles: 50, Seed: catalogcheck.DefaultSeed, Now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)})
	fmt.Println("publishable:", report.OK())

	cmp, err := catalogcheck.Compare("live version 1", live, "draft.yaml", []byte(draft))
	if err != nil {
		panic(err)
	}
	for _, c := range cmp.Changes {
		fmt.Println(c)
	}
	// Output:
	// publishable: true
	// ~ action fibre-upgrade: value: 10 → 12
}
