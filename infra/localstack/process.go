package localstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// stopGrace is how long a process group gets to exit after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// startTimeout bounds readiness waits when the caller's context has no deadline, so a
// server that never comes up fails the test instead of hanging it.
const startTimeout = 90 * time.Second

// process is one child process in its own process group, logging to its own file.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed once Wait has returned
	waitErr error         // valid after done is closed
}

// startProcess runs argv with env in dir, sending stdout and stderr to
// <logDir>/<name>.log.
func startProcess(name, logDir, dir string, env []string, argv ...string) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: create log: %w", name, err)
	}
	defer logFile.Close() // The child holds its own copy of the descriptor.

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// A process group lets Close kill grandchildren (the Lambda bootstrap under the
	// emulator); Pdeathsig kills the direct child if the test binary dies without
	// calling Close, e.g. on a test timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exitErr reports, without blocking, whether the process has already exited.
func (p *process) exitErr() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited early (%v); see %s", p.name, p.waitErr, p.logPath)
	default:
		return nil
	}
}

// stop terminates the whole process group, politely first, and waits for the child.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid
	if p.exitErr() != nil {
		// The leader is gone, but children it left in the group may not be.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return nil
	}
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
	// SIGKILL the group even after a clean exit, for children that ignored SIGTERM.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	<-p.done
	return nil
}

// waitReady polls probe until it succeeds, the process exits or ctx ends.
func (p *process) waitReady(ctx context.Context, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		probeErr := probe(ctx)
		if probeErr == nil {
			return nil
		}
		if err := p.exitErr(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last probe: %v); see %s", p.name, ctx.Err(), probeErr, p.logPath)
		case <-tick.C:
		}
	}
}

// freePorts picks n distinct free loopback ports. It holds every listener until all are
// chosen, so the kernel cannot hand the same port out twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// loopback formats 127.0.0.1:port.
func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
