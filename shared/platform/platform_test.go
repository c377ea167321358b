package platform

import (
	"strings"
	"testing"
	"time"
)

func TestEnvNamesEveryMissingVariable(t *testing.T) {
	t.Setenv("NB_SET", "x")
	t.Setenv("NB_EMPTY", "")
	got, err := Env("NB_SET")
	if err != nil || got["NB_SET"] != "x" {
		t.Errorf("Env(NB_SET) = %v, %v; want x", got, err)
	}
	_, err = Env("NB_SET", "NB_EMPTY", "NB_UNSET_FOR_TEST")
	if err == nil || !strings.Contains(err.Error(), "NB_EMPTY, NB_UNSET_FOR_TEST") {
		t.Errorf("Env(with two missing) error = %v, want both names", err)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		{"", 30 * time.Second, false},
		{"1s", time.Second, false},
		{"150ms", 150 * time.Millisecond, false},
		{"soon", 0, true},
		{"-1s", 0, true},
	}
	for _, tt := range tests {
		t.Setenv("NB_DURATION", tt.value)
		got, err := Duration("NB_DURATION", 30*time.Second)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("Duration(%q) = %v, %v; want %v (error %v)", tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}
