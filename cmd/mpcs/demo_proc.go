package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// proc is a service the demo started as a subprocess, its output going to
// a log file.
type proc struct {
	name     string
	bin      string
	args     []string
	cmd      *exec.Cmd
	logPath  string
	done     chan struct{} // closed when the process has exited
	err      error         // its exit error, set before done is closed
	stopping atomic.Bool
}

// procs are the demo's subprocesses. When one exits before stop, exited
// receives its error.
type procs struct {
	dir    string
	mu     sync.Mutex
	list   []*proc
	exited chan error
}

func newProcs(dir string) *procs { return &procs{dir: dir, exited: make(chan error, 16)} }

// start runs bin with args in the work folder, logging to logs/NAME.log.
func (ps *procs) start(name, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(ps.dir, "logs", name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = ps.dir
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = demoSysProcAttr()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, bin: bin, args: args, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	ps.mu.Lock()
	ps.list = slices.DeleteFunc(ps.list, func(q *proc) bool { return q.name == name })
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.done)
		if !p.stopping.Load() {
			select {
			case ps.exited <- fmt.Errorf("%s stopped unexpectedly (%v); the end of %s:\n%s", name, p.err, logPath, tail(logPath, 12)):
			default:
			}
		}
	}()
	return p, nil
}

// stop asks the process to stop (SIGINT, as Ctrl-C would) and kills it if
// it has not exited within grace.
func (p *proc) stop(grace time.Duration) {
	p.stopping.Store(true)
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// get returns the process of name, or nil.
func (ps *procs) get(name string) *proc {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, p := range ps.list {
		if p.name == name {
			return p
		}
	}
	return nil
}

// kill stops the process of name at once (SIGKILL), as a crash would.
func (ps *procs) kill(name string) error {
	p := ps.get(name)
	if p == nil {
		return fmt.Errorf("no process %s", name)
	}
	p.stopping.Store(true)
	p.cmd.Process.Kill()
	<-p.done
	return nil
}

// restart stops the process of name (if it still runs) and starts it again
// with the same command line; its log goes on in the same file.
func (ps *procs) restart(name string) error {
	p := ps.get(name)
	if p == nil {
		return fmt.Errorf("no process %s", name)
	}
	p.stop(10 * time.Second)
	_, err := ps.start(name, p.bin, p.args...)
	return err
}

// stopAll stops every process, the last started first, and waits for them.
func (ps *procs) stopAll(grace time.Duration) {
	ps.mu.Lock()
	list := append([]*proc(nil), ps.list...)
	ps.mu.Unlock()
	for _, p := range list {
		p.stopping.Store(true)
	}
	var wg sync.WaitGroup
	for i := len(list) - 1; i >= 0; i-- {
		wg.Go(func() { list[i].stop(grace) })
	}
	wg.Wait()
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// freePorts returns n distinct free TCP ports on 127.0.0.1, preferring the
// given ones (0: any) when they are free.
func freePorts(prefer []int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, len(prefer))
	for i, p := range prefer {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil && p != 0 {
			l, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}

// waitFor polls check every 100 ms until it succeeds, ctx ends, a process
// exits or timeout passes; the error says what was awaited and the last
// reason.
func (ps *procs) waitFor(ctx context.Context, what string, timeout time.Duration, check func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not ready after %s: %w", what, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-ps.exited:
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// findBinary looks for name next to the running executable, then in PATH.
func findBinary(name, dir string) (string, error) {
	if dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w (build it with make build)", p, err)
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found next to mpcs nor in PATH (build everything with make build)", name)
	}
	return p, nil
}

// hasSubcommand reports whether bin knows the subcommand (its help names it).
func hasSubcommand(bin, sub string) bool {
	out, err := exec.Command(bin, sub, "--help").CombinedOutput()
	return err == nil && !bytes.Contains(out, []byte("unknown command"))
}

// findUp looks for rel in dir and its parents.
func findUp(dir, rel string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, rel)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New(rel + " not found")
		}
	}
}
