package experiment

import "math"

// Sample summarises one group's per-customer values: the metric Y and, optionally, the same
// metric over a pre-period X, used by CUPED to remove variance that existed before the
// experiment. It holds plain sums rather than running means, so two samples add field by
// field (Merge), a store can persist them with atomic additions, and the order in which
// customers arrive does not matter.
//
// A customer without a pre-period is added with pre = 0; X must be measured the same way in
// both groups being compared. If no customer has a pre-period, every pre is 0 and Compare
// skips CUPED.
//
// The zero value is an empty sample, ready to use.
type Sample struct {
	// N is the number of customers added.
	N int64
	// SumY and SumY2 are the sums of the metric and of its square.
	SumY, SumY2 float64
	// SumX and SumX2 are the sums of the pre-period covariate and of its square.
	SumX, SumX2 float64
	// SumXY is the sum of the products of metric and covariate.
	SumXY float64
	// Invalid counts customers refused by Add because the metric or the covariate was NaN,
	// infinite or too large to square: one such value would poison every sum, so it is
	// counted instead of added, and a report can say how many were left out.
	Invalid int64
}

// Add adds one customer with metric y and pre-period covariate pre (0 when there is none).
func (s *Sample) Add(y, pre float64) {
	s.AddN(y, pre, 1)
}

// AddN adds count customers who all have metric y and covariate pre. It exists because most
// customers of a window have no outcome at all: a report adds them in one call,
// AddN(0, 0, members-with-outcomes), instead of one by one. A count <= 0 adds nothing.
func (s *Sample) AddN(y, pre float64, count int64) {
	if count <= 0 {
		return
	}
	c := float64(count)
	// The squares are checked too: a value beyond 1e154 is finite but its square is not.
	if !isFinite(y) || !isFinite(pre) || !isFinite(c*y*y) || !isFinite(c*pre*pre) || !isFinite(c*y*pre) {
		s.Invalid += count
		return
	}
	s.N += count
	s.SumY += c * y
	s.SumY2 += c * y * y
	s.SumX += c * pre
	s.SumX2 += c * pre * pre
	s.SumXY += c * y * pre
}

// Merge adds every customer of o to s, for example to sum segments or shards into a total.
func (s *Sample) Merge(o Sample) {
	s.N += o.N
	s.SumY += o.SumY
	s.SumY2 += o.SumY2
	s.SumX += o.SumX
	s.SumX2 += o.SumX2
	s.SumXY += o.SumXY
	s.Invalid += o.Invalid
}

// Mean is the mean of the metric, 0 for an empty sample.
func (s Sample) Mean() float64 {
	if s.N == 0 {
		return 0
	}
	return s.SumY / float64(s.N)
}

// Variance is the sample variance of the metric (denominator N-1), 0 with fewer than two
// customers.
func (s Sample) Variance() float64 {
	if s.N < 2 {
		return 0
	}
	return s.ssY() / float64(s.N-1)
}

// PreMean is the mean of the pre-period covariate, 0 for an empty sample.
func (s Sample) PreMean() float64 {
	if s.N == 0 {
		return 0
	}
	return s.SumX / float64(s.N)
}

// PreVariance is the sample variance of the pre-period covariate, 0 with fewer than two
// customers.
func (s Sample) PreVariance() float64 {
	if s.N < 2 {
		return 0
	}
	return s.ssX() / float64(s.N-1)
}

// Covariance is the sample covariance of metric and pre-period covariate, 0 with fewer than
// two customers.
func (s Sample) Covariance() float64 {
	if s.N < 2 {
		return 0
	}
	return s.sXY() / float64(s.N-1)
}

// cancellation is the relative size below which a centred sum of squares computed from raw
// sums is rounding noise: SumY2 - SumY²/N loses the digits the two terms share, so a group in
// which every customer has the same value (49.99 € each, say) would otherwise show a
// spurious tiny variance instead of exactly 0. Below the bound the standard deviation is
// under 1e-5 of the root mean square: no metric of a lift report is that constant, while
// rounding over millions of customers stays well under it.
const cancellation = 1e-10

// ssY is Σ(y - ȳ)², the centred sum of squares of the metric.
func (s Sample) ssY() float64 {
	return centred(s.SumY2, s.SumY, s.N)
}

// ssX is Σ(x - x̄)², the centred sum of squares of the covariate.
func (s Sample) ssX() float64 {
	return centred(s.SumX2, s.SumX, s.N)
}

// sXY is Σ(x - x̄)(y - ȳ), the centred sum of cross-products.
func (s Sample) sXY() float64 {
	if s.N == 0 {
		return 0
	}
	c := s.SumXY - s.SumX*(s.SumY/float64(s.N))
	if math.Abs(c) <= cancellation*math.Sqrt(s.SumX2*s.SumY2) {
		return 0
	}
	return c
}

// centred returns sumSq - sum²/n, clamped to 0 where it is rounding noise. sum·(sum/n) is at
// most sumSq (Cauchy-Schwarz), so unlike sum² it cannot overflow when sumSq does not.
func centred(sumSq, sum float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	c := sumSq - sum*(sum/float64(n))
	if c <= cancellation*sumSq {
		return 0
	}
	return c
}

// valid says whether the sums can describe a group of customers at all. A sample built by
// Add and Merge always is; one read back from storage might not be.
func (s Sample) valid() bool {
	return s.N >= 0 && s.Invalid >= 0 && s.SumY2 >= 0 && s.SumX2 >= 0 &&
		isFinite(s.SumY) && isFinite(s.SumY2) && isFinite(s.SumX) && isFinite(s.SumX2) && isFinite(s.SumXY)
}

func isFinite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}
