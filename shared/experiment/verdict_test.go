package experiment

import "testing"

func TestVerdict(t *testing.T) {
	measured := func(diff, relative float64, significant bool, more, nT, nC int64) Comparison {
		return Comparison{
			Status:      Measured,
			NTreatment:  nT,
			NControl:    nC,
			Plain:       Estimate{Diff: diff, RelativeDefined: true, Relative: relative},
			Significant: significant,
			MoreNeeded:  more,
			Options:     Options{}.withDefaults(),
		}
	}
	noRelative := measured(0.021, 0, true, 0, 100, 100)
	noRelative.Plain.RelativeDefined = false
	cuped := measured(5, 0.5, true, 0, 100, 100)
	cuped.CUPEDApplied = true
	cuped.CUPED = Estimate{Diff: 4.2, RelativeDefined: true, Relative: 0.42}

	tests := []struct {
		name string
		c    Comparison
		unit string
		want string
	}{
		{"significant rate", measured(0.021, 0.12, true, 0, 10000, 10000), UnitPoints, "+2.1 points (+12.0%), significant"},
		{"revenue not yet", measured(0.8, 0.015, false, 4163, 10000, 10000), "€/customer", "+0.80 €/customer (+1.5%), not significant yet: need about 4,200 more customers per group"},
		{"unequal groups", measured(0.8, 0.015, false, 4163, 480000, 10000), "€/customer", "+0.80 €/customer (+1.5%), not significant yet: need about 4,200 more customers in the smaller group"},
		{"one more", measured(-0.0123, -0.2, false, 1, 10, 10), "", "-0.012 (-20.0%), not significant yet: need about 1 more customer per group"},
		{"exact below a hundred", measured(1234.5, 0.0035, false, 57, 10, 10), "€", "+1,234.5 € (+0.35%), not significant yet: need about 57 more customers per group"},
		{"no difference", measured(0, 0, false, 12_345_678, 10, 10), UnitPoints, "0.0 points (0.0%), not significant yet: need about 13,000,000 more customers per group"},
		{"enough customers", measured(0.001, 0.004, false, 0, 10, 10), UnitPoints, "+0.10 points (+0.40%), not significant: there are enough customers to see a 5% lift, so any lift is probably smaller"},
		{"relative undefined", noRelative, UnitPoints, "+2.1 points, significant"},
		{"CUPED is reported when applied", cuped, "orders", "+4.2 orders (+42.0%), significant"},
		{"negative and significant", measured(-0.5, -0.1, true, 0, 10, 10), "€/customer", "-0.50 €/customer (-10.0%), significant"},
		{"empty control", Compare(sampleOf(1, 2), Sample{}, Options{}), UnitPoints, "not measurable: the control group is empty"},
		{"zero-outcome cut", Compare(sampleOf(0, 0, 0), sampleOf(0, 0), Options{}), UnitPoints, "not yet measurable: no customer in either group has an outcome yet (zero-outcome cut)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verdict(tt.c, tt.unit); got != tt.want {
				t.Errorf("Verdict = %q\n            want %q", got, tt.want)
			}
		})
	}
}

func TestFormatSigned(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0.0"},
		{-0.00001, "-0.000010"},
		{0.0000001, "0.000000"},
		{-0.0000001, "0.000000"},
		{0.8, "+0.80"},
		{0.083, "+0.083"},
		{0.0996, "+0.10"},
		{0.1 - 1e-17, "+0.10"},
		{0.036 - 0.035, "+0.0010"},
		{0.99996, "+1.0"},
		{2.14, "+2.1"},
		{-12.35, "-12.3"},
		{1234567.89, "+1,234,567.9"},
	}
	for _, tt := range tests {
		if got := formatSigned(tt.v); got != tt.want {
			t.Errorf("formatSigned(%g) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestAbout(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 99: "99", 100: "100", 101: "110", 4163: "4,200", 4200: "4,200", 999_999: "1,000,000", 1_000_000_000_000_000: "1,000,000,000,000,000"} {
		if got := about(n); got != want {
			t.Errorf("about(%d) = %q, want %q", n, got, want)
		}
	}
}
