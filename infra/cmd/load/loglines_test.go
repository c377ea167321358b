package main

import (
	"strings"
	"testing"
	"time"
)

// sampleLog is an excerpt of a real emulator log.
const sampleLog = `23 Nov 2026 11:01:56,044 [INFO] (rapid) exec '/tmp/bin/decide/bootstrap' (cwd=/tmp/bin/decide, handler=)
START RequestId: 74fbdf58-8e7e-4ec3-8a28-d8540ef1569e Version: $LATEST
23 Nov 2026 11:01:56,839 [INFO] (rapid) INIT START(type: on-demand, phase: init)
23 Nov 2026 11:01:56,847 [INFO] (rapid) INIT RTDONE(status: success)
23 Nov 2026 11:01:56,847 [INFO] (rapid) INIT REPORT(durationMs: 8.672000)
23 Nov 2026 11:01:56,848 [INFO] (rapid) INVOKE START(requestId: 74fbdf58-8e7e-4ec3-8a28-d8540ef1569e)
{"time":"2026-11-23T11:01:56.875416571Z","level":"INFO","msg":"decided","requestId":"74fbdf58","decisionId":"c6505a8d","channel":"web"}
23 Nov 2026 11:01:56,876 [INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 28.175000ms)
END RequestId: 74fbdf58-8e7e-4ec3-8a28-d8540ef1569e
REPORT RequestId: 74fbdf58-8e7e-4ec3-8a28-d8540ef1569e	Init Duration: 0.03 ms	Duration: 37.06 ms	Billed Duration: 38 ms	Memory Size: 128 MB	Max Memory Used: 128 MB	
START RequestId: 0c9d4e84-1bc6-46b3-ad08-b26ef5024cc5 Version: $LATEST
REPORT RequestId: 0c9d4e84-1bc6-46b3-ad08-b26ef5024cc5	Duration: 13.33 ms	Billed Duration: 14 ms	Memory Size: 128 MB	Max Memory Used: 128 MB	
`

func TestParseLog(t *testing.T) {
	got, err := ParseLog(strings.NewReader(sampleLog))
	if err != nil {
		t.Fatal(err)
	}
	if got.Init != 8672*time.Microsecond {
		t.Errorf("Init = %v, want 8.672ms (from INIT REPORT, not the REPORT line's Init Duration)", got.Init)
	}
	want := []time.Duration{37060 * time.Microsecond, 13330 * time.Microsecond}
	if len(got.Invocations) != len(want) || got.Invocations[0] != want[0] || got.Invocations[1] != want[1] {
		t.Errorf("Invocations = %v, want %v (Duration, not Billed or Init Duration)", got.Invocations, want)
	}
}

func TestParseLogWithoutReports(t *testing.T) {
	got, err := ParseLog(strings.NewReader("nothing here\n"))
	if err != nil || got.Init != 0 || len(got.Invocations) != 0 {
		t.Errorf("ParseLog(no reports) = %+v, %v; want zeros", got, err)
	}
}

func TestLogPath(t *testing.T) {
	got, err := LogPath("/r/.cache/logs", "DecideFunction", "http://127.0.0.1:35631/2015-03-31/functions/function/invocations")
	if err != nil || got != "/r/.cache/logs/lambda-DecideFunction-35631.log" {
		t.Errorf("LogPath = %q, %v", got, err)
	}
	if _, err := LogPath("/r", "x", "http://127.0.0.1/"); err == nil {
		t.Error("LogPath(no port) succeeded, want an error")
	}
}
