package template

import "testing"

func TestFunctionLimits(t *testing.T) {
	tpl := loadProject(t)
	tests := []struct {
		fn                   string
		wantTimeout, wantMem int
	}{
		{"ScoreBatchFunction", 900, 1024}, // its own
		{"SendMessageFunction", 30, 256},  // own timeout, global memory
		{"RecordResponseFunction", 5, 256},
	}
	for _, tt := range tests {
		timeout, mem, err := tpl.FunctionLimits(tt.fn)
		if err != nil || timeout != tt.wantTimeout || mem != tt.wantMem {
			t.Errorf("FunctionLimits(%s) = %d s, %d MB, %v; want %d s, %d MB", tt.fn, timeout, mem, err, tt.wantTimeout, tt.wantMem)
		}
	}
	bare := mustParse(t, "Resources:\n  F:\n    Type: AWS::Serverless::Function\n")
	if timeout, mem, err := bare.FunctionLimits("F"); err != nil || timeout != 3 || mem != 128 {
		t.Errorf("FunctionLimits(no settings) = %d s, %d MB, %v; want Lambda's 3 s, 128 MB", timeout, mem, err)
	}
}
