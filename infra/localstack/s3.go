package localstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// s3Server is the stack's S3-compatible server: gofakes3, a Go implementation of the
// S3 API, in memory and in this process. No S3 stand-in ships as a jar on Maven
// Central, and gofakes3 answers the SDK's real requests (signed, path-style), which is
// all the operator tooling's import from s3:// needs; it lives as long as the stack.
type s3Server struct {
	server   *http.Server
	endpoint string
	done     chan error
}

func startS3() (*s3Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("s3: listen: %w", err)
	}
	fake := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(false))
	s := &s3Server{
		server:   &http.Server{Handler: fake.Server(), ReadHeaderTimeout: 10 * time.Second},
		endpoint: "http://" + l.Addr().String(),
		done:     make(chan error, 1),
	}
	go func() { s.done <- s.server.Serve(l) }()
	return s, nil
}

func (s *s3Server) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	err := s.server.Shutdown(ctx)
	if served := <-s.done; !errors.Is(served, http.ErrServerClosed) {
		err = errors.Join(err, served)
	}
	return err
}
