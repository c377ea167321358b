package adaptive

import (
	"math"
	"math/rand/v2"
)

// Sample draws a propensity for Thompson sampling: a Beta(p·n, (1−p)·n) variate, where p is the
// calibrated propensity and n the effective sample size, the model's evidence plus its prior
// strength. Ranking actions by their draws instead of their propensities explores actions with
// little evidence (their draws spread widely) and converges to the propensity ranking as
// evidence grows (the draws' spread shrinks like 1/√n). The result depends only on the score and
// on rng, so a seeded rng gives reproducible decisions.
func (sc Score) Sample(rng *rand.Rand) float64 {
	n := sc.sampleSize
	if n <= 0 {
		return sc.Propensity
	}
	a := sc.Propensity * n
	b := (1 - sc.Propensity) * n
	x := gamma(rng, a)
	y := gamma(rng, b)
	if x+y == 0 {
		return sc.Propensity
	}
	return x / (x + y)
}

// gamma draws from Gamma(shape, 1) by Marsaglia and Tsang's method; shapes below 1 use the
// boost Gamma(shape+1)·U^(1/shape).
func gamma(rng *rand.Rand, shape float64) float64 {
	if shape <= 0 {
		return 0
	}
	if shape < 1 {
		return gamma(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		z := rng.NormFloat64()
		v := 1 + c*z
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*z*z+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}
