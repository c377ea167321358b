package lift

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Render writes a report for a person: the checks, then per cut the groups, the lifts
// and their verdicts, the guardrails and the challenger.
func Render(w io.Writer, r Report, kinds []string) error {
	fmt.Fprintf(w, "Lift report %s → %s (attribution %s, pre-period %s), catalog versions %s\n",
		r.Window.From.Format(time.RFC3339), r.Window.To.Format(time.RFC3339), r.Window.Attribution, r.Window.PrePeriod, strings.Join(r.CatalogVersions, ", "))
	if r.Window.AsOf != nil {
		fmt.Fprintf(w, "as of %s: what was recorded later is left out\n", r.Window.AsOf.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "read %d decisions (%d contacts) and attributed %d outcomes\n", r.Read.Decisions, r.Read.Contacts, r.Read.OutcomesAttributed)
	for _, c := range r.Checks {
		mark := "ok"
		if c.Mismatch {
			mark = "!!"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Message)
	}
	for _, cut := range r.Cuts {
		if !contains(kinds, cut.Kind) {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", strings.ToUpper(cut.Kind+": "+cut.Name))
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  group\tcustomers\tcontacts\tconversions\tvalue\tresponses\t")
		for _, g := range []string{GroupEngine, GroupRandom, GroupSilence, GroupChampion, GroupChallenger} {
			s, ok := cut.Groups[g]
			if !ok {
				continue
			}
			p := s.PerCustomer
			fmt.Fprintf(tw, "  %s\t%d\t%.2f\t%.4f\t%.2f\t%.4f\t\n", g, s.Customers, p[MetricContacts], p[MetricConversions], p[MetricValue], p[MetricResponses])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, "  (per customer; value in the catalog's currency)")
		for _, l := range cut.Lifts {
			fmt.Fprintf(w, "  %s vs %s, %s: %s%s\n", l.Treatment, l.Control, l.Metric, l.Verdict, intervals(l))
		}
		for _, l := range cut.Guardrails {
			fmt.Fprintf(w, "  guardrail %s vs %s, %s: %s\n", l.Treatment, l.Control, l.Metric, l.Verdict)
		}
		for _, l := range cut.Challenger {
			fmt.Fprintf(w, "  challenger vs champion, %s: %s%s\n", l.Metric, l.Verdict, intervals(l))
		}
	}
	return nil
}

func intervals(l Lift) string {
	if !l.Measured {
		return ""
	}
	return fmt.Sprintf("  [95%%: %+.4f to %+.4f; always valid: %+.4f to %+.4f]", l.Interval[0], l.Interval[1], l.AlwaysValid[0], l.AlwaysValid[1])
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
