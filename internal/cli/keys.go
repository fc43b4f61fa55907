package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/wiring"
)

func runKeys(ctx context.Context, env *Env, args []string) int {
	return group{name: "keys", usage: "<status|rotate|destroy> --data DIR [flags]", subs: []command{
		{"status", "show master and blind-index key versions, their states, what each wraps, rotation age against policy, rotation progress", runKeysStatus},
		{"rotate", "rotate the master key (or, with --index, the blind-index key) online, while servers on the same DIR keep serving", runKeysRotate},
		{"destroy", "destroy a retired master key version for good", runKeysDestroy},
	}}.run(ctx, env, args)
}

const keysGroups = config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog

// openForKeys loads secrets (asking for a passphrase on a terminal when
// none is given) and opens the app.
func openForKeys(ctx context.Context, env *Env, cfg config.Config) (*wiring.App, error) {
	if !wiring.Initialized(cfg) && cfg.DatabaseURL == "" {
		return nil, fmt.Errorf("%s is not initialized; run 'custos init --data %s' first", cfg.DataDir, cfg.DataDir)
	}
	if err := loadSecrets(env, &cfg); err != nil {
		return nil, err
	}
	return wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
}

// loadSecrets fills the passphrase or PIN from files or the environment,
// and prompts for a missing passphrase when stdin is a terminal.
func loadSecrets(env *Env, cfg *config.Config) error {
	if err := cfg.LoadSecrets(env.Getenv); err != nil {
		return err
	}
	if cfg.MasterKeyProvider == config.ProviderPassphrase && cfg.MasterPassphrase == "" {
		f, ok := env.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return errors.New("no master key passphrase: set " + config.EnvMasterPassphrase + " or give --master-passphrase-file")
		}
		fmt.Fprint(env.Stderr, "Master key passphrase: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return fmt.Errorf("read passphrase: %w", err)
		}
		if at := domain.InvalidUTF8AtBytes(b); at >= 0 {
			return fmt.Errorf("the passphrase typed is not valid UTF-8 (byte %d); check the terminal's encoding", at)
		}
		cfg.MasterPassphrase = string(b)
	}
	return nil
}

func runKeysStatus(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "keys status", "--data DIR [--json]",
		`Show the master key versions (active, retiring, retired, destroyed), how
many data keys and index keys each wraps, the blind-index keys, the age of
the active keys against the rotation policy, the progress of a running or
the last rotation, and the erasure tree. Works while a server on the same
DIR keeps serving. Exit status: 0 shown, 1 failed, 2 bad usage.`)
	cfg.Register(fs, keysGroups)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if ok, code := parse(env, fs, args, &cfg, keysGroups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "keys status takes no arguments (got %q)", fs.Arg(0))
	}
	a, err := openForKeys(ctx, env, cfg)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	st, err := a.Keys.Status(a.SystemContext(ctx))
	if err != nil {
		return fail(env, "%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
		return 0
	}
	printStatus(env.Stdout, st)
	return 0
}

func days(d time.Duration) string { return fmt.Sprintf("%.0f days", d.Hours()/24) }

