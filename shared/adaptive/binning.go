package adaptive

import (
	"math"
	"slices"
)

// fineBin returns the index of the fine bin holding x: bin i holds (edges[i-1], edges[i]].
func fineBin(edges []float64, x float64) int {
	i, _ := slices.BinarySearch(edges, x)
	return i
}

// QuantileEdges returns at most maxBins-1 distinct edges that split sample into bins of about
// equal size: the fine edges of a numeric predictor, learned from its first observations. The
// sample is not modified.
func QuantileEdges(sample []float64, maxBins int) []float64 {
	xs := make([]float64, 0, len(sample))
	for _, x := range sample {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 || maxBins < 2 {
		return nil
	}
	slices.Sort(xs)
	var edges []float64
	for i := 1; i < maxBins; i++ {
		e := xs[(len(xs)-1)*i/maxBins]
		// The largest value needs no edge above it, and ties give one edge only.
		if e < xs[len(xs)-1] && (len(edges) == 0 || e > edges[len(edges)-1]) {
			edges = append(edges, e)
		}
	}
	return edges
}

// counts are the (weighted) responses of a bin or a group of bins.
type counts struct{ pos, neg float64 }

func (c counts) n() float64 { return c.pos + c.neg }

func (c *counts) add(o counts) {
	c.pos += o.pos
	c.neg += o.neg
}

// mergeAdjacent groups consecutive fine bins, left to right, until each group holds at least
// minEvidence responses; a thin remainder joins the last group. It returns the group of each
// fine bin and the groups' counts.
func mergeAdjacent(fine []counts, minEvidence float64) (groupOf []int, groups []counts) {
	groupOf = make([]int, len(fine))
	var open counts
	for i, c := range fine {
		groupOf[i] = len(groups)
		open.add(c)
		if open.n() >= minEvidence {
			groups = append(groups, open)
			open = counts{}
		}
	}
	switch {
	case len(groups) == 0:
		groups = append(groups, open)
	case open.n() > 0 || groupOf[len(fine)-1] == len(groups):
		groups[len(groups)-1].add(open)
		for i := range groupOf {
			if groupOf[i] == len(groups) {
				groupOf[i] = len(groups) - 1
			}
		}
	}
	return groupOf, groups
}

// mergeSimilar merges, among groups of consecutive bins, the adjacent pair whose response rates
// differ least (smallest chi-square statistic of their 2×2 table) until every adjacent pair
// differs by at least minChiSquare (ChiMerge). It keeps bins only where the data say the rate
// changes, so a numeric predictor gets few wide bins on weak evidence and many on strong. It
// updates groupOf to the merged groups' indexes.
func mergeSimilar(groupOf []int, groups []counts, minChiSquare float64) ([]int, []counts) {
	groups = slices.Clone(groups)
	for len(groups) > 1 {
		best, bestChi := -1, minChiSquare
		for i := 0; i+1 < len(groups); i++ {
			if chi := chiSquare(groups[i], groups[i+1]); chi < bestChi {
				best, bestChi = i, chi
			}
		}
		if best < 0 {
			break
		}
		groups[best].add(groups[best+1])
		groups = slices.Delete(groups, best+1, best+2)
		for i, g := range groupOf {
			if g > best {
				groupOf[i] = g - 1
			}
		}
	}
	return groupOf, groups
}

// chiSquare returns Pearson's chi-square statistic of the 2×2 table of two groups' positives
// and negatives; 0 when a margin is empty (the groups cannot be told apart).
func chiSquare(a, b counts) float64 {
	n := a.n() + b.n()
	den := a.n() * b.n() * (a.pos + b.pos) * (a.neg + b.neg)
	if den == 0 {
		return 0
	}
	d := a.pos*b.neg - a.neg*b.pos
	return n * d * d / den
}
