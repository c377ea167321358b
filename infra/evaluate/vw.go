package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// vowpalWabbit runs Vowpal Wabbit (infra/peers/vw_prequential.py, from the pinned PyPI
// package `make peers` installs) on exactly the rows, in exactly the order, the engine
// sees: one VW model per group, each row scored before it is learned from.
type vowpalWabbit struct {
	python, script string
}

// check says plainly how to get Vowpal Wabbit when it is not there.
func (v vowpalWabbit) check() error {
	if _, err := os.Stat(v.python); err != nil {
		return fmt.Errorf("the Python with Vowpal Wabbit (%s) is missing: run `make peers` (make eval does): %w", v.python, err)
	}
	return nil
}

// scores runs VW prequentially on a half.
func (v vowpalWabbit) scores(tk task, h half) (scores, error) {
	var in bytes.Buffer
	for _, r := range h.rows {
		label := "0"
		if r.y {
			label = "1"
		}
		fmt.Fprintf(&in, "%s\t%s\t%s\n", r.group, label, vwFeatures(tk.columns, r.x))
	}
	cmd := exec.Command(v.python, v.script)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return scores{}, fmt.Errorf("task %s: Vowpal Wabbit: %w: %s", tk.name, err, strings.TrimSpace(stderr.String()))
	}
	sc := scores{}
	lines := bufio.NewScanner(bytes.NewReader(out))
	for lines.Scan() {
		p, err := strconv.ParseFloat(lines.Text(), 64)
		if err != nil {
			return scores{}, fmt.Errorf("task %s: Vowpal Wabbit answered %q", tk.name, lines.Text())
		}
		// Probabilities of exactly 0 or 1 have infinite log-odds; clipping keeps their
		// order, which is all the AUC reads.
		q := min(max(p, 1e-12), 1-1e-12)
		sc.probabilities = append(sc.probabilities, p)
		sc.logOdds = append(sc.logOdds, math.Log(q/(1-q)))
	}
	if len(sc.logOdds) != len(h.rows) {
		return scores{}, fmt.Errorf("task %s: Vowpal Wabbit scored %d rows of %d", tk.name, len(sc.logOdds), len(h.rows))
	}
	return sc, nil
}

// vwFeatures writes a row in VW's input format, the same predictors the engine reads:
// a number as name:value, a symbol as the feature name=symbol (VW one-hot encodes it by
// hashing), a missing value left out.
func vwFeatures(cols []column, x []adaptive.Value) string {
	var b strings.Builder
	for j, c := range cols {
		if c.kind == adaptive.Numeric {
			if !math.IsNaN(x[j].Number) {
				fmt.Fprintf(&b, "%s:%s ", vwName(c.name), strconv.FormatFloat(x[j].Number, 'g', -1, 64))
			}
			continue
		}
		if x[j].Symbol != "" {
			fmt.Fprintf(&b, "%s=%s ", vwName(c.name), vwName(x[j].Symbol))
		}
	}
	return strings.TrimSpace(b.String())
}

// vwName keeps VW's separators (space, colon, bar) out of a name.
func vwName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == ':' || r == '|' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, s)
}
