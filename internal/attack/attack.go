// Package attack is Custos's attack suite: it starts real servers from a
// built binary on loopback and attacks them the way an outsider or a
// curious insider would — a TLS scan, sqlmap over every parameter, the
// role × record × field access matrix generated from the API's route
// table, kill -9 under write load, a full disk, a tampered audit log and
// tampered ciphertext, and a catalogue of hostile inputs — then prints a
// table of figures and fails on any finding. scripts/attack.sh runs it;
// docs/security-testing.md explains each part.
package attack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Budget sizes a run.
type Budget struct {
	Name string
	// TestSSL also runs testssl.sh (about a minute) besides sslscan.
	TestSSL bool
	// SQLMap settings: level, risk, techniques, threads, and a time limit
	// per sqlmap invocation.
	SQLMapLevel      int
	SQLMapRisk       int
	SQLMapTechniques string
	SQLMapThreads    int
	SQLMapTimeout    time.Duration
	// Kill -9 cycles on SQLite and on PostgreSQL, writers and the write
	// time before each kill.
	KillCycles         int
	KillCyclesPostgres int
	KillWriters        int
	KillWriteTime      time.Duration
	// MatrixPostgres runs the access matrix on PostgreSQL too.
	MatrixPostgres bool
	// DiskSize is the tmpfs size of the disk-full run.
	DiskSize string
}

// Budgets are the named run sizes.
var Budgets = map[string]Budget{
	"ci": {Name: "ci", TestSSL: false, SQLMapLevel: 1, SQLMapRisk: 1, SQLMapTechniques: "BEU", SQLMapThreads: 4,
		SQLMapTimeout: 90 * time.Second, KillCycles: 5, KillCyclesPostgres: 2, KillWriters: 8, KillWriteTime: 2 * time.Second,
		MatrixPostgres: true, DiskSize: "160m"},
	"full": {Name: "full", TestSSL: true, SQLMapLevel: 3, SQLMapRisk: 2, SQLMapTechniques: "BEUSTQ", SQLMapThreads: 4,
		SQLMapTimeout: 15 * time.Minute, KillCycles: 10, KillCyclesPostgres: 5, KillWriters: 16, KillWriteTime: 4 * time.Second,
		MatrixPostgres: true, DiskSize: "160m"},
}

// AllParts lists the parts in the order they run.
var AllParts = []string{"tls", "matrix", "hostile", "sqlmap", "matrix-postgres", "kill", "kill-postgres", "tamper", "diskfull"}

// Options configure a run.
type Options struct {
	Binary      string // the custos binary under attack
	WorkDir     string // where data directories and reports go
	Budget      Budget
	PostgresURL string // an empty PostgreSQL database (parts on PostgreSQL need it)
	// Parts to run (default all).
	Parts []string
	// Tools: paths or names of sslscan, testssl and sqlmap.
	SSLScan, TestSSL, SQLMap string
	// MaxBodyBytes is the servers' --max-body-bytes.
	MaxBodyBytes int64
	Log          *slog.Logger
	Out          io.Writer
}

// env is what every part gets.
type env struct {
	opts Options
	log  *slog.Logger
	tag  string // makes this run's markers unique
	n    int
}

// dataDir returns a fresh data directory path under the work dir.
func (e *env) dataDir(name string) string {
	e.n++
	return filepath.Join(e.opts.WorkDir, fmt.Sprintf("%02d-%s", e.n, name), "data")
}

const adminEmail = "admin@attack.custos.localhost"

// serverSpec returns the spec of a server on a fresh data directory.
func (e *env) serverSpec(name, databaseURL string, extra ...string) ServerSpec {
	args := []string{"--step-up-window", "1h", "--audit-checkpoint-interval", "2s", "--audit-sequence-interval", "200ms",
		"--max-body-bytes", fmt.Sprint(e.opts.MaxBodyBytes)}
	return ServerSpec{Binary: e.opts.Binary, DataDir: e.dataDir(name), DatabaseURL: databaseURL, AdminEmail: adminEmail,
		Password: "attack admin " + randomSecret(), Extra: append(args, extra...)}
}

