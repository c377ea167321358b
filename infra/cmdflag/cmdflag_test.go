package cmdflag

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args      []string
		wantPos   []string
		wantYes   bool
		wantTable string
	}{
		{[]string{"a.yaml", "-yes"}, []string{"a.yaml"}, true, ""},
		{[]string{"-table", "t", "a.yaml", "b.yaml"}, []string{"a.yaml", "b.yaml"}, false, "t"},
		{[]string{"a.yaml", "-table", "t", "b.yaml", "-yes"}, []string{"a.yaml", "b.yaml"}, true, "t"},
		{nil, nil, false, ""},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		yes := fs.Bool("yes", false, "")
		table := fs.String("table", "", "")
		pos, err := ParseInterleaved(fs, tt.args)
		if err != nil || !slices.Equal(pos, tt.wantPos) || *yes != tt.wantYes || *table != tt.wantTable {
			t.Errorf("ParseInterleaved(%q) = %q, yes %v, table %q, %v; want %q, %v, %q", tt.args, pos, *yes, *table, err, tt.wantPos, tt.wantYes, tt.wantTable)
		}
	}
}
