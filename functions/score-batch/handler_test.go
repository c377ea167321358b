package main

import (
	"encoding/json"
	"testing"
)

func TestParseRun(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    runRequest
		wantErr bool
	}{
		{"scheduled event names the run after its time",
			`{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-23T06:00:00Z","detail":{}}`,
			runRequest{RunID: "run-20261123T0600Z"}, false},
		{"manual dry run", `{"runId":"try-1","dryRun":true}`, runRequest{RunID: "try-1", DryRun: true}, false},
		{"bad run id", `{"runId":"a b/c"}`, runRequest{}, true},
		{"unknown field", `{"run":"x"}`, runRequest{}, true},
		{"not JSON object", `[]`, runRequest{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRun(json.RawMessage(tt.payload))
			if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
				t.Errorf("parseRun(%s) = %+v, %v; want %+v, error %v", tt.payload, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
