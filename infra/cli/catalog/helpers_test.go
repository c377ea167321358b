package catalog

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/catalogcheck"
	"github.com/nextbest/nextbest/shared/platform"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testEnv is the environment the tests run the command in: its clock reads testNow.
func testEnv(name string) string {
	if name == platform.ClockEnv {
		return testNow.Format(time.RFC3339)
	}
	return ""
}

// baseCatalog is the small valid catalog package catalogcheck's tests edit too.
var baseCatalog = func() string {
	src, err := os.ReadFile("../../catalogcheck/testdata/base.yaml")
	if err != nil {
		panic(err)
	}
	return string(src)
}()

func TestPrintDiff(t *testing.T) {
	tests := []struct {
		name    string
		changes []catalogcheck.Change
		want    string
	}{
		{"none", nil, "no changes from live version 1 to new.yaml\n"},
		{"some", []catalogcheck.Change{{Op: "~", Kind: "action", ID: "a", Details: []string{"value: 1 → 2"}}, {Op: "-", Kind: "action", ID: "b"}},
			"changes from live version 1 to new.yaml:\n  ~ action a\n      value: 1 → 2\n  - action b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			printDiff(&buf, catalogcheck.Comparison{From: "live version 1", To: "new.yaml", Changes: tt.changes})
			if buf.String() != tt.want {
				t.Errorf("printDiff(%v) = %q, want %q", tt.changes, buf.String(), tt.want)
			}
		})
	}
}
