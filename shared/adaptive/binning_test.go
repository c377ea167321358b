package adaptive

import (
	"math"
	"slices"
	"testing"
)

func TestQuantileEdges(t *testing.T) {
	tests := []struct {
		name    string
		sample  []float64
		maxBins int
		want    []float64
	}{
		{"uniform", []float64{1, 2, 3, 4, 5, 6, 7, 8}, 4, []float64{2, 4, 6}},
		{"ties collapse", []float64{1, 1, 1, 1, 2, 2, 3, 9}, 4, []float64{1, 2}},
		{"NaN ignored", []float64{math.NaN(), 1, 2, 3, 4}, 2, []float64{2}},
		{"constant", []float64{5, 5, 5}, 4, nil},
		{"empty", nil, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := QuantileEdges(tt.sample, tt.maxBins); !slices.Equal(got, tt.want) {
				t.Errorf("QuantileEdges(%v, %d) = %v, want %v", tt.sample, tt.maxBins, got, tt.want)
			}
		})
	}
}

func TestMergeAdjacent(t *testing.T) {
	tests := []struct {
		name        string
		fine        []counts
		min         float64
		wantGroupOf []int
		wantGroups  []counts
	}{
		{"all thick", []counts{{1, 9}, {2, 8}}, 10, []int{0, 1}, []counts{{1, 9}, {2, 8}}},
		{"thin bins merge", []counts{{1, 4}, {1, 4}, {0, 10}}, 10, []int{0, 0, 1}, []counts{{2, 8}, {0, 10}}},
		{"thin remainder joins last", []counts{{1, 9}, {0, 3}, {0, 0}}, 10, []int{0, 0, 0}, []counts{{1, 12}}},
		{"nothing thick", []counts{{0, 1}, {1, 1}}, 10, []int{0, 0}, []counts{{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groupOf, groups := mergeAdjacent(tt.fine, tt.min)
			if !slices.Equal(groupOf, tt.wantGroupOf) || !slices.Equal(groups, tt.wantGroups) {
				t.Errorf("mergeAdjacent(%v, %v) = %v, %v, want %v, %v", tt.fine, tt.min, groupOf, groups, tt.wantGroupOf, tt.wantGroups)
			}
		})
	}
}

func TestMergeSimilar(t *testing.T) {
	tests := []struct {
		name        string
		groups      []counts
		wantGroupOf []int
		wantGroups  []counts
	}{
		{"same rates merge", []counts{{10, 90}, {11, 89}, {9, 91}}, []int{0, 0, 0}, []counts{{30, 270}}},
		{"different rates stay", []counts{{10, 90}, {50, 50}}, []int{0, 1}, []counts{{10, 90}, {50, 50}}},
		{"step kept, plateaus merged", []counts{{10, 90}, {10, 90}, {50, 50}, {52, 48}}, []int{0, 0, 1, 1}, []counts{{20, 180}, {102, 98}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groupOf := make([]int, len(tt.groups))
			for i := range groupOf {
				groupOf[i] = i
			}
			gotOf, got := mergeSimilar(groupOf, tt.groups, DefaultMinBinChiSquare)
			if !slices.Equal(gotOf, tt.wantGroupOf) || !slices.Equal(got, tt.wantGroups) {
				t.Errorf("mergeSimilar(%v) = %v, %v, want %v, %v", tt.groups, gotOf, got, tt.wantGroupOf, tt.wantGroups)
			}
		})
	}
}

func TestChiSquare(t *testing.T) {
	// 2×2 table [[10, 90], [30, 70]]: n=200, ad−bc = 10·70 − 90·30 = −2000,
	// margins 100·100·40·160, so chi² = 200·2000² / 64,000,000 = 12.5.
	if got := chiSquare(counts{10, 90}, counts{30, 70}); math.Abs(got-12.5) > 1e-9 {
		t.Errorf("chiSquare = %v, want 12.5", got)
	}
	if got := chiSquare(counts{0, 10}, counts{0, 20}); got != 0 {
		t.Errorf("chiSquare without positives = %v, want 0", got)
	}
}
