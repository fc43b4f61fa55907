package attack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The disk-full run. Desired behaviour, checked one by one so a report
// reads as a list of what Custos does and does not do yet:
//
//  1. while the disk is full, creates answer 503 with code "store_unavailable"
//     and a Retry-After header — never 500;
//  2. /readyz answers 503 while writes fail;
//  3. the process keeps running, and reads never answer 500;
//  4. once space is freed, /readyz is ready and creates succeed again
//     within 30 seconds;
//  5. every acknowledged write is still there, and the audit log
//     verifies.

// statusSummary renders statuses as "201×812, 500×40".
func statusSummary(st map[int]int) string {
	codes := make([]int, 0, len(st))
	for c := range st {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, st[c]))
	}
	return strings.Join(parts, ", ")
}

func freeBytes(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Bavail) * st.Bsize, nil //nolint:gosec,unconvert // block counts fit
}

// fill writes zeros to path until at most leave bytes are free on its
// file system.
func fill(path string, leave int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) //nolint:gosec // our own tmpfs
	if err != nil {
		return fmt.Errorf("filler: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	for {
		free, err := freeBytes(filepath.Dir(path))
		if err != nil {
			return err
		}
		if free <= leave {
			return nil
		}
		n := min(int64(len(buf)), free-leave)
		if _, err := f.Write(buf[:n]); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return fmt.Errorf("filler: %w", err)
		}
	}
}

