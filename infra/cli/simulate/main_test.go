package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/cli"
)

// TestSimulateHillstromShapedLog runs the command with the committed Hillstrom mapping
// and catalog on a small log of the same shape, written here (the real data lives
// outside the repository).
func TestSimulateHillstromShapedLog(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend\n")
	arms := []string{"Mens E-Mail", "Womens E-Mail", "No E-Mail"}
	for i := range 600 {
		visit := 0
		if i%7 == 0 || (i%3 == 0 && i%2 == 0) {
			visit = 1
		}
		fmt.Fprintf(&b, "%d,\"2) $100 - $200\",%.2f,%d,%d,Urban,%d,Web,%s,%d,0,%d\n",
			1+i%12, 50+float64(i%40)*10, i%2, (i+1)%2, i%2, arms[i%3], visit, visit*20)
	}
	log := filepath.Join(dir, "log.csv")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// A peer that sends the Mens e-mail to every valued row, ranked by row number, and
	// the same log standing in for another policy's own log.
	var peer strings.Builder
	peer.WriteString("row,action,uplift\n")
	for i := 300; i < 600; i++ {
		fmt.Fprintf(&peer, "%d,mens-email,%d\n", i, i)
	}
	ranking := filepath.Join(dir, "peer.csv")
	if err := os.WriteFile(ranking, []byte(peer.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, report := filepath.Join(dir, "result.json"), filepath.Join(dir, "report.html")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--quiet", "--bootstrap", "50", "--json-out", out, "--html", report,
		"--ranking", "by row=" + ranking, "--logged", "the same=" + log,
		"--mapping", "../../../docs/simulate/hillstrom.mapping.yaml", "--catalog", "../../../docs/simulate/hillstrom.catalog.yaml", log}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"hillstrom: 600 rows", "prequential AUC", "engine", "everyone: mens-email", "no one", "random", "value per row (value)",
		"uplift curve of by row", "more than by row's", "the same (own log)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Dataset  string `json:"dataset"`
		Rows     int    `json:"rows"`
		Policies []struct {
			Name, Estimator string
			Value           float64
			CI              [2]float64
		} `json:"policies"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Dataset != "hillstrom" || doc.Rows != 600 || len(doc.Policies) == 0 || doc.Policies[0].Name != "engine" {
		t.Errorf("JSON document = %+v, want hillstrom, 600 rows, the engine first", doc)
	}
	if html, err := os.ReadFile(report); err != nil || !strings.Contains(string(html), `<figure id="qini">`) {
		t.Errorf("HTML report: %v; want one with the uplift curve", err)
	}
}

// run runs `nextbest simulate ARGS...` and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Main(context.Background(), append([]string{"simulate"}, args...), strings.NewReader(""), stdout, stderr,
		func(string) string { return "" }, NewCommand)
}

func TestBadNamedFiles(t *testing.T) {
	for _, args := range [][]string{{"--ranking", "no-equals-sign"}, {"--ranking", "x=missing.csv"}, {"--logged", "=log.csv"}} {
		var stdout, stderr bytes.Buffer
		if code := run(append(args, "--mapping", "m.yaml", "--catalog", "c.yaml", "log.csv"), &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, %q; want 2", args, code, stderr.String())
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--mapping", "m.yaml", "log.csv"}, {"--nope"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "Run 'nextbest simulate --help' for usage.") {
			t.Errorf("run(%q) = %d, %q; want 2 and the usage", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--mapping", "missing.yaml", "--catalog", "c.yaml", "log.csv"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "missing.yaml") {
		t.Errorf("missing mapping: exit %d, %q; want 1 naming the file", code, stderr.String())
	}
}
