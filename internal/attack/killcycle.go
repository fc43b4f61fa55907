package attack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// ackedWrite is a create the server acknowledged (201).
type ackedWrite struct {
	ID    string
	Phone string // national digits
}

// loadResult is what a write load saw.
type loadResult struct {
	acked    []ackedWrite
	statuses map[int]int // 0: no answer
	samples  map[int]*Response
}

// writeLoad creates customers from writers goroutines until ctx ends,
// and returns what was acknowledged, the statuses seen and one answer of
// each status.
func writeLoad(ctx context.Context, c *Client, token string, writers int, gen *markerGen, genMu *sync.Mutex) loadResult {
	var mu sync.Mutex
	var acked []ackedWrite
	statuses := map[int]int{}
	samples := map[int]*Response{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && !stop.Load() {
				genMu.Lock()
				phone := gen.Phone()
				name, _ := gen.PersonName()
				street := gen.Street()
				genMu.Unlock()
				r, err := c.Do(ctx, "POST", "/api/v1/customers", token, map[string]any{"kind": "person", "name": name, "phone": phone,
					"address": map[string]string{"province": "浙江省", "city": "杭州市", "street": street}})
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						statuses[0]++
						mu.Unlock()
						time.Sleep(20 * time.Millisecond)
					}
					continue
				}
				mu.Lock()
				statuses[r.Status]++
				if r.Status == http.StatusCreated {
					acked = append(acked, ackedWrite{ID: r.ID(), Phone: phone})
				} else if samples[r.Status] == nil {
					samples[r.Status] = r
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return loadResult{acked: acked, statuses: statuses, samples: samples}
}

// verifyAcked checks that every acknowledged write reads back with its
// phone, and returns those that do not: lost (404, or wrong data) and
// unreadable (any other answer, e.g. 503 while the audit log cannot
// record the read).
func verifyAcked(ctx context.Context, c *Client, token string, acked []ackedWrite) (lost, unreadable []string) {
	var mu sync.Mutex
	jobs := make(chan ackedWrite)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				r, err := c.Do(ctx, "GET", "/api/v1/customers/"+a.ID, token, nil)
				var got struct {
					Phone string `json:"phone"`
				}
				problem, isLost := "", true
				switch {
				case err != nil:
					problem, isLost = err.Error(), false
				case r.Status == http.StatusNotFound:
					problem = "not found"
				case r.Status != http.StatusOK:
					problem, isLost = fmt.Sprintf("status %d %s", r.Status, clipBytes(r.Body, 80)), false
				case r.JSON(&got) != nil || got.Phone != "+86"+a.Phone:
					problem = fmt.Sprintf("phone %q, want +86%s", got.Phone, a.Phone)
				}
				if problem != "" {
					mu.Lock()
					if isLost {
						lost = append(lost, a.ID+": "+problem)
					} else {
						unreadable = append(unreadable, a.ID+": "+problem)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, a := range acked {
		jobs <- a
	}
	close(jobs)
	wg.Wait()
	return lost, unreadable
}

// auditVerify runs `custos audit verify` on a data directory.
func (e *env) auditVerify(ctx context.Context, dataDir, databaseURL string) (string, int) {
	args := []string{"audit", "verify", "--data", dataDir, "--log-level", "warn"}
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL)
	}
	return runCustos(ctx, e.opts.Binary, args...)
}

// writer signs in as a new sales manager (who writes contact data and
// reads it in full) on a fresh server.
func writer(ctx context.Context, c *Client, spec ServerSpec, tag string) (string, error) {
	admin, err := c.Login(ctx, spec.AdminEmail, spec.Password)
	if err != nil {
		return "", err
	}
	pw := randomSecret() + " writer"
	email := "writer." + tag + "@attack.custos.localhost"
	if _, err := c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/users", admin, map[string]string{
		"email": email, "password": pw, "role": domain.RoleSalesManager, "display_name": "Writer"}); err != nil {
		return "", err
	}
	return c.Login(ctx, email, pw)
}

