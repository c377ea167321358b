package console

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/lift"
)

// TestLiftOptions: the page's parameters default as `nextbest lift` does.
func TestLiftOptions(t *testing.T) {
	now := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	o, err := liftOptions("", "", now)
	if err != nil || !o.To.Equal(now) || !o.From.Equal(now.Add(-28*24*time.Hour)) || o.Attribution != 7*24*time.Hour || !o.AsOf.IsZero() {
		t.Errorf("defaults = %+v, %v", o, err)
	}
	o, err = liftOptions("7", "2026-11-20T00:00:00Z", now)
	if err != nil || !o.From.Equal(now.Add(-7*24*time.Hour)) || !o.AsOf.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("days 7, as of = %+v, %v", o, err)
	}
	for _, bad := range [][2]string{{"0", ""}, {"x", ""}, {"", "yesterday-ish"}} {
		if _, err := liftOptions(bad[0], bad[1], now); err == nil {
			t.Errorf("liftOptions(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// TestLiftPageEmpty: a report with nothing to compare says so plainly.
func TestLiftPageEmpty(t *testing.T) {
	s, _, err := newServer(Options{Store: dynamo.New(nil, dynamo.Tables{})})
	if err != nil {
		t.Fatal(err)
	}
	v := liftView{Report: &lift.Report{}}
	if err := v.fill(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.pages["lift"].Execute(&buf, page{Title: "Lift", Nav: "lift", Body: v}); err != nil {
		t.Fatal(err)
	}
	if body := buf.String(); !strings.Contains(body, `id="no-lift"`) || !strings.Contains(body, "No lift can be computed") || strings.Contains(body, "<svg") {
		t.Errorf("the empty lift page does not say there is nothing to compare:\n%s", body)
	}
}
