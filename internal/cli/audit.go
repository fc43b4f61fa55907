package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/wiring"
)

// auditCommands are the subcommands of 'custos audit'.
func auditCommands() []command {
	return []command{
		{"verify", "check the whole audit log: entries, tree, signed checkpoints, anchors", runAuditVerify},
		{"checkpoint", "integrate pending events, sign a checkpoint now and anchor it", runAuditCheckpoint},
		{"key", "print the log's verifier key and origin (for verification off the box)", runAuditKey},
		{"export", "export a range of the audit log as CSV or ECS JSON lines", runAuditExport},
	}
}

func runAudit(ctx context.Context, env *Env, args []string) int {
	return group{name: "audit", usage: "<command> [flags]", subs: auditCommands()}.run(ctx, env, args)
}

func runAuditVerify(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "audit verify", "--data DIR [--anchor FILE] [--verifier-key KEY]",
		`Check the whole audit log: recompute every entry's leaf from its stored
columns and the RFC 6962 tree, compare them with the stored hashes and
root, check every stored checkpoint's Ed25519 signature and that the tree
matches it, and check the log against the anchor file (a log shorter than
an anchored checkpoint was truncated). Exits 0 when the log is intact,
1 naming the first bad entry (by seq) otherwise, 2 on bad flags.

The master key is optional: without it the verifier key stored in the
database is trusted only as far as the anchor file or --verifier-key
confirm it. The anchor file defaults to CUSTOS_AUDIT_ANCHOR_FILE.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	anchor := fs.String("anchor", "", "anchor `file` of signed checkpoints to check the log against [CUSTOS_AUDIT_ANCHOR_FILE]")
	vkey := fs.String("verifier-key", "", "expected verifier `key` of the log, obtained out of band [CUSTOS_AUDIT_VERIFIER_KEY]")
	progress := fs.Bool("progress", false, "show a progress bar even when stderr is not a terminal")
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "audit verify takes no arguments (got %q)", fs.Arg(0))
	}
	if *anchor == "" {
		*anchor = env.Getenv("CUSTOS_AUDIT_ANCHOR_FILE")
	}
	if *vkey == "" {
		*vkey = env.Getenv("CUSTOS_AUDIT_VERIFIER_KEY")
	}
	log := cfg.NewLogger(io.Discard)
	r, err := wiring.OpenAuditReader(ctx, cfg, log)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer r.Close()
	opts := audit.VerifyOptions{AnchorFile: *anchor, VerifierKey: *vkey, Signer: r.Signer}
	var bar *progressbar.ProgressBar
	if *progress || isTerminal(env.Stderr) {
		opts.Progress = func(done, total int64) {
			if bar == nil {
				if total < 100000 && !*progress {
					return // small logs verify in a blink
				}
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(env.Stderr),
					progressbar.OptionSetDescription("verifying audit log"), progressbar.OptionShowCount(),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set64(done)
		}
	}
	start := time.Now()
	rep, err := audit.Verify(ctx, r.Log, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	var ve *audit.VerifyError
	if errors.As(err, &ve) {
		fmt.Fprintf(env.Stderr, "custos: audit log NOT intact: %v\n", ve)
		return 1
	}
	if err != nil {
		return fail(env, "audit verify: %v", err)
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d entries, root %s\n", rep.Entries, audit.FormatHash(rep.Root))
	fmt.Fprintf(env.Stdout, "  checkpoints: %d stored, %d anchored", rep.Checkpoints, rep.Anchored)
	if rep.Anchored > 0 {
		fmt.Fprintf(env.Stdout, " (newest anchored: %d entries)", rep.AnchoredSize)
	}
	fmt.Fprintln(env.Stdout)
	if rep.Pending > 0 {
		fmt.Fprintf(env.Stdout, "  pending: %d events not yet integrated (the sequencer adds them shortly)\n", rep.Pending)
	}
	fmt.Fprintf(env.Stdout, "  verifier: %s\n  origin:   %s\n", rep.Verifier, rep.Origin)
	if r.Signer == nil && *anchor == "" && *vkey == "" {
		fmt.Fprintln(env.Stdout, "  note: without the master key, an anchor file or --verifier-key, the verifier key was taken from the database itself")
	}
	fmt.Fprintf(env.Stdout, "  checked in %s\n", time.Since(start).Round(time.Millisecond))
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func runAuditCheckpoint(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "audit checkpoint", "--data DIR [--audit-anchor-file FILE] [--audit-anchor-url URL]",
		`Integrate every pending audit event into the Merkle log, sign a
checkpoint of the tree if it grew, anchor it (file, URL) and print it.
Safe while a server on the same database keeps running.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog | config.FlagAudit
	cfg.Register(fs, groups)
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "audit checkpoint takes no arguments (got %q)", fs.Arg(0))
	}
	if !wiring.Initialized(cfg) {
		return fail(env, "%s is not initialized", cfg.DataDir)
	}
	a, err := wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		return fail(env, "integrate: %v", err)
	}
	cp, err := a.AuditSequencer.Checkpoint(ctx)
	if err != nil {
		return fail(env, "checkpoint: %v", err)
	}
	if cp == nil {
		fmt.Fprintln(env.Stdout, "the audit log is empty: nothing to sign")
		return 0
	}
	_, _ = env.Stdout.Write(cp.Note)
	return 0
}