func printStatus(w io.Writer, st *keylifecycle.Status) {
	fmt.Fprintf(w, "Master key provider: %s (holds versions %v)\n", st.Provider, st.ProviderHolds)
	if st.ProviderErrors != "" {
		fmt.Fprintf(w, "  provider error: %s\n", st.ProviderErrors)
	}
	fmt.Fprintln(w, "\nMaster keys:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  VERSION\tSTATE\tCREATED\tRETIRED\tDATA KEYS\tINDEX KEYS\tIN PROVIDER")
	for _, m := range st.MasterKeys {
		retired := "-"
		if !m.RetiredAt.IsZero() {
			retired = m.RetiredAt.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "  v%d\t%s\t%s\t%s\t%d\t%d\t%v\n", m.Version, m.State, m.CreatedAt.Format(time.DateOnly), retired, m.DataKeys, m.IndexKeys, m.InProvider)
	}
	_ = tw.Flush()
	due := "within policy"
	if st.MasterOverdue {
		due = "OVERDUE: rotate now (custos keys rotate)"
	}
	fmt.Fprintf(w, "  active v%d is %s old; policy %s; next rotation due %s (%s)\n",
		st.ActiveMaster, days(st.MasterAge), days(st.MasterRotationPeriod), st.MasterRotationDue.Format(time.DateOnly), due)

	fmt.Fprintln(w, "\nBlind-index keys:")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  VERSION\tSTATE\tWRAPPED UNDER")
	for _, k := range st.IndexKeys {
		under := fmt.Sprintf("master v%d", k.MasterVersion)
		if k.State == domain.KeyDestroyed {
			under = "-"
		}
		fmt.Fprintf(tw, "  v%d\t%s\t%s\n", k.Version, k.State, under)
	}
	_ = tw.Flush()
	due = "within policy"
	if st.IndexOverdue {
		due = "OVERDUE: rotate now (custos keys rotate --index)"
	}
	fmt.Fprintf(w, "  active v%d is %s old; policy %s; next rotation due %s (%s)\n",
		st.ActiveIndex, days(st.IndexAge), days(st.IndexRotationPeriod), st.IndexRotationDue.Format(time.DateOnly), due)

	fmt.Fprintln(w, "\nRotations:")
	for _, r := range []*domain.Rotation{st.MasterRotation, st.IndexRotation} {
		if r == nil {
			continue
		}
		state := "running"
		if !r.FinishedAt.IsZero() {
			state = "finished " + r.FinishedAt.Format(time.RFC3339)
		} else if st.RotationLease == nil {
			state = "interrupted (run custos keys rotate again to resume)"
		}
		pct := 100.0
		if r.Total > 0 {
			pct = 100 * float64(r.Done) / float64(r.Total)
		}
		fmt.Fprintf(w, "  %s v%d→v%d: %s, phase %s, %d/%d (%.0f%%), started %s\n", r.Kind, r.From, r.To, state, r.Phase, r.Done, r.Total, pct, r.StartedAt.Format(time.RFC3339))
	}
	if st.MasterRotation == nil && st.IndexRotation == nil {
		fmt.Fprintln(w, "  none yet")
	}
	if st.RotationLease != nil {
		fmt.Fprintf(w, "  rotation lease held by %s until %s\n", st.RotationLease.Holder, st.RotationLease.ExpiresAt.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "\nErasure tree: sealed under master v%d, %d erasures, %d seeds, %d bytes; %d punctures pending\n",
		st.ErasureTree.SealedUnder, st.ErasureTree.Punctures, st.ErasureTree.Seeds, st.ErasureTree.Bytes, st.PendingShreds)
}

func runKeysRotate(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "keys rotate", "--data DIR [--index] [--batch-size N]",
		`Rotate the master key: create a new version, make it active (running
servers follow within --key-refresh), rewrap every data key, the
blind-index keys and the erasure tree under it in the background while
servers keep serving, then retire the old version. With --index, rotate the
blind-index key instead: entries are rebuilt online for every customer,
searches keep working, then the old key and its entries are deleted.

Progress is saved after every batch. An interrupted rotation (Ctrl-C, a
crash, kill -9) leaves every customer readable; run the same command again
to resume. Only one rotation runs at a time.

Exit status: 0 done, 1 failed or interrupted (the message says why; run
again to resume), 2 bad usage, 3 another rotation is running.`)
	cfg.Register(fs, keysGroups)
	index := fs.Bool("index", false, "rotate the blind-index key instead of the master key")
	batch := fs.Int("batch-size", 2000, "data keys (or customers) per transaction")
	quiet := fs.Bool("quiet", false, "no progress output")
	if ok, code := parse(env, fs, args, &cfg, keysGroups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "keys rotate takes no arguments (got %q)", fs.Arg(0))
	}
	if *batch < 1 || *batch > 50000 {
		return usageError(env, "--batch-size must be between 1 and 50000")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := openForKeys(ctx, env, cfg)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	bar := newProgressBar(env.Stderr, *quiet)
	o := keylifecycle.RotateOptions{BatchSize: *batch, Progress: func(p domain.RotationPhase, done, total int64) {
		bar.update(string(p), done, total)
	}}
	sys := a.SystemContext(ctx)
	var rot *domain.Rotation
	if *index {
		rot, err = a.Keys.RotateIndex(sys, o)
	} else {
		rot, err = a.Keys.RotateMaster(sys, o)
	}
	bar.finish()
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeConflict {
			fail(env, "%s", domain.AsError(err).Message)
			return 3
		}
		if ctx.Err() != nil {
			return fail(env, "rotation interrupted; progress is saved and every customer stays readable; run the same command again to resume")
		}
		return fail(env, "rotation stopped: %v (progress is saved; run again to resume)", err)
	}
	if *index {
		fmt.Fprintf(env.Stdout, "Blind-index key rotated: v%d → v%d; %d customers indexed; v%d and its entries deleted.\n", rot.From, rot.To, rot.Done, rot.From)
	} else {
		fmt.Fprintf(env.Stdout, "Master key rotated: v%d → v%d; %d data keys rewrapped; v%d retired.\n", rot.From, rot.To, rot.Done, rot.From)
		fmt.Fprintf(env.Stdout, "Destroy v%d with 'custos keys destroy --version %d --yes' once no backup that needs it is kept.\n", rot.From, rot.From)
	}
	return 0
}

