package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/adaptive"
)

const hillstromSample = `recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend
10,"2) $100 - $200",142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0
6,"3) $200 - $350",329.08,1,1,Rural,1,Web,No E-Mail,1,0,0
7,"7) $1,000 +",1100.5,0,1,Urban,1,Web,Mens E-Mail,1,1,25.5
`

func TestParseTableQuotedCommas(t *testing.T) {
	tb, err := parseTable(strings.NewReader(hillstromSample), "sample")
	if err != nil {
		t.Fatalf("parseTable: %v", err)
	}
	i, err := tb.col("history_segment")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tb.rows[2][i], "7) $1,000 +"; got != want {
		t.Errorf("history_segment of row 3 = %q, want %q", got, want)
	}
	if _, err := tb.col("nope"); err == nil {
		t.Error(`col("nope") = nil error, want an error`)
	}
}

func TestLoadHillstrom(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "hillstrom"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hillstrom", "hillstrom-dev.csv"), []byte(hillstromSample), 0o644); err != nil {
		t.Fatal(err)
	}
	tasks, err := loadHillstrom(dir)
	if err != nil {
		t.Fatalf("loadHillstrom: %v", err)
	}
	if len(tasks) != 3 {
		t.Fatalf("loadHillstrom gave %d tasks, want 3 (one per arm)", len(tasks))
	}
	mens := tasks[0]
	if len(mens.rows) != 1 || !mens.rows[0].y {
		t.Fatalf("Mens E-Mail rows = %+v, want one visit", mens.rows)
	}
	x := mens.rows[0].x
	if x[1] != adaptive.Symbol("7) $1,000 +") || x[2] != adaptive.Number(1100.5) {
		t.Errorf("values = %v, want history_segment %q and history 1100.5", x, "7) $1,000 +")
	}
}

func TestLoadTasksSkipsMissingData(t *testing.T) {
	var logged []string
	tasks, err := loadTasks(t.TempDir(), func(f string, args ...any) { logged = append(logged, f) })
	if err != nil {
		t.Fatalf("loadTasks on an empty directory: %v, want a skip", err)
	}
	if len(tasks) != 0 || len(logged) != 2 {
		t.Errorf("loadTasks = %d tasks and %d messages, want 0 tasks and 2 skip messages", len(tasks), len(logged))
	}
}