func runAuditKey(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "audit key", "--data DIR",
		`Print the audit log's verifier key (signed-note format) and origin.
Keep them with the anchor file: with them, anyone can check checkpoints
and proofs without access to this server. With the master key at hand
the stored key is first checked against the sealed private key.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	r, err := wiring.OpenAuditReader(ctx, cfg, cfg.NewLogger(io.Discard))
	if err != nil {
		return fail(env, "%v", err)
	}
	defer r.Close()
	k, err := r.Log.AuditSigningKey(ctx)
	if err != nil {
		return fail(env, "%v", err)
	}
	if k == nil {
		return fail(env, "no audit signing key: start Custos once to create it")
	}
	fmt.Fprintf(env.Stdout, "verifier %s\norigin %s\n", k.Verifier, k.Origin)
	return 0
}

func runAuditExport(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "audit export", "--data DIR [--format csv|jsonl] [--from SEQ] [--to SEQ] [--out FILE]",
		`Export a range of the audit log (integrated entries, by seq) as CSV
(cells that could run as spreadsheet formulas are neutralized) or as
Elastic Common Schema JSON lines. The export is itself audited.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	format := fs.String("format", "csv", "csv or jsonl")
	from := fs.Int64("from", 0, "first `seq` to export")
	to := fs.Int64("to", -1, "last `seq` to export (-1: the end)")
	out := fs.String("out", "-", "output `file` ('-': stdout)")
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	if *format != "csv" && *format != "jsonl" {
		return fail(env, "--format must be csv or jsonl")
	}
	if *from < 0 || (*to >= 0 && *to < *from) {
		return fail(env, "--from must be at least 0 and --to not below it")
	}
	if !wiring.Initialized(cfg) {
		return fail(env, "%s is not initialized", cfg.DataDir)
	}
	a, err := wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	w := env.Stdout
	if *out != "-" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fail(env, "%v", err)
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	if *format == "csv" {
		_ = cw.Write(audit.CSVColumns)
	}
	n := 0
	err = a.AuditService.Export(a.SystemContext(ctx), domain.AuditFilter{FromSeq: *from, ToSeq: *to}, func(ev *domain.AuditEvent) error {
		n++
		if *format == "csv" {
			return cw.Write(audit.CSVRecord(ev))
		}
		doc, err := audit.MarshalECS(ev, a.AuditSigner.Origin())
		if err != nil {
			return err
		}
		_, err = w.Write(append(doc, '\n'))
		return err
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		return fail(env, "export: %v", err)
	}
	fmt.Fprintf(env.Stderr, "exported %d entries\n", n)
	return 0
}
