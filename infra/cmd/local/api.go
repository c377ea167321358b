package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// apiClient calls the local API the way a channel app would.
type apiClient struct {
	base string
	http *http.Client
}

// post sends body as JSON and decodes a 200 answer into out; it returns the status,
// the raw answer and how long the call took.
func (c *apiClient) post(ctx context.Context, path string, body any, out any) (int, []byte, time.Duration, error) {
	var payload []byte
	switch b := body.(type) {
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, nil, 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, 0, err
	}
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, elapsed, fmt.Errorf("decode %s answer: %w", path, err)
		}
	}
	return resp.StatusCode, raw, elapsed, nil
}
