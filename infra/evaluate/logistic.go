package main

import (
	"errors"
	"fmt"
	"math"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// encoder turns predictor values into a numeric design row: one-hot for the symbols seen in
// training (unseen symbols get all zeros), standardized numbers (training mean and standard
// deviation), and a leading intercept.
type encoder struct {
	columns []column
	// offset is where each column's features start; symbols maps each symbolic column's
	// values to their feature index.
	offset  []int
	symbols []map[string]int
	mean    []float64
	sd      []float64
	width   int
}

// newEncoder learns the encoding from the training rows.
func newEncoder(cols []column, rows []example) *encoder {
	e := &encoder{columns: cols, offset: make([]int, len(cols)), symbols: make([]map[string]int, len(cols)),
		mean: make([]float64, len(cols)), sd: make([]float64, len(cols)), width: 1}
	for j, c := range cols {
		e.offset[j] = e.width
		if c.kind == adaptive.Symbolic {
			e.symbols[j] = make(map[string]int)
			for _, r := range rows {
				if _, ok := e.symbols[j][r.x[j].Symbol]; !ok {
					e.symbols[j][r.x[j].Symbol] = len(e.symbols[j])
				}
			}
			e.width += len(e.symbols[j])
			continue
		}
		var sum, sumSq float64
		for _, r := range rows {
			sum += r.x[j].Number
			sumSq += r.x[j].Number * r.x[j].Number
		}
		n := float64(len(rows))
		e.mean[j] = sum / n
		e.sd[j] = math.Sqrt(math.Max(sumSq/n-e.mean[j]*e.mean[j], 0))
		if e.sd[j] == 0 {
			e.sd[j] = 1 // A constant column: standardizing only centres it.
		}
		e.width++
	}
	return e
}

// encode writes the design row of x into dst (of length width).
func (e *encoder) encode(x []adaptive.Value, dst []float64) {
	clear(dst)
	dst[0] = 1
	for j, c := range e.columns {
		if c.kind == adaptive.Symbolic {
			if k, ok := e.symbols[j][x[j].Symbol]; ok {
				dst[e.offset[j]+k] = 1
			}
			continue
		}
		dst[e.offset[j]] = (x[j].Number - e.mean[j]) / e.sd[j]
	}
}

// logistic is an L2-regularized logistic regression.
type logistic struct {
	enc  *encoder
	beta []float64
}

// fitLogistic trains a logistic regression on rows by Newton's method (iteratively reweighted
// least squares) with an L2 penalty lambda on every weight and a much smaller one, lambda0, on
// the intercept, until the largest step is below 1e-8. The penalties keep the problem strictly
// convex, so Newton converges even on separable data or when no training row responds.
func fitLogistic(cols []column, rows []example, lambda, lambda0 float64) (*logistic, error) {
	if len(rows) == 0 {
		return nil, errors.New("fit logistic regression: no rows")
	}
	enc := newEncoder(cols, rows)
	d := enc.width
	design := make([][]float64, len(rows))
	for i, r := range rows {
		design[i] = make([]float64, d)
		enc.encode(r.x, design[i])
	}
	beta := make([]float64, d)
	hess := make([][]float64, d)
	for i := range hess {
		hess[i] = make([]float64, d)
	}
	grad := make([]float64, d)
	const maxIter = 100
	for iter := range maxIter {
		for i := range hess {
			clear(hess[i])
		}
		clear(grad)
		for i, x := range design {
			p := sigmoid(dot(beta, x))
			y := 0.0
			if rows[i].y {
				y = 1
			}
			w := math.Max(p*(1-p), 1e-12)
			for a, xa := range x {
				if xa == 0 {
					continue
				}
				grad[a] += (y - p) * xa
				for b := 0; b <= a; b++ {
					hess[a][b] += w * xa * x[b]
				}
			}
		}
		for a := 1; a < d; a++ {
			grad[a] -= lambda * beta[a]
			hess[a][a] += lambda
		}
		grad[0] -= lambda0 * beta[0]
		hess[0][0] += lambda0
		step, err := choleskySolve(hess, grad)
		if err != nil {
			return nil, fmt.Errorf("fit logistic regression: iteration %d: %w", iter, err)
		}
		var largest float64
		for a := range beta {
			beta[a] += step[a]
			largest = math.Max(largest, math.Abs(step[a]))
		}
		if largest < 1e-8 {
			return &logistic{enc: enc, beta: beta}, nil
		}
	}
	return nil, fmt.Errorf("fit logistic regression: no convergence in %d iterations", maxIter)
}

// score returns the log-odds of x.
func (m *logistic) score(x []adaptive.Value, buf []float64) float64 {
	m.enc.encode(x, buf)
	return dot(m.beta, buf)
}

// choleskySolve solves A·s = g for a symmetric positive definite A given by its lower
// triangle (A is overwritten with its Cholesky factor).
func choleskySolve(a [][]float64, g []float64) ([]float64, error) {
	n := len(g)
	for j := range n {
		sum := a[j][j]
		for k := range j {
			sum -= a[j][k] * a[j][k]
		}
		if sum <= 0 {
			return nil, fmt.Errorf("matrix not positive definite at pivot %d", j)
		}
		a[j][j] = math.Sqrt(sum)
		for i := j + 1; i < n; i++ {
			s := a[i][j]
			for k := range j {
				s -= a[i][k] * a[j][k]
			}
			a[i][j] = s / a[j][j]
		}
	}
	s := make([]float64, n)
	for i := range n { // Forward: L·z = g.
		v := g[i]
		for k := range i {
			v -= a[i][k] * s[k]
		}
		s[i] = v / a[i][i]
	}
	for i := n - 1; i >= 0; i-- { // Backward: Lᵀ·s = z.
		v := s[i]
		for k := i + 1; k < n; k++ {
			v -= a[k][i] * s[k]
		}
		s[i] = v / a[i][i]
	}
	return s, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
