//go:build integration

package runs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

const root = "../../.."

func TestMain(m *testing.M) {
	os.Exit(localtest.RunTests(m, root))
}

// TestReport reads a run record as score-batch writes it, with no response recorded
// yet, from the local DynamoDB: the text and the JSON, and a run that does not exist.
func TestReport(t *testing.T) {
	env := localtest.Storage(t)
	localtest.PublishDemoCatalog(t, env)
	ctx := context.Background()
	summary := &service.RunSummary{ByAction: map[string]int{"loyalty-discount-20": 40},
		Forecast: map[string]service.ActionForecast{"loyalty-discount-20": {ExpectedResponses: 4, ExpectedValue: 80, Value: 20}}}
	if err := env.Store.PutRun(ctx, service.RunRecord{RunID: "it-run", StartedAt: env.Now(), Segments: 1, Summary: summary,
		ExpiresAt: env.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	tables := env.Tables()
	getenv := func(k string) string {
		if k == platform.ClockEnv {
			return localtest.Start(t).Format(time.RFC3339)
		}
		return os.Getenv(k)
	}
	command := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		args = append(args, "--endpoint", env.Stack.DynamoDBEndpoint, "--decisions-table", tables.Decisions, "--catalog-table", tables.Catalog)
		code := cli.Main(ctx, args, strings.NewReader(""), &out, &errOut, getenv, NewCommand)
		return code, out.String(), errOut.String()
	}

	code, stdout, stderr := command("runs", "report", "it-run")
	if code != 0 || !strings.Contains(stdout, "run it-run") || !strings.Contains(stdout, "loyalty-discount-20") || !strings.Contains(stdout, "4.0 (") {
		t.Errorf("runs report = %d\n%s%s\nwant the run, its action and no response yet", code, stdout, stderr)
	}
	code, stdout, stderr = command("runs", "report", "it-run", "--json")
	var r service.RunReport
	if err := json.Unmarshal([]byte(stdout), &r); code != 0 || err != nil || r.Total.Sends != 40 || r.Actions["loyalty-discount-20"].ExpectedResponses != 4 {
		t.Errorf("runs report --json = %d, %+v, %v (%s); want 40 sends, 4 expected responses", code, r, err, stderr)
	}
	if code, _, stderr := command("runs", "report", "no-such-run"); code != 1 || !strings.Contains(stderr, "no complete record") {
		t.Errorf("runs report no-such-run = %d, %q; want 1 and no complete record", code, stderr)
	}
}