// runKill kills the server with SIGKILL under concurrent writes, cycles
// times, and checks after each cycle that the audit log verifies and that
// every acknowledged write survived.
func (e *env) runKill(ctx context.Context, p *PartResult, baseURL string, cycles int) {
	dbURL := ""
	name := "kill"
	if baseURL != "" {
		var err error
		if dbURL, err = freshPostgresDB(ctx, baseURL, "attack_kill_"+e.tag); err != nil {
			p.Err = err
			return
		}
		name = "kill-pg"
	}
	spec := e.serverSpec(name, dbURL)
	srv, err := StartServer(ctx, spec)
	if err != nil {
		p.Err = err
		return
	}
	defer func() {
		if !srv.Exited() {
			start := time.Now()
			err := srv.Stop()
			if !p.check(err == nil, "after the last cycle: SIGTERM did not stop the server cleanly (%v after %v)", err, time.Since(start).Round(time.Second)) {
				path := filepath.Join(filepath.Dir(spec.DataDir), "stuck-goroutines.txt")
				if os.WriteFile(path, []byte(srv.StuckDump), 0o600) == nil {
					p.note("the stuck server's goroutines: %s", path)
				}
			}
		}
	}()
	c := NewClient(srv.URL, e.opts.Budget.KillWriters+8)
	token, err := writer(ctx, c, spec, e.tag)
	if err != nil {
		p.Err = err
		return
	}
	gen := newMarkerGen(e.tag + "k" + name)
	var genMu sync.Mutex
	var all []ackedWrite
	totalLost, verified := 0, 0
	for i := 1; i <= cycles && ctx.Err() == nil; i++ {
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		var acked []ackedWrite
		var statuses map[int]int
		go func() {
			res := writeLoad(lctx, c, token, e.opts.Budget.KillWriters, gen, &genMu)
			acked, statuses = res.acked, res.statuses
			close(done)
		}()
		time.Sleep(e.opts.Budget.KillWriteTime)
		srv.Kill() // SIGKILL with writes in flight
		// The writers see the connection drop; give them a moment to
		// record what was acknowledged before the kill, then stop them.
		time.Sleep(300 * time.Millisecond)
		cancel()
		<-done
		all = append(all, acked...)
		out, code := e.auditVerify(ctx, spec.DataDir, dbURL)
		if p.check(code == 0, "cycle %d: custos audit verify after SIGKILL exited %d: %s", i, code, clip(out, 300)) {
			verified++
		}
		srv, err = srv.Restart(ctx, spec.Extra)
		if err != nil {
			p.Err = fmt.Errorf("cycle %d: restart after SIGKILL: %w", i, err)
			break
		}
		c = NewClient(srv.URL, e.opts.Budget.KillWriters+8)
		lost, unreadable := verifyAcked(ctx, c, token, acked)
		totalLost += len(lost)
		p.check(len(lost) == 0, "cycle %d: %d of %d acknowledged writes lost after restart, e.g. %v", i, len(lost), len(acked), first(lost, 3))
		p.check(len(unreadable) == 0, "cycle %d: %d of %d acknowledged writes unreadable after restart, e.g. %v", i, len(unreadable), len(acked), first(unreadable, 3))
		e.log.Info("kill cycle", "db", name, "cycle", i, "acked", len(acked), "acked_total", len(all), "lost", len(lost), "statuses", statuses)
		if statuses[http.StatusInternalServerError] > 0 {
			p.note("cycle %d: %d writes answered 500 before the kill", i, statuses[http.StatusInternalServerError])
		}
	}
	// At the end, every write of every cycle once more: a later crash
	// must not take back an earlier acknowledgement either.
	if !srv.Exited() {
		lost, unreadable := verifyAcked(ctx, c, token, all)
		p.check(len(unreadable) == 0, "after %d cycles: %d of %d acknowledged writes unreadable, e.g. %v", cycles, len(unreadable), len(all), first(unreadable, 3))
		p.check(len(lost) == 0, "after %d cycles: %d of %d acknowledged writes lost, e.g. %v", cycles, len(lost), len(all), first(lost, 3))
		totalLost = max(totalLost, len(lost))
	}
	p.fig("cycles / acked writes lost", "%d / %d", cycles, totalLost)
	p.fig("acked writes checked / audit verified", "%d / %d of %d", len(all), verified, cycles)
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
