package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
)

func runData(ctx context.Context, env *Env, args []string) int {
	return group{name: "data", usage: "<seal|status> --data DIR [flags]", subs: []command{
		{"seal", "seal the company names, employers, contact titles and deal titles that earlier versions stored in clear, and index every customer for partial search, online, while servers on the same DIR keep serving", runDataSeal},
		{"status", "show how far sealing has come and what is still in clear", runDataStatus},
	}}.run(ctx, env, args)
}

func runDataSeal(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "data seal", "--data DIR [--batch-size N] [--rescan] [--quiet]",
		`Seal what earlier versions of Custos stored in clear — company names, a
person's employer, contact titles and deal titles — under each customer's
data key, and write every customer's blind-index entries for partial
search (the last digits of a phone, parts of a name, email local parts).
Run it once after upgrading every server; it works while servers on the
same DIR keep serving (they read both forms and write only the sealed
one), and customers stored before become findable by partial search as
it goes.

Progress is saved after every batch. An interrupted run (Ctrl-C, a crash,
kill -9) loses nothing; run the same command again to resume. A finished
run with nothing left in clear is not repeated unless --rescan is given
(to index customers that servers of an earlier version wrote since). Only
one seal run or key rotation runs at a time.

Exit status: 0 done, 1 failed or interrupted (the message says why; run
again to resume), 2 bad usage, 3 a key rotation or another seal run is
running.`)
	cfg.Register(fs, keysGroups)
	batch := fs.Int("batch-size", 200, "records per transaction")
	rescan := fs.Bool("rescan", false, "visit every customer again even if the last run finished")
	quiet := fs.Bool("quiet", false, "no progress output")
	if ok, code := parse(env, fs, args, &cfg, keysGroups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "data seal takes no arguments (got %q)", fs.Arg(0))
	}
	if *batch < 1 || *batch > 10000 {
		return usageError(env, "--batch-size must be between 1 and 10000")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := openForKeys(ctx, env, cfg)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	bar := newProgressBar(env.Stderr, *quiet)
	run, err := a.Keys.SealAtRest(a.SystemContext(ctx), keylifecycle.SealOptions{BatchSize: *batch, Rescan: *rescan,
		Progress: func(p domain.SealPhase, done, total int64) { bar.update(string(p), done, total) }})
	bar.finish()
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeConflict {
			fail(env, "%s", domain.AsError(err).Message)
			return 3
		}
		if ctx.Err() != nil {
			return fail(env, "seal run interrupted; progress is saved and every record stays readable; run the same command again to resume")
		}
		return fail(env, "seal run stopped: %v (progress is saved; run again to resume)", err)
	}
	fmt.Fprintf(env.Stdout, "Stored data sealed: %d records visited, %d values sealed (run %d, finished %s).\n",
		run.Done, run.Sealed, run.ID, run.FinishedAt.Format(time.RFC3339))
	return 0
}

func runDataStatus(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "data status", "--data DIR [--json]",
		`Show the latest run of 'custos data seal' (running, interrupted or
finished, with its progress) and how many values are still stored in clear.
Works while servers on the same DIR keep serving. Exit status: 0 shown,
1 failed, 2 bad usage.`)
	cfg.Register(fs, keysGroups)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if ok, code := parse(env, fs, args, &cfg, keysGroups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "data status takes no arguments (got %q)", fs.Arg(0))
	}
	a, err := openForKeys(ctx, env, cfg)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	st, err := a.Keys.SealStatus(a.SystemContext(ctx))
	if err != nil {
		return fail(env, "%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
		return 0
	}
	r := st.Last
	switch {
	case r == nil:
		fmt.Fprintln(env.Stdout, "Seal runs: none yet (run custos data seal).")
	case !r.FinishedAt.IsZero():
		fmt.Fprintf(env.Stdout, "Last seal run %d: finished %s; %d records visited, %d values sealed.\n",
			r.ID, r.FinishedAt.Format(time.RFC3339), r.Done, r.Sealed)
	default:
		state := "interrupted (run custos data seal again to resume)"
		if st.Running {
			state = "running"
		}
		pct := 100.0
		if r.Total > 0 {
			pct = 100 * float64(r.Done) / float64(r.Total)
		}
		fmt.Fprintf(env.Stdout, "Seal run %d: %s, phase %s, %d/%d (%.0f%%), %d values sealed, started %s.\n",
			r.ID, state, r.Phase, r.Done, r.Total, pct, r.Sealed, r.StartedAt.Format(time.RFC3339))
	}
	fmt.Fprintf(env.Stdout, "Values still in clear: %d.\n", st.ClearValues)
	return 0
}
