package experiment

import (
	"math"
	"strconv"
	"strings"
)

// UnitPoints is the unit for a metric that is a rate per customer between 0 and 1 (the
// share of customers with a positive outcome, say): Verdict shows its difference in
// percentage points, so a difference of 0.021 reads "+2.1 points".
const UnitPoints = "points"

// Verdict says in plain words what a comparison shows, for an operator: the difference (of
// Best) in unit, the relative lift when there is one, and whether it is significant, for
// example
//
//	+2.1 points (+12.0%), significant
//	+0.80 €/customer (+1.5%), not significant yet: need about 4,200 more customers per group
//	not measurable: the control group is empty
//
// unit follows the number after a space ("€/customer"); UnitPoints scales a rate to
// percentage points; an empty unit shows the bare number. Numbers have at least one decimal
// and two significant digits below 1, the need for customers is rounded up to two
// significant digits, and the output depends on nothing but c and unit.
func Verdict(c Comparison, unit string) string {
	switch c.Status {
	case Measured:
	case NotYetMeasurable, NotMeasurable:
		return c.Status.String() + ": " + c.Reason
	default:
		return "not measurable: unknown status"
	}

	best := c.Best()
	var b strings.Builder
	diff := best.Diff
	if unit == UnitPoints {
		diff *= 100
	}
	b.WriteString(formatSigned(diff))
	if unit != "" {
		b.WriteString(" " + unit)
	}
	if best.RelativeDefined {
		b.WriteString(" (" + formatSigned(best.Relative*100) + "%)")
	}
	switch {
	case c.Significant:
		b.WriteString(", significant")
	case c.MoreNeeded > 0:
		b.WriteString(", not significant yet: need about " + about(c.MoreNeeded) + " more ")
		if c.MoreNeeded == 1 {
			b.WriteString("customer")
		} else {
			b.WriteString("customers")
		}
		if balanced(c.NTreatment, c.NControl) {
			b.WriteString(" per group")
		} else {
			b.WriteString(" in the smaller group")
		}
	default:
		b.WriteString(", not significant: there are enough customers to see a " +
			strconv.FormatFloat(c.Options.MDE*100, 'f', -1, 64) + "% lift, so any lift is probably smaller")
	}
	return b.String()
}

// balanced says whether two group sizes are within 10% of each other, close enough for the
// need of the smaller one to be read as a need per group.
func balanced(a, b int64) bool {
	lo, hi := min(a, b), max(a, b)
	return float64(hi) <= 1.1*float64(lo)
}

// formatSigned formats v with an explicit sign, at least one decimal, two significant digits
// below 1 (0.80, 0.083, 0.0012; at most six decimals) and thousands grouped with commas. A
// value that rounds to zero has no sign.
func formatSigned(v float64) string {
	a := math.Abs(v)
	decimals := 1
	if a > 0 && a < 1 {
		decimals = min(6, max(1, 1-int(math.Floor(math.Log10(a)))))
	}
	s := strconv.FormatFloat(a, 'f', decimals, 64)
	if decimals > 1 {
		// Rounding can carry into the next decade (0.0996 → 0.100, or 0.1 stored as
		// 0.09999…): one decimal less then keeps two significant digits.
		if r, _ := strconv.ParseFloat(s, 64); r >= math.Pow(10, float64(2-decimals)) {
			decimals--
			s = strconv.FormatFloat(a, 'f', decimals, 64)
		}
	}
	if strings.Trim(s, "0.") == "" {
		return s
	}
	intPart, frac, _ := strings.Cut(s, ".")
	s = groupThousands(intPart) + "." + frac
	if v < 0 {
		return "-" + s
	}
	return "+" + s
}

// about formats a count of customers for a sentence: exact below 100, otherwise rounded up
// to two significant digits (4,163 reads "4,200"), so the need is never understated.
func about(n int64) string {
	if n >= 100 {
		unit := int64(1)
		for n/unit >= 100 {
			unit *= 10
		}
		n = (n + unit - 1) / unit * unit
	}
	return groupThousands(strconv.FormatInt(n, 10))
}

// groupThousands puts a comma between groups of three digits of a string of digits.
func groupThousands(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
