package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	t.Setenv("CUSTOMERS_TABLE", "c")
	t.Setenv("DECISIONS_TABLE", "d")
	t.Setenv("CATALOG_TABLE", "k")
	tests := []struct {
		args []string
		want int
	}{
		{nil, 2},
		{[]string{"help"}, 0},
		{[]string{"import", "file.csv"}, 2},
		{[]string{"import", "-mapping", "m.yaml"}, 2},
		{[]string{"export"}, 2},
		{[]string{"erase", "-customer", "C1", "extra"}, 2},
		{[]string{"delete", "-customer", "C1"}, 2},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, os.Getenv); code != tt.want {
			t.Errorf("customers %v = %d (%s), want %d", tt.args, code, errOut.String(), tt.want)
		}
	}
}
