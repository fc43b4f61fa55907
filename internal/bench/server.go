package bench

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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverProc is a custos server the benchmark started.
type serverProc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

var servingRe = regexp.MustCompile(`serving (https://\S+)`)

// startServer initializes dataDir (with the given admin) unless it is
// already initialized, then starts `custos serve` on a free loopback port
// and waits until it prints its URL.
func startServer(ctx context.Context, binary, dataDir, databaseURL, adminEmail, adminPassword string, logw io.Writer, extra []string) (*serverProc, error) {
	if _, err := os.Stat(filepath.Join(dataDir, "master.key")); errors.Is(err, os.ErrNotExist) {
		pw := filepath.Join(dataDir + ".pw")
		if err := os.WriteFile(pw, []byte(adminPassword+"\n"), 0o600); err != nil {
			return nil, err
		}
		defer os.Remove(pw)
		args := []string{"init", "--data", dataDir, "--admin-email", adminEmail, "--admin-password-file", pw, "--log-level", "warn"}
		if databaseURL != "" {
			args = append(args, "--database-url", databaseURL)
		}
		out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput() //nolint:gosec // our own binary
		if err != nil {
			return nil, fmt.Errorf("custos init: %w: %s", err, out)
		}
	}
	args := []string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--log-level", "warn"}
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL)
	}
	args = append(args, extra...)
	cmd := exec.CommandContext(context.WithoutCancel(ctx), binary, args...) //nolint:gosec // our own binary
	cmd.Stderr = logw
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start custos serve: %w", err)
	}
	p := &serverProc{cmd: cmd, done: make(chan error, 1)}
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
	go func() { p.done <- cmd.Wait() }()
	select {
	case p.url = <-urls:
		p.url = strings.Replace(p.url, "localhost", "127.0.0.1", 1)
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("custos serve exited before serving: %w", err)
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return nil, errors.New("custos serve did not start within 2 minutes")
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serverProc) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("custos serve did not stop within 60 s of SIGTERM")
	}
}

func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// resetPeakRSS resets the kernel's record of a process's peak resident
// set (Linux: "5" to /proc/PID/clear_refs); it reports whether it could.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0o600) == nil
}

// peakRSS returns a process's peak resident set size in bytes (VmHWM).
func peakRSS(pid int) int64 {
	return procStatusKB(pid, "VmHWM:") * 1024
}

func procStatusKB(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			f := strings.Fields(strings.TrimPrefix(line, key))
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// cpuTime returns a process's user+system CPU time (Linux /proc/PID/stat).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}