func (e *env) runDiskFull(ctx context.Context, p *PartResult) {
	if os.Geteuid() != 0 {
		p.Err = errors.New("the disk-full run mounts a tmpfs and needs root")
		return
	}
	base := filepath.Dir(e.dataDir("diskfull"))
	mnt := filepath.Join(base, "mnt")
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		p.Err = err
		return
	}
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", "size="+e.opts.Budget.DiskSize+",mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil { //nolint:gosec // fixed arguments
		p.Err = fmt.Errorf("mount tmpfs: %w: %s", err, out)
		return
	}
	defer func() {
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil { //nolint:gosec,noctx // must run even when ctx ended
			e.log.Warn("umount", "mnt", mnt, "err", err, "out", string(out))
		}
	}()
	spec := e.serverSpec("diskfull", "")
	spec.DataDir = filepath.Join(mnt, "data")
	spec.LogPath = filepath.Join(base, "server.log") // not on the full disk
	srv, err := StartServer(ctx, spec)
	if err != nil {
		p.Err = err
		return
	}
	defer func() {
		if !srv.Exited() {
			_ = srv.Stop()
		}
	}()
	c := NewClient(srv.URL, 16)
	token, err := writer(ctx, c, spec, e.tag+"d")
	if err != nil {
		p.Err = err
		return
	}
	gen := newMarkerGen(e.tag + "disk")
	var genMu sync.Mutex
	load := func(d time.Duration) loadResult {
		lctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return writeLoad(lctx, c, token, 8, gen, &genMu)
	}
	before := load(time.Second)
	acked := append([]ackedWrite(nil), before.acked...)
	if len(acked) == 0 {
		p.Err = fmt.Errorf("no write succeeded before the disk filled: %s", statusSummary(before.statuses))
		return
	}

	// Fill the disk but a little, then write until writes fail.
	filler := filepath.Join(mnt, "filler")
	if err := fill(filler, 2<<20); err != nil {
		p.Err = err
		return
	}
	full := loadResult{statuses: map[int]int{}, samples: map[int]*Response{}}
	deadline := time.Now().Add(60 * time.Second)
	failing := false
	for time.Now().Before(deadline) && ctx.Err() == nil {
		r := load(time.Second)
		acked = append(acked, r.acked...)
		for s, n := range r.statuses {
			if s != http.StatusCreated {
				full.statuses[s] += n
				if full.samples[s] == nil {
					full.samples[s] = r.samples[s]
				}
			}
		}
		if len(r.acked) == 0 && len(r.statuses) > 0 {
			failing = true
			break
		}
		_ = fill(filler, 0) // take whatever space the writes left
	}
	if !p.check(failing, "the disk never filled within 60 s (creates: %s)", statusSummary(full.statuses)) {
		return
	}
	// While full.
	ready, _ := c.Do(ctx, "GET", "/readyz", "", nil)
	sample503 := full.samples[http.StatusServiceUnavailable]
	p.check(full.statuses[http.StatusInternalServerError] == 0 && full.statuses[http.StatusServiceUnavailable] > 0,
		"disk full: creates should answer 503, got %s", statusSummary(full.statuses))
	p.check(sample503 != nil && sample503.Header.Get("Retry-After") != "",
		"disk full: the 503 answer should carry Retry-After%s", describeSample(sample503))
	p.check(sample503 != nil && sample503.ErrorCode() == "store_unavailable",
		"disk full: the 503 answer should have error code \"store_unavailable\"%s", describeSample(sample503))
	p.check(ready != nil && ready.Status == http.StatusServiceUnavailable,
		"disk full: /readyz should answer 503 while writes fail, got %s", describeStatus(ready))
	rd, _ := c.Do(ctx, "GET", "/api/v1/customers/"+acked[0].ID, token, nil)
	p.check(rd != nil && (rd.Status == http.StatusOK || rd.Status == http.StatusServiceUnavailable),
		"disk full: a read should answer 200 (or 503 if its audit event cannot be written), got %s", describeStatus(rd))
	p.check(!srv.Exited(), "disk full: the server process exited (%s); its log: %s", srv.ExitStatus(), spec.LogPath)

	// Space returns.
	if st, err := os.Stat(filler); err == nil {
		p.note("the filler held %d MiB; the data directory %s", st.Size()>>20, dirSizes(spec.DataDir))
	}
	if err := os.Remove(filler); err != nil {
		p.Err = err
		return
	}
	recovered := false
	var last *Response
	var lastReady *Response
	for t0 := time.Now(); time.Since(t0) < 30*time.Second && !srv.Exited(); time.Sleep(500 * time.Millisecond) {
		lastReady, _ = c.Do(ctx, "GET", "/readyz", "", nil)
		r := load(300 * time.Millisecond)
		acked = append(acked, r.acked...)
		if len(r.acked) > 0 && lastReady != nil && lastReady.Status == http.StatusOK {
			recovered = true
			break
		}
		for s := range r.samples {
			last = r.samples[s]
		}
	}
	p.check(recovered, "space freed: /readyz ready and creates accepted again within 30 s (last create %s, /readyz %s)",
		describeStatus(last), describeStatus(lastReady))
	if srv.Exited() {
		p.fig("checks passed / failed", "%d / %d", p.Checks-len(p.Failures), len(p.Failures))
		p.fig("creates while full", "%s", statusSummary(full.statuses))
		return
	}
	free, _ := freeBytes(mnt)
	lost, unreadable := verifyAcked(ctx, c, token, acked)
	p.check(len(lost) == 0, "after the disk was full: %d of %d acknowledged writes lost, e.g. %v", len(lost), len(acked), first(lost, 3))
	p.check(len(unreadable) == 0, "space freed (%d MiB free): %d of %d acknowledged customers cannot be read, e.g. %v",
		free>>20, len(unreadable), len(acked), first(unreadable, 2))
	if err := srv.Stop(); err != nil {
		p.fail("the server did not stop cleanly after the disk-full run: %v", err)
	}
	out, code := e.auditVerify(ctx, spec.DataDir, "")
	p.check(code == 0, "after the disk was full: custos audit verify exited %d: %s", code, clip(out, 300))
	// After a restart, for the record: does a restart heal what did not
	// recover by itself?
	if srv, err = srv.Restart(ctx, spec.Extra); err == nil {
		c = NewClient(srv.URL, 16)
		lost2, unreadable2 := verifyAcked(ctx, c, token, acked)
		p.note("after a restart: %d lost, %d unreadable of %d acknowledged writes", len(lost2), len(unreadable2), len(acked))
	} else {
		p.fail("the server does not restart after the disk-full run: %v", err)
	}
	p.fig("checks passed / failed", "%d / %d", p.Checks-len(p.Failures), len(p.Failures))
	p.fig("creates while full", "%s", statusSummary(full.statuses))
	p.fig("acked writes checked / lost / unreadable", "%d / %d / %d", len(acked), len(lost), len(unreadable))
}

func describeStatus(r *Response) string {
	if r == nil {
		return "no answer"
	}
	return fmt.Sprintf("%d %s", r.Status, clipBytes(r.Body, 100))
}

func describeSample(r *Response) string {
	if r == nil {
		return " (no 503 answer was seen)"
	}
	return fmt.Sprintf(" (got Retry-After %q, body %s)", r.Header.Get("Retry-After"), clipBytes(r.Body, 100))
}

// dirSizes lists the files of dir with their sizes in KiB.
func dirSizes(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, en := range entries {
		if info, err := en.Info(); err == nil && info.Mode().IsRegular() {
			parts = append(parts, fmt.Sprintf("%s %d KiB", en.Name(), info.Size()>>10))
		}
	}
	return strings.Join(parts, ", ")
}