// Run runs the selected parts and returns the report.
func Run(ctx context.Context, o Options) *Report {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if len(o.Parts) == 0 {
		o.Parts = AllParts
	}
	e := &env{opts: o, log: o.Log, tag: strings.ToLower(randomSecret()[:4])}
	e.tag = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return 'q'
	}, e.tag)
	rep := &Report{Budget: o.Budget.Name, Started: time.Now(),
		Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	want := func(p string) bool { return slices.Contains(o.Parts, p) }

	// One SQLite server serves the TLS scan, the matrix, the hostile
	// inputs and sqlmap, in that order (sqlmap last: it trips the
	// sign-in throttle on purpose).
	if want("tls") || want("matrix") || want("hostile") || want("sqlmap") {
		rep.Parts = append(rep.Parts, e.mainServerParts(ctx, want)...)
	}
	if want("matrix-postgres") && o.Budget.MatrixPostgres {
		rep.Parts = append(rep.Parts, timed("access matrix (PostgreSQL)", func(p *PartResult) { e.runMatrixOn(ctx, p, o.PostgresURL, true) }))
	}
	if want("kill") {
		rep.Parts = append(rep.Parts, timed("kill -9 (SQLite)", func(p *PartResult) { e.runKill(ctx, p, "", o.Budget.KillCycles) }))
	}
	if want("kill-postgres") {
		rep.Parts = append(rep.Parts, timed("kill -9 (PostgreSQL)", func(p *PartResult) {
			if o.PostgresURL == "" {
				p.Err = fmt.Errorf("no PostgreSQL URL (--postgres-url)")
				return
			}
			e.runKill(ctx, p, o.PostgresURL, o.Budget.KillCyclesPostgres)
		}))
	}
	if want("tamper") {
		rep.Parts = append(rep.Parts, timed("tamper", func(p *PartResult) { e.runTamper(ctx, p) }))
	}
	if want("diskfull") {
		rep.Parts = append(rep.Parts, timed("disk full", func(p *PartResult) { e.runDiskFull(ctx, p) }))
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep
}

// timed runs a part and measures it.
func timed(name string, f func(p *PartResult)) *PartResult {
	p := &PartResult{Name: name}
	start := time.Now()
	f(p)
	p.Elapsed = time.Since(start)
	return p
}

// mainServerParts starts the main SQLite server and runs the parts that
// share it.
func (e *env) mainServerParts(ctx context.Context, want func(string) bool) []*PartResult {
	var parts []*PartResult
	spec := e.serverSpec("main", "")
	srv, err := StartServer(ctx, spec)
	if err != nil {
		p := &PartResult{Name: "main server", Err: err}
		return []*PartResult{p}
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			e.log.Warn("main server did not stop cleanly", "err", err)
		}
	}()
	e.log.Info("main server", "url", srv.URL, "data", spec.DataDir)
	c := NewClient(srv.URL, 8)
	if want("tls") {
		parts = append(parts, timed("TLS scan", func(p *PartResult) { e.runTLS(ctx, p, srv) }))
	}
	var w *World
	var matrix *MatrixResult
	if want("matrix") || want("hostile") || want("sqlmap") {
		start := time.Now()
		w, err = NewWorld(ctx, c, spec.AdminEmail, spec.Password, e.tag)
		if err != nil {
			return append(parts, &PartResult{Name: "seeding", Err: err})
		}
		e.log.Info("seeded", "markers", len(w.Markers), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if want("matrix") || want("sqlmap") {
		p := timed("access matrix (SQLite)", func(p *PartResult) { matrix = e.matrixPart(ctx, p, w) })
		if want("matrix") {
			parts = append(parts, p)
		}
	}
	if want("hostile") {
		parts = append(parts, timed("hostile input", func(p *PartResult) { e.runHostile(ctx, p, srv, w) }))
	}
	if want("sqlmap") {
		parts = append(parts, timed("sqlmap", func(p *PartResult) { e.runSQLMap(ctx, p, srv, w, matrix) }))
	}
	return parts
}

// runMatrixOn runs the matrix on a server of its own.
func (e *env) runMatrixOn(ctx context.Context, p *PartResult, databaseURL string, requireURL bool) {
	if requireURL && databaseURL == "" {
		p.Err = fmt.Errorf("no PostgreSQL URL (--postgres-url)")
		return
	}
	spec := e.serverSpec("matrix-pg", databaseURL)
	srv, err := StartServer(ctx, spec)
	if err != nil {
		p.Err = err
		return
	}
	defer func() { _ = srv.Stop() }()
	w, err := NewWorld(ctx, NewClient(srv.URL, 8), spec.AdminEmail, spec.Password, e.tag+"p")
	if err != nil {
		p.Err = err
		return
	}
	e.matrixPart(ctx, p, w)
}

// matrixPart runs the access matrix and fills p.
func (e *env) matrixPart(ctx context.Context, p *PartResult, w *World) *MatrixResult {
	if err := w.Relogin(ctx); err != nil {
		p.Err = err
		return nil
	}
	res := RunMatrix(ctx, e.log, w, APIRoutes(), 4)
	p.Checks = res.Tried
	p.fig("cells tried / leaked", "%d / %d", res.Tried, res.Leaked)
	p.fig("cells with a wrong status", "%d", res.WrongStatus)
	p.fig("routes / without a recipe", "%d / %d", len(APIRoutes()), len(res.Uncovered))
	p.fig("markers seeded / answers showing them as allowed", "%d / %d", len(w.Markers), res.ShowedData)
	p.fig("cells skipped (cannot exist)", "%d", res.Skipped)
	p.Failures = append(p.Failures, res.Failures...)
	p.Notes = append(p.Notes, res.Notes...)
	return res
}
