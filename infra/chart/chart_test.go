package chart_test

import (
	"math"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/chart"
)

func TestCharts(t *testing.T) {
	tests := []struct {
		name  string
		draw  func() (string, error)
		shows []string
	}{
		{
			name: "intervals",
			draw: func() (string, error) {
				svg, err := chart.Intervals("Values", "per row", []chart.Interval{
					{Name: "engine", Value: 0.2, Lo: 0.18, Hi: 0.22, Highlight: true},
					{Name: "no one & co", Value: 0.1, Lo: 0.09, Hi: 0.11},
				}, chart.Tall(2))
				return string(svg), err
			},
			shows: []string{"Values", "engine", "no one &amp; co", "per row"},
		},
		{
			name: "lines with a band",
			draw: func() (string, error) {
				svg, err := chart.Lines("Curve", "budget", "added", []chart.Series{
					{Name: "reference", Points: []chart.Point{{0, 0}, {1, 1}}, Dashed: true},
					{Name: "engine", Points: []chart.Point{{0, 0}, {0.5, 0.7}, {1, 1}}, Lo: []float64{0, 0.6, 0.9}, Hi: []float64{0, 0.8, 1.1}},
				}, chart.Wide())
				return string(svg), err
			},
			shows: []string{"Curve", "budget", "added", "reference", "engine", "<path"},
		},
		{
			name: "calibration",
			draw: func() (string, error) {
				svg, err := chart.Calibration("Calibration", []float64{0.1, 0.2}, []float64{0.12, 0.18}, chart.Wide())
				return string(svg), err
			},
			shows: []string{"Calibration", "predicted rate", "observed rate", "perfectly calibrated"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg, err := tt.draw()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(strings.TrimSpace(svg), "</svg>") {
				t.Fatalf("not one inline <svg> element: %.80q ... %.40q", svg, svg[max(0, len(svg)-40):])
			}
			for _, s := range tt.shows {
				if !strings.Contains(svg, s) {
					t.Errorf("the chart does not show %q", s)
				}
			}
		})
	}
}

func TestChartsRefuseNaN(t *testing.T) {
	if _, err := chart.Intervals("x", "y", []chart.Interval{{Name: "a", Value: math.NaN()}}, chart.Wide()); err == nil {
		t.Error("Intervals drew a NaN")
	}
	if _, err := chart.Lines("x", "y", "z", []chart.Series{{Name: "a", Points: []chart.Point{{0, math.NaN()}}}}, chart.Wide()); err == nil {
		t.Error("Lines drew a NaN")
	}
}

func TestFontCSS(t *testing.T) {
	css, err := chart.FontCSS()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(css), `font-family:"Liberation Sans"`) || !strings.Contains(string(css), "base64,") {
		t.Errorf("FontCSS = %.120s...", css)
	}
}
