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

func TestOSNameAndLoad(t *testing.T) {
	release := "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
	if got := osName(strings.NewReader(release), "linux"); got != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("osName = %q", got)
	}
	if got := osName(strings.NewReader("NAME=x\n"), "linux"); got != "linux" {
		t.Errorf("osName(no PRETTY_NAME) = %q, want the fallback", got)
	}
}

func TestCPUTimes(t *testing.T) {
	tests := []struct {
		name        string
		listing     string
		idle, total uint64
		ok          bool
	}{
		{"aggregate line", "cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 50 2 25 400 20 0 0 0 0 0\n", 845, 1000, true},
		{"aggregate line not first", "intr 1 2\ncpu  10 0 10 70 10 0 0 0\n", 80, 100, true},
		{"no aggregate line", "cpu0 1 2 3 4 5 6\n", 0, 0, false},
		{"garbage", "cpu  1 2 x 4 5 6\n", 0, 0, false},
		{"empty", "", 0, 0, false},
	}
	for _, tt := range tests {
		idle, total, ok := cpuTimes(tt.listing)
		if idle != tt.idle || total != tt.total || ok != tt.ok {
			t.Errorf("%s: cpuTimes = %d, %d, %v; want %d, %d, %v", tt.name, idle, total, ok, tt.idle, tt.total, tt.ok)
		}
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
	r := Report{At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Machine: Machine{CPU: "cpu", CPUs: 2, OS: "Debian", Go: "go1", Idle: 0.97},
		Results:   []Summary{{Name: "s", Count: 1, P50: 1500 * time.Microsecond}},
		Cold:      []ColdStart{{Function: "F", Init: time.Millisecond}},
		Breakdown: []Summary{{Name: "piece", Count: 1}}, Verdicts: []string{"v"}}
	md := r.Markdown()
	for _, want := range []string{"| s | 1 | 0 | 1.50 |", "| F |", "| piece | 1 |", "- v", "cpu, 2 CPUs, Debian, go1 (CPUs 97% idle in the second before the run)"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestMarkdownMixedAndOutage(t *testing.T) {
	m := &MixedResult{Apps: 4, Visits: 10, Offered: 9, Wall: 2 * time.Second,
		Decide: Summary{Name: decideRoute, Count: 10, PerSecond: 5}, Respond: Summary{Name: responseRoute, Count: 12, PerSecond: 6},
		DecideStatus: StatusCounts{200: 10}, RespondStatus: StatusCounts{200: 11, 404: 1}, Tolerated: 1,
		Tally: ResponseTally{Accepted: 11, Duplicates: 1, Counted: ModelCounts{modelA: {9, 1}}}, Delta: ModelCounts{modelA: {9, 1}}}
	o := &OutageResult{Customers: 50, CacheAge: 2 * time.Second, Budget: 500 * time.Millisecond,
		Decides:    []OutageDecide{{Summary: Summary{Name: "paused, caches fresh", Count: 3}, Degraded: 3}},
		AllDecides: Summary{Count: 3},
		Records:    []OutageRecord{{Summary: Summary{Name: "paused", Count: 2}, Statuses: StatusCounts{503: 2}, Unavailable: 2, Retried: 2, RetryCounted: 2}},
		Recovery:   []OutageRecovery{{Phase: "paused", Whole: true, After: 20 * time.Millisecond, Requests: 1}},
		Want:       evidence{1, 1}, Got: evidence{1, 1}}
	md := Report{Mixed: m, Outage: o}.Markdown()
	for _, want := range []string{
		"| POST /v1/decisions | 10 | 5 | 0 |", "| POST /v1/responses | 12 | 6 |", "200 ×11, 404 ×1",
		"+9 impressions, +1 successes over 1 models: **exact**", "404 to degraded decisions whose log write missed its deadline: 1",
		"| paused, caches fresh | 3 | 3 | 0 | 0 |", "| paused | 2 | 2 | 503 ×2 |", "**exact**, nothing lost",
		"- paused: the first whole decision after 20 ms (1 requests).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	m.Mismatches = []Mismatch{{Model: modelA, Got: evidence{8, 1}, Want: evidence{9, 1}}}
	if md := (Report{Mixed: m}).Markdown(); !strings.Contains(md, "**NOT EXACT**, 1 models differ") || !strings.Contains(md, "a/web: +8 impressions") {
		t.Errorf("a mismatch is not shown:\n%s", md)
	}
}
