package decision

import (
	"hash/fnv"
	"math/rand/v2"
)

// controlGroup assigns a customer to a control group by hashing the salted customer
// id into [0, 1): the same customer lands in the same group on every channel and every
// request, and changing the salt reshuffles everyone.
func (c *Catalog) controlGroup(customerID string) string {
	g := c.Settings.ControlGroups
	if g.RandomShare == 0 && g.SilenceShare == 0 {
		return ""
	}
	u := unitHash(g.Salt + "\x00" + customerID)
	switch {
	case u < g.SilenceShare:
		return ControlSilence
	case u < g.SilenceShare+g.RandomShare:
		return ControlRandom
	default:
		return ""
	}
}

// ControlGroupOf is the control group a customer is held out in ("random", "silence"),
// or "" for a customer the engine decides for.
func (c *Catalog) ControlGroupOf(customerID string) string { return c.controlGroup(customerID) }

// unitHash maps a string uniformly onto [0, 1). FNV-1a alone leaves its high bits
// poorly mixed for short, similar inputs such as sequential customer ids (shares came
// out 60% too large), so its result goes through splitmix64's finalizer.
func unitHash(s string) float64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return float64(mix64(h.Sum64())>>11) / (1 << 53)
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// shuffle orders candidates pseudo-randomly from a seed string, so a decision's
// random choice is reproducible from its id.
func shuffle(cs []candidate, seed string) {
	seededRand(seed).Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
}

// seededRand is the decision's source of randomness, derived from its id: the same
// decision id always explores and shuffles the same way.
func seededRand(seed string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return rand.New(rand.NewPCG(mix64(h.Sum64()), 0x6e657874))
}
