package attack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is one `custos serve` process the suite started on a data
// directory of its own.
type Server struct {
	Binary      string
	DataDir     string
	DatabaseURL string
	URL         string // https://127.0.0.1:PORT
	Addr        string // 127.0.0.1:PORT

	// StuckDump holds the goroutine dump of a server that did not stop
	// on SIGTERM.
	StuckDump string

	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error         // its exit status, once done is closed
	log     *lockedBuffer
}

var servingRe = regexp.MustCompile(`serving (https://\S+)`)

// ServerSpec says how to create and start a server.
type ServerSpec struct {
	Binary      string
	DataDir     string
	DatabaseURL string
	AdminEmail  string
	Password    string
	// Addr to listen on; empty picks a free loopback port (127.0.0.1:0).
	Addr string
	// Extra flags for `custos serve`.
	Extra []string
	// LogPath receives the server's log (default DataDir + ".log").
	LogPath string
}

// InitData runs `custos init` on spec.DataDir unless it already holds a
// master key.
func InitData(ctx context.Context, spec ServerSpec) error {
	if _, err := os.Stat(filepath.Join(spec.DataDir, "master.key")); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(spec.DataDir), 0o700); err != nil {
		return fmt.Errorf("data dir parent: %w", err)
	}
	pw := spec.DataDir + ".pw"
	if err := os.WriteFile(pw, []byte(spec.Password+"\n"), 0o600); err != nil {
		return fmt.Errorf("password file: %w", err)
	}
	defer os.Remove(pw)
	args := []string{"init", "--data", spec.DataDir, "--admin-email", spec.AdminEmail,
		"--admin-password-file", pw, "--log-level", "warn"}
	if spec.DatabaseURL != "" {
		args = append(args, "--database-url", spec.DatabaseURL)
	}
	out, err := exec.CommandContext(ctx, spec.Binary, args...).CombinedOutput() //nolint:gosec // the suite runs its own build of custos
	if err != nil {
		return fmt.Errorf("custos init %s: %w: %s", spec.DataDir, err, out)
	}
	return nil
}

// StartServer initializes spec.DataDir when needed and starts `custos
// serve`, returning once it prints the URL it serves.
func StartServer(ctx context.Context, spec ServerSpec) (*Server, error) {
	if err := InitData(ctx, spec); err != nil {
		return nil, err
	}
	addr := spec.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	args := []string{"serve", "--data", spec.DataDir, "--addr", addr, "--log-level", "warn"}
	if spec.DatabaseURL != "" {
		args = append(args, "--database-url", spec.DatabaseURL)
	}
	args = append(args, spec.Extra...)
	// The server outlives ctx's cancellation only through Stop or Kill:
	// the suite decides how it ends.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), spec.Binary, args...) //nolint:gosec // the suite runs its own build of custos
	logBuf := &lockedBuffer{max: 1 << 20}
	cmd.Stderr = logBuf
	// The whole log also goes to a file beside the data directory.
	logPath := spec.LogPath
	if logPath == "" {
		logPath = spec.DataDir + ".log"
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) //nolint:gosec // our own work directory
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	cmd.Stderr = io.MultiWriter(logBuf, logFile)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start custos serve: %w", err)
	}
	s := &Server{Binary: spec.Binary, DataDir: spec.DataDir, DatabaseURL: spec.DatabaseURL, cmd: cmd,
		done: make(chan struct{}), log: logBuf, logPath: logPath}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		s.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(s.done)
	}()
	select {
	case u := <-urls:
		s.URL = strings.Replace(u, "localhost", "127.0.0.1", 1)
		s.Addr = strings.TrimPrefix(s.URL, "https://")
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("custos serve exited before serving: %w: %s", s.waitErr, logBuf.Tail(2000))
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return nil, errors.New("custos serve did not start within 2 minutes")
	}
}

// Restart starts the same data directory again, on the same address.
func (s *Server) Restart(ctx context.Context, extra []string) (*Server, error) {
	return StartServer(ctx, ServerSpec{Binary: s.Binary, DataDir: s.DataDir, DatabaseURL: s.DatabaseURL,
		Addr: s.Addr, Extra: extra, LogPath: s.logPath})
}

// Stop sends SIGTERM and waits up to a minute for a clean exit.
func (s *Server) Stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	select {
	case <-s.done:
		if s.waitErr != nil {
			return fmt.Errorf("custos serve exited with %w", s.waitErr)
		}
		return nil
	case <-time.After(time.Minute):
		// SIGQUIT makes a Go program print every goroutine's stack: the
		// log then shows what the shutdown waits for.
		_ = s.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			s.wait()
		}
		s.StuckDump = s.log.Tail(64 << 10)
		return errors.New("custos serve did not stop within a minute of SIGTERM (goroutine dump in the report)")
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait()
}

func (s *Server) wait() { <-s.done }

// Exited reports whether the process has ended (without waiting).
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// ExitStatus describes how the process ended ("" while it runs).
func (s *Server) ExitStatus() string {
	if !s.Exited() {
		return ""
	}
	if s.waitErr == nil {
		return "exit status 0"
	}
	return s.waitErr.Error()
}

// LogTail returns the end of the server's log.
func (s *Server) LogTail(n int) string { return s.log.Tail(n) }

// lockedBuffer keeps the last max bytes written to it.
type lockedBuffer struct {
	mu  sync.Mutex
	b   []byte
	max int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > l.max {
		l.b = append([]byte(nil), l.b[len(l.b)-l.max:]...)
	}
	return len(p), nil
}

// Tail returns the last n bytes.
func (l *lockedBuffer) Tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.b) <= n {
		return string(l.b)
	}
	return string(l.b[len(l.b)-n:])
}

var _ io.Writer = (*lockedBuffer)(nil)

// runCustos runs a custos operator command and returns its combined
// output and exit code (-1 when it could not run).
func runCustos(ctx context.Context, binary string, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput() //nolint:gosec // the suite runs its own build of custos
	if err == nil {
		return string(out), 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	return string(out) + err.Error(), -1
}
