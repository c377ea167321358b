// Package chart draws the charts of the operator's reports as inline SVG, with gonum's
// plot library: a page that embeds them, and FontCSS once, is self-contained (no script,
// no file and nothing from the internet is needed to view it).
//
// Three shapes cover the reports: estimates with intervals by name (Intervals), lines
// over a numeric axis with optional interval bands (Lines), and predicted against
// observed rates (Calibration).
package chart

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"strings"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size is a chart's width and height.
type Size struct{ Width, Height vg.Length }

var wide = Size{Width: 17 * vg.Centimeter, Height: 9 * vg.Centimeter}

// Wide returns the size of a chart that spans a report's column.
func Wide() Size { return wide }

// Tall returns the size of an intervals chart with n rows.
func Tall(n int) Size {
	return Size{Width: wide.Width, Height: vg.Length(max(n, 3))*0.75*vg.Centimeter + 3*vg.Centimeter}
}

// sans is the face every chart's text uses; FontCSS carries it into the page.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// palette: colour-blind-safe (Okabe-Ito) for the series, grey for references.
var (
	palette = []color.RGBA{
		color.RGBA{0, 114, 178, 255},   // blue
		color.RGBA{213, 94, 0, 255},    // vermillion
		color.RGBA{0, 158, 115, 255},   // green
		color.RGBA{204, 121, 167, 255}, // purple
		color.RGBA{230, 159, 0, 255},   // orange
	}
	grey = color.RGBA{120, 120, 120, 255}
)

// Interval is one named estimate with its interval. Highlight draws it in the first
// colour, others in grey.
type Interval struct {
	Name          string
	Value, Lo, Hi float64
	Highlight     bool
}

// Intervals draws estimates with their intervals, one row per estimate, top to bottom
// in the given order.
func Intervals(title, axis string, rows []Interval, size Size) (template.HTML, error) {
	p := newPlot(title, axis, "")
	names := make([]string, len(rows))
	for i, r := range rows {
		y := float64(len(rows) - 1 - i) // the first row on top
		names[len(rows)-1-i] = r.Name
		c := grey
		if r.Highlight {
			c = palette[0]
		}
		bars, err := plotter.NewXErrorBars(struct {
			plotter.XYs
			plotter.XErrors
		}{plotter.XYs{{X: r.Value, Y: y}}, plotter.XErrors{{Low: r.Value - r.Lo, High: r.Hi - r.Value}}})
		if err != nil {
			return "", fmt.Errorf("chart %q: %s: %w", title, r.Name, err)
		}
		bars.LineStyle.Color, bars.LineStyle.Width = c, vg.Points(1.5)
		point, err := plotter.NewScatter(plotter.XYs{{X: r.Value, Y: y}})
		if err != nil {
			return "", fmt.Errorf("chart %q: %s: %w", title, r.Name, err)
		}
		point.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
		p.Add(bars, point)
	}
	p.NominalY(names...)
	p.Add(plotter.NewGrid())
	return render(p, size)
}

// Series is one line of a Lines chart; Lo and Hi, when given (as long as Points), draw
// its interval as a band. Dashed draws a reference line.
type Series struct {
	Name   string
	Points []Point
	Lo, Hi []float64
	Dashed bool
}

// Point is one point of a series.
type Point struct{ X, Y float64 }

