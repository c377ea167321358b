package main

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The emulator (the RIE's "rapid") logs the runtime's init as
// "INIT REPORT(durationMs: 8.672000)" and each invocation as a Lambda-style
// "REPORT RequestId: … Duration: 13.33 ms …". The REPORT line's own "Init Duration"
// is not the runtime's init under the RIE (it prints about 0.03 ms), so init comes
// from the INIT REPORT line.
var (
	initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	// durationRE finds every duration on a REPORT line; Go's regexp has no look-behind,
	// so the Init and Billed ones are told apart by their captured prefix.
	durationRE = regexp.MustCompile(`(Init |Billed )?Duration: ([0-9.]+) ms`)
)

// LogTimes are the durations an emulator log reports.
type LogTimes struct {
	// Init is the runtime's init phase (process start to its first request for work);
	// zero when the log has no INIT REPORT line.
	Init time.Duration
	// Invocations are the handlers' durations as the emulator measured them, in order.
	Invocations []time.Duration
}

// ParseLog reads the durations out of an emulator log.
func ParseLog(r io.Reader) (LogTimes, error) {
	var t LogTimes
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := initReportRE.FindStringSubmatch(line); m != nil {
			t.Init = parseMillis(m[1])
		} else if strings.HasPrefix(line, "REPORT RequestId:") {
			for _, m := range durationRE.FindAllStringSubmatch(line, -1) {
				if m[1] == "" {
					t.Invocations = append(t.Invocations, parseMillis(m[2]))
					break
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return t, fmt.Errorf("read emulator log: %w", err)
	}
	return t, nil
}

func parseMillis(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64) // the regular expressions admit only numbers
	return time.Duration(f * float64(time.Millisecond))
}

// LogPath is where package localstack writes an emulator's log: lambda-<name>-<port>.log
// under the log directory, the port being the one in the function's invoke URL.
func LogPath(logDir, name, invokeURL string) (string, error) {
	u, err := url.Parse(invokeURL)
	if err != nil || u.Port() == "" {
		return "", fmt.Errorf("no port in invoke URL %q", invokeURL)
	}
	return filepath.Join(logDir, "lambda-"+name+"-"+u.Port()+".log"), nil
}

// ReadLogTimes parses the log of a running function.
func ReadLogTimes(logDir, name, invokeURL string) (LogTimes, error) {
	path, err := LogPath(logDir, name, invokeURL)
	if err != nil {
		return LogTimes{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return LogTimes{}, fmt.Errorf("open emulator log: %w", err)
	}
	defer f.Close()
	return ParseLog(f)
}
