package adaptive

import (
	"math"
	"sort"
)

// calibrationEdges are the fixed bins of the raw score (the sum of the predictors'
// contributions, relative to the base log-odds) in which responses are counted for calibration.
var calibrationEdges = func() []float64 {
	const lo, hi, step = -4.0, 4.0, 0.25
	var edges []float64
	for e := lo; e <= hi+1e-9; e += step {
		edges = append(edges, e)
	}
	return edges
}()

// calibrationBin returns the calibration bin of a raw relative score.
func calibrationBin(raw float64) int { return fineBin(calibrationEdges, raw) }

// calibrationMidpoint returns the representative raw score of a calibration bin.
func calibrationMidpoint(b int) float64 {
	const halfStep = 0.125
	switch {
	case b == 0:
		return calibrationEdges[0] - halfStep
	case b == len(calibrationEdges):
		return calibrationEdges[len(calibrationEdges)-1] + halfStep
	default:
		return (calibrationEdges[b-1] + calibrationEdges[b]) / 2
	}
}

// curve maps a raw relative score to calibrated log-odds: a piecewise-linear, strictly
// increasing function through points (x[i], y[i]), extended with slope 1 beyond the ends, and
// blended with the raw log-odds by weight.
type curve struct {
	x, y   []float64
	weight float64
	base   float64
}

// buildCurve pools the calibration bins into a monotone curve. Each pooled block's rate is shrunk
// by strength pseudo-responses towards what the raw score predicts for it, so thin tables stay
// close to the raw model; blocks that do not increase strictly are merged with the block below
// (pool adjacent violators). The curve's weight against the raw score is n/(n+calStrength).
func buildCurve(bins []counts, base, strength, calStrength float64) curve {
	type block struct {
		c    counts
		xSum float64 // sum of bin midpoints weighted by responses, for the block's centre
	}
	center := func(b block) float64 { return b.xSum / b.c.n() }
	rate := func(b block) float64 {
		prior := sigmoid(base + center(b))
		return (b.c.pos + strength*prior) / (b.c.n() + strength)
	}
	var stack []block
	var total float64
	for i, c := range bins {
		if c.n() == 0 {
			continue
		}
		total += c.n()
		stack = append(stack, block{c: c, xSum: c.n() * calibrationMidpoint(i)})
		for len(stack) > 1 && rate(stack[len(stack)-2]) >= rate(stack[len(stack)-1]) {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			stack[len(stack)-1].c.add(top.c)
			stack[len(stack)-1].xSum += top.xSum
		}
	}
	cv := curve{base: base, weight: total / (total + calStrength)}
	for _, b := range stack {
		cv.x = append(cv.x, center(b))
		cv.y = append(cv.y, logit(rate(b)))
	}
	return cv
}

// apply returns the calibrated log-odds of a raw relative score.
func (cv *curve) apply(raw float64) float64 {
	uncalibrated := cv.base + raw
	n := len(cv.x)
	if n == 0 {
		return uncalibrated
	}
	var calibrated float64
	switch i := sort.SearchFloat64s(cv.x, raw); {
	case i == 0:
		calibrated = cv.y[0] + (raw - cv.x[0])
	case i == n:
		calibrated = cv.y[n-1] + (raw - cv.x[n-1])
	default:
		t := (raw - cv.x[i-1]) / (cv.x[i] - cv.x[i-1])
		calibrated = cv.y[i-1] + t*(cv.y[i]-cv.y[i-1])
	}
	if math.IsNaN(calibrated) {
		return uncalibrated
	}
	return cv.weight*calibrated + (1-cv.weight)*uncalibrated
}
