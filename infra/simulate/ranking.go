package simulate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Ranking is an outside model's targeting of a log's rows, valued on the uplift curve
// beside the engine's, by the same estimator on the same rows: for each row it ranks
// (by Row.Index), the action it would send and the uplift it expects. Rows it leaves
// out are sent nothing.
type Ranking struct {
	Name string
	Rows map[int]Ranked
}

// Ranked is one row's targeting by a ranking.
type Ranked struct {
	Action string
	Uplift float64
}

// PeerCurve is a ranking's uplift curve, and how many more outcomes per row the
// engine's half budget brings than the ranking's (paired, doubly robust; negative when
// the ranking does better).
type PeerCurve struct {
	Name              string        `json:"name"`
	Uplift            []UpliftPoint `json:"uplift"`
	EngineAheadAtHalf Gain          `json:"engineAheadAtHalf"`
}

// Gain is a difference in outcomes per row with its 95% interval.
type Gain struct {
	Value float64    `json:"value"`
	CI    [2]float64 `json:"ci"`
}

// ReadRanking reads a ranking from CSV with the header row,action,uplift: row is the
// data row's index in the log (0 for the first row after the header), action one of the
// mapping's action ids.
func ReadRanking(name string, r io.Reader) (Ranking, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return Ranking{}, fmt.Errorf("ranking %s: header: %w", name, err)
	}
	if !slices.Equal(header, []string{"row", "action", "uplift"}) {
		return Ranking{}, fmt.Errorf("ranking %s: the header is %q, want row,action,uplift", name, strings.Join(header, ","))
	}
	out := Ranking{Name: name, Rows: map[int]Ranked{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return Ranking{}, fmt.Errorf("ranking %s: %w", name, err)
		}
		row, err := strconv.Atoi(rec[0])
		if err != nil || row < 0 {
			return Ranking{}, fmt.Errorf("ranking %s line %d: row %q is not a row index", name, line, rec[0])
		}
		uplift, err := strconv.ParseFloat(rec[2], 64)
		if err != nil || uplift != uplift {
			return Ranking{}, fmt.Errorf("ranking %s line %d: uplift %q is not a number", name, line, rec[2])
		}
		if _, dup := out.Rows[row]; dup {
			return Ranking{}, fmt.Errorf("ranking %s line %d: row %d ranked twice", name, line, row)
		}
		out.Rows[row] = Ranked{Action: rec[1], Uplift: uplift}
	}
}

// peerRanks are a ranking's targeting of the valued rows, in the replay's order.
func (r *replay) peerRanks(peer Ranking, valuedRows []int) ([]ranking, error) {
	ranks := make([]ranking, len(valuedRows))
	for k, index := range valuedRows {
		rk, ok := peer.Rows[index]
		if !ok {
			continue
		}
		best := slices.Index(r.actions, rk.Action)
		if best < 0 || rk.Action == "" {
			return nil, fmt.Errorf("ranking %s: row %d is sent %q, which is not an action of the mapping", peer.Name, index, rk.Action)
		}
		ranks[k] = ranking{best: best, uplift: rk.Uplift, ok: true}
	}
	return ranks, nil
}
