package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCPUModel(t *testing.T) {
	in := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nprocessor\t: 1\nmodel name\t: other\n"
	if got := cpuModel(strings.NewReader(in)); got != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel(strings.NewReader("")); got != "unknown CPU" {
		t.Errorf("cpuModel(empty) = %q", got)
	}
}

func TestVerdicts(t *testing.T) {
	results := []Summary{{Name: frontDoorScenario, Count: 10, P99: 16 * time.Millisecond}}
	cold := []ColdStart{{Function: "A", Init: 9 * time.Millisecond}, {Function: "B", Init: 12 * time.Millisecond}}
	got := strings.Join(Verdicts(results, cold, frontDoorScenario), "\n")
	if !strings.Contains(got, "**missed** (p99 16.00 ms") {
		t.Errorf("warm verdict wrong:\n%s", got)
	}
	if !strings.Contains(got, "**met** (slowest median init 12.00 ms, B") {
		t.Errorf("init verdict wrong:\n%s", got)
	}
}

func TestWriteReportKeepsHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perf.md")
	if err := WriteReport(path, "first\n"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), generatedMarker) || !strings.HasSuffix(string(data), "first\n") {
		t.Fatalf("new file = %q", data)
	}
	header := "# Performance\n\nHand-written.\n\n" + generatedMarker
	os.WriteFile(path, []byte(header+"\n\nold figures\n"), 0o644)
	if err := WriteReport(path, "new figures\n"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if want := header + "\n\nnew figures\n"; string(data) != want {
		t.Errorf("rewritten file = %q, want %q", data, want)
	}
}

func TestMarkdownHasEveryTable(t *testing.T) {
	r := Report{At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Machine: Machine{CPU: "cpu", CPUs: 2, Go: "go1"},
		Results:   []Summary{{Name: "s", Count: 1, P50: 1500 * time.Microsecond}},
		Cold:      []ColdStart{{Function: "F", Init: time.Millisecond}},
		Breakdown: []Summary{{Name: "piece", Count: 1}}, Verdicts: []string{"v"}}
	md := r.Markdown()
	for _, want := range []string{"| s | 1 | 0 | 1.50 |", "| F |", "| piece | 1 |", "- v", "cpu, 2 CPUs, go1"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}
