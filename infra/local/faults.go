package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is how a Faults proxy treats the traffic it carries.
type Fault int

const (
	// Pass forwards everything at once.
	Pass Fault = iota
	// Slow forwards each chunk a request sends after the proxy's delay: a slow or
	// throttling table.
	Slow
	// Pause accepts connections and bytes and forwards none until the fault changes:
	// a table that hangs, or a network partition that drops packets silently.
	Pause
	// Down resets every connection, open or new: a crashed server behind a load
	// balancer, seen as "connection reset".
	Down
	// LoseAnswers forwards requests of the operation named by Set's target (an
	// X-Amz-Target such as "TransactWriteItems") and holds back their answers until
	// the fault changes: the write commits, and its caller never hears of it.
	LoseAnswers
)

func (f Fault) String() string {
	return [...]string{"pass", "slow", "pause", "down", "lose answers"}[f]
}

// Faults is a TCP proxy between the functions and a stand-in (DynamoDB Local) that
// fails as networks and servers do, on demand: the functions are pointed at it
// (Options.FunctionEnv's AWS_ENDPOINT_URL_DYNAMODB) while tests and the load script
// keep talking to the stand-in directly. The faults happen on real connections, so
// what is measured is the functions' own timeouts, retries and degraded answers.
type Faults struct {
	listener net.Listener
	target   string

	mu        sync.Mutex
	fault     Fault
	delay     time.Duration
	operation string        // the operation LoseAnswers applies to
	changed   chan struct{} // closed and replaced whenever the fault changes
	conns     map[net.Conn]struct{}
	closed    bool
}

// StartFaults listens on a loopback port and forwards to target (host:port).
func StartFaults(target string) (*Faults, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy: %w", err)
	}
	f := &Faults{listener: ln, target: target, changed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	go f.serve()
	return f, nil
}

// URL is the proxy's endpoint, for AWS_ENDPOINT_URL_DYNAMODB.
func (f *Faults) URL() string { return "http://" + f.listener.Addr().String() }

// Set changes the fault; delay is Slow's delay per chunk. Down resets every open
// connection at once.
func (f *Faults) Set(fault Fault, delay time.Duration) {
	f.set(fault, delay, "")
}

// LoseAnswersOf sets the LoseAnswers fault on the operation named (an X-Amz-Target
// suffix such as "TransactWriteItems").
func (f *Faults) LoseAnswersOf(operation string) {
	f.set(LoseAnswers, 0, operation)
}

func (f *Faults) set(fault Fault, delay time.Duration, operation string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault, f.delay, f.operation = fault, delay, operation
	close(f.changed)
	f.changed = make(chan struct{})
	if fault == Down {
		for c := range f.conns {
			reset(c)
		}
	}
}

// Close stops the proxy and every connection it carries.
func (f *Faults) Close() error {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	return f.listener.Close()
}

func (f *Faults) serve() {
	for {
		client, err := f.listener.Accept()
		if err != nil {
			return // closed
		}
		go f.carry(client)
	}
}

// carry forwards one client connection to the target, through the faults.
func (f *Faults) carry(client net.Conn) {
	if !f.track(client) {
		reset(client)
		return
	}
	defer f.untrack(client)
	server, err := net.Dial("tcp", f.target)
	if err != nil {
		reset(client)
		return
	}
	if !f.track(server) {
		reset(client)
		server.Close()
		return
	}
	defer f.untrack(server)
	// hold is set when a request whose answer is to be lost went through; HTTP/1.1
	// answers in order, so the connection's next answer is that one.
	var hold atomic.Bool
	done := make(chan struct{}, 2)
	go func() { f.pipe(server, client, &hold, true); done <- struct{}{} }()
	go func() { f.pipe(client, server, &hold, false); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
}

// track registers a connection so Down and Close can reach it; it refuses new ones
// while the fault is Down or the proxy is closed.
func (f *Faults) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.fault == Down {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Faults) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

// pipe copies src to dst chunk by chunk; requests (toServer) go through the fault,
// and answers are held while hold is set.
func (f *Faults) pipe(dst, src net.Conn, hold *atomic.Bool, toServer bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			switch {
			case toServer && f.losesAnswerTo(buf[:n]):
				hold.Store(true)
			case toServer && !f.gate():
				return
			case !toServer && hold.Load():
				if !f.waitWhile(LoseAnswers) {
					return
				}
				hold.Store(false)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tcp, ok := dst.(*net.TCPConn); ok {
				tcp.CloseWrite()
			}
			return
		}
	}
}

// gate holds a chunk as the fault says: at once, after the delay, until the pause
// ends; false means the connection is to be dropped.
func (f *Faults) gate() bool {
	for {
		f.mu.Lock()
		fault, delay, changed, closed := f.fault, f.delay, f.changed, f.closed
		f.mu.Unlock()
		switch {
		case closed || fault == Down:
			return false
		case fault == Pass, fault == LoseAnswers: // LoseAnswers holds answers, not requests
			return true
		case fault == Slow:
			select {
			case <-time.After(delay):
				return true
			case <-changed:
			}
		case fault == Pause:
			<-changed
		}
	}
}

// losesAnswerTo tells whether the request starting in chunk is one whose answer the
// LoseAnswers fault holds back.
func (f *Faults) losesAnswerTo(chunk []byte) bool {
	f.mu.Lock()
	fault, operation := f.fault, f.operation
	f.mu.Unlock()
	return fault == LoseAnswers && operation != "" && bytes.Contains(chunk, []byte("."+operation+"\r\n"))
}

// waitWhile blocks while the fault is the one given; false means the connection is
// to be dropped.
func (f *Faults) waitWhile(fault Fault) bool {
	for {
		f.mu.Lock()
		current, changed, closed := f.fault, f.changed, f.closed
		f.mu.Unlock()
		switch {
		case closed || current == Down:
			return false
		case current != fault:
			return true
		}
		<-changed
	}
}

// reset closes a connection with a TCP reset rather than an orderly close.
func reset(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	c.Close()
}
