package runs

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/service"
)

func TestPrintReport(t *testing.T) {
	r := service.RunReport{RunID: "2026-11-23", Actions: map[string]service.ActionReport{
		"small": {Sends: 10, Delivered: 9, ExpectedResponses: 1, ResponsesInterval: [2]float64{0, 3}, Responses: 1},
		"large": {Sends: 100, Delivered: 100, ExpectedResponses: 10, ResponsesInterval: [2]float64{5, 15}, Responses: 8, ExpectedValue: 100, Value: 80},
	}, Total: service.ActionReport{Sends: 110, Delivered: 109, ExpectedResponses: 11, Responses: 9, ExpectedValue: 100, Value: 80, FromPriors: 0.5}}
	var out bytes.Buffer
	if err := printReport(&out, r); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"run 2026-11-23", "total", "+22.2%", "50%", "10.0 (5.0–15.0)"} {
		if !strings.Contains(got, want) {
			t.Errorf("printReport =\n%s\nwant %q", got, want)
		}
	}
	if strings.Index(got, "large") > strings.Index(got, "small") {
		t.Errorf("printReport =\n%s\nwant the largest forecast first", got)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{[]string{"runs"}, 2, "name a command"},
		{[]string{"runs", "report"}, 2, "want 1 argument(s), got 0"},
		{[]string{"runs", "report", "r1"}, 2, "--decisions-table"},
		{[]string{"runs", "report", "--help"}, 0, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, func(string) string { return "" }, NewCommand)
		if code != tt.want || !strings.Contains(errOut.String(), tt.msg) {
			t.Errorf("nextbest %q = %d, %q; want %d and %q", tt.args, code, errOut.String(), tt.want, tt.msg)
		}
	}
}