func usageError(env *Env, msg string) int {
	fmt.Fprintf(env.Stderr, "custos: %s\n", msg)
	return 2
}

func runKeysDestroy(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "keys destroy", "--data DIR --version N --yes",
		`Destroy a retired master key version in the provider, for good. Refused
while any data key, index key or the erasure tree is still wrapped under
it. Backups whose keys are wrapped under that version become unreadable:
destroy a version only once every backup that needs it has expired.
Exit status: 0 destroyed, 1 refused or failed, 2 bad usage.`)
	cfg.Register(fs, keysGroups)
	version := fs.Int("version", 0, "the retired master key `version` to destroy")
	yes := fs.Bool("yes", false, "confirm: the version cannot be recovered")
	if ok, code := parse(env, fs, args, &cfg, keysGroups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "keys destroy takes no arguments (got %q)", fs.Arg(0))
	}
	if *version < 1 {
		return usageError(env, "--version N is required")
	}
	if !*yes {
		return usageError(env, "destroying a master key version cannot be undone; add --yes to confirm")
	}
	a, err := openForKeys(ctx, env, cfg)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	if err := a.Keys.DestroyMaster(a.SystemContext(ctx), *version); err != nil {
		return fail(env, "%s", errMessage(err))
	}
	fmt.Fprintf(env.Stdout, "Master key v%d destroyed.\n", *version)
	return 0
}

// errMessage shows an application error's message, anything else whole.
func errMessage(err error) string {
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.CodeInternal {
		return de.Message
	}
	return err.Error()
}

// progressBar draws the progress of a long job (a rotation, a seal run)
// on a terminal, or prints a line at most every few seconds otherwise.
type progressBar struct {
	w     io.Writer
	tty   bool
	quiet bool
	last  time.Time
	phase string
	drawn bool
}

func newProgressBar(w io.Writer, quiet bool) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progressBar{w: w, tty: tty, quiet: quiet}
}

var phaseNames = map[string]string{
	string(domain.PhaseRewrap):   "rewrapping data keys",
	string(domain.PhaseBuild):    "building index entries",
	string(domain.PhaseCleanup):  "deleting old index entries",
	string(domain.PhaseDone):     "done",
	string(domain.SealCustomers): "sealing and indexing customers",
	string(domain.SealContacts):  "sealing contact titles",
	string(domain.SealDeals):     "sealing deal titles",
}

func (p *progressBar) update(phase string, done, total int64) {
	if p.quiet {
		return
	}
	now := time.Now()
	if phase == p.phase && phase != string(domain.PhaseDone) && now.Sub(p.last) < p.interval() {
		return
	}
	p.phase, p.last = phase, now
	pct := 100.0
	if total > 0 {
		pct = min(100, 100*float64(done)/float64(total))
	}
	const width = 30
	fill := int(pct / 100 * width)
	name := phaseNames[phase]
	if name == "" {
		name = phase
	}
	line := fmt.Sprintf("[%s%s] %5.1f%% %d/%d %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, done, total, name)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressBar) interval() time.Duration {
	if p.tty {
		return 100 * time.Millisecond
	}
	return 2 * time.Second
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