// Lines draws series over a numeric x axis.
func Lines(title, xAxis, yAxis string, series []Series, size Size) (template.HTML, error) {
	p := newPlot(title, xAxis, yAxis)
	p.Add(plotter.NewGrid())
	colour := 0
	for _, s := range series {
		if len(s.Points) == 0 {
			continue
		}
		c := grey
		if !s.Dashed {
			c = palette[colour%len(palette)]
			colour++
		}
		xys := make(plotter.XYs, len(s.Points))
		for i, pt := range s.Points {
			xys[i] = plotter.XY(pt)
		}
		if len(s.Lo) == len(s.Points) && len(s.Hi) == len(s.Points) {
			band := make(plotter.XYs, 0, 2*len(s.Points))
			for i, pt := range s.Points {
				band = append(band, plotter.XY{X: pt.X, Y: s.Hi[i]})
			}
			for i := len(s.Points) - 1; i >= 0; i-- {
				band = append(band, plotter.XY{X: s.Points[i].X, Y: s.Lo[i]})
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return "", fmt.Errorf("chart %q: %s band: %w", title, s.Name, err)
			}
			r, g, b, _ := c.RGBA()
			poly.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 50}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return "", fmt.Errorf("chart %q: %s: %w", title, s.Name, err)
		}
		line.Color, line.Width = c, vg.Points(2)
		points.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		if s.Dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(4)}
			line.Width = vg.Points(1.5)
			points.GlyphStyle.Radius = 0
		}
		p.Add(line, points)
		p.Legend.Add(s.Name, line)
	}
	// Head-room above the data for the legend, which sits at the top left: a tenth of
	// the data's height per entry, at least three.
	if p.Y.Max > p.Y.Min {
		p.Y.Max += 0.1 * float64(max(len(series), 3)) * (p.Y.Max - p.Y.Min)
	}
	return render(p, size)
}

// Calibration draws predicted against observed rates, with the diagonal a calibrated
// model follows.
func Calibration(title string, predicted, observed []float64, size Size) (template.HTML, error) {
	top := 0.0
	points := make([]Point, len(predicted))
	for i := range predicted {
		points[i] = Point{X: predicted[i], Y: observed[i]}
		top = max(top, predicted[i], observed[i])
	}
	top = max(top*1.05, 1e-6)
	return Lines(title, "predicted rate", "observed rate", []Series{
		{Name: "perfectly calibrated", Points: []Point{{0, 0}, {top, top}}, Dashed: true},
		{Name: "by decile of the prediction", Points: points},
	}, size)
}

func newPlot(title, xAxis, yAxis string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xAxis, yAxis
	p.Title.TextStyle.Font = sans
	p.Title.TextStyle.Font.Size = vg.Points(13)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans
		a.Label.TextStyle.Font.Size = vg.Points(11)
		a.Tick.Label.Font = sans
		a.Tick.Label.Font.Size = vg.Points(10)
	}
	p.Legend.TextStyle.Font = sans
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	return p
}

func render(p *plot.Plot, size Size) (template.HTML, error) {
	c := vgsvg.New(size.Width, size.Height)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("chart %q: %w", p.Title.Text, err)
	}
	svg := buf.String()
	// The SVG's own prelude is for a file; inline in HTML only the <svg> element counts.
	if i := strings.Index(svg, "<svg"); i > 0 {
		svg = svg[i:]
	}
	// Fixed points become a width that follows the page, the aspect ratio kept.
	svg = strings.Replace(svg, "<svg", `<svg role="img" style="max-width:100%;height:auto"`, 1)
	return template.HTML(svg), nil // vgsvg escapes every text it draws
}

// FontCSS is the @font-face rule that carries the charts' typeface into a page, so that
// text is measured and drawn with the font the layout was computed for.
func FontCSS() (template.CSS, error) {
	face := font.DefaultCache.Lookup(sans, vg.Points(10))
	if face.Face == nil {
		return "", fmt.Errorf("chart: font %v is not available", sans)
	}
	var raw bytes.Buffer
	if _, err := face.Face.WriteSourceTo(nil, &raw); err != nil {
		return "", fmt.Errorf("chart: read font: %w", err)
	}
	var buf sfnt.Buffer
	family, err := face.Face.Name(&buf, sfnt.NameIDFamily)
	if err != nil {
		return "", fmt.Errorf("chart: font family: %w", err)
	}
	return template.CSS(fmt.Sprintf("@font-face{font-family:%q;src:url(data:font/ttf;base64,%s) format(\"truetype\");}",
		family, base64.StdEncoding.EncodeToString(raw.Bytes()))), nil
}
