package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/csvimport"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/wiring"
)

// importMemoryLimit is the import's soft Go memory limit (the database's
// page cache and the process's code come on top).
const importMemoryLimit = 256 << 20

const importUsage = "Usage: custos import customers|contacts|deals --data DIR [flags] FILE.csv"

// importHelp describes each kind's columns.
var importHelp = map[domain.ImportKind]string{
	domain.ImportCustomers: `The first line names the columns: name (required), kind, phone, email,
province, city, district, street (or address), id_type, id_number,
tax_id, bank_account, company, industry, tags (separated by ; or |),
owner (user id or email), status.`,
	domain.ImportContacts: `Contacts belong to company customers. The first line names the columns:
name (required), phone, email, title, and the customer: customer_id, or
one of its exact identifiers customer_phone, customer_email,
customer_id_number, customer_tax_id (several must name the same
customer).`,
	domain.ImportDeals: `The first line names the columns: title (required), amount (a decimal
in the currency's units), currency (ISO 4217, default CNY), stage,
expected_close (YYYY-MM-DD), owner (user id or email; default the
customer's owner), and the customer: customer_id, or one of its exact
identifiers customer_phone, customer_email, customer_id_number,
customer_tax_id.`,
}

func runImport(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || (!domain.ValidImportKind(domain.ImportKind(args[0])) && args[0] != "-h" && args[0] != "--help") {
		fmt.Fprintln(env.Stderr, importUsage)
		return 2
	}
	if !domain.ValidImportKind(domain.ImportKind(args[0])) {
		fmt.Fprintln(env.Stdout, importUsage)
		fmt.Fprintln(env.Stdout, "\nEach kind answers --help: custos import customers --help")
		return 0
	}
	kind := domain.ImportKind(args[0])
	args = args[1:]
	// A bulk import allocates fast; without a limit the garbage collector
	// lets the heap reach twice the live data, and a million-row import
	// peaked at 511 MB. A soft limit keeps it near 375 MB for ~7 % more
	// CPU. GOMEMLIMIT, when set, wins.
	if env.Getenv("GOMEMLIMIT") == "" {
		prev := debug.SetMemoryLimit(importMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	cfg := config.Defaults()
	fs := newFlagSet(env, "import "+string(kind), "--data DIR [--owner USER] [--dry-run] [--report FILE] FILE.csv",
		`Import `+string(kind)+` from a CSV file, all or nothing. `+importHelp[kind]+`

The file may be UTF-8 (with or without a byte-order mark), UTF-16 with a
byte-order mark, or GB18030/GBK: the encoding is detected (byte-order mark
first, then UTF-8 if every byte is valid UTF-8, then GB18030), and a file
that is none of them is refused naming the line and byte where it fails.
The file is validated completely first, and every problem of every row is
reported by line and column; if there is any, nothing is imported, and
--report writes the refused rows with a column of their problems (CSV in
UTF-8 with a byte-order mark, which spreadsheets open as UTF-8). Then the
rows are written in batches; if that fails, everything the import wrote is
removed. Works while a server serves the same data directory.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	owner := fs.String("owner", "", "owner of rows without an owner column (user id or email)")
	dryRun := fs.Bool("dry-run", false, "validate only; write nothing")
	report := fs.String("report", "", "write the refused rows with their problems to `file` (CSV)")
	quiet := fs.Bool("quiet", false, "no progress output")
	batch := fs.Int("batch", 5000, "records per write transaction")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return 0
		}
		return 2
	}
	// Flags may also follow the file name.
	var files []string
	for fs.NArg() > 0 {
		files = append(files, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	if ok, code := parse(env, fs, nil, &cfg, groups); !ok {
		return code
	}
	if len(files) != 1 {
		return fail(env, "import %s takes exactly one CSV file", kind)
	}
	if *batch < 1 || *batch > 10000 {
		return fail(env, "--batch must be between 1 and 10000")
	}
	path := files[0]
	st, err := os.Stat(path)
	if err != nil {
		return fail(env, "%v", err)
	}
	if !st.Mode().IsRegular() {
		return fail(env, "%s is not a regular file", path)
	}
	if !wiring.Initialized(cfg) {
		return fail(env, "%s is not initialized", cfg.DataDir)
	}
	file, err := csvimport.Inspect(func() (io.ReadCloser, error) {
		return os.Open(path) //nolint:gosec // the operator names the file
	}, kind, nil)
	if err != nil {
		return fail(env, "import: %s", errMessage(err))
	}
	if !*quiet {
		fmt.Fprintf(env.Stderr, "reading %s as %s: %d rows\n", path, file.Encoding(), file.Rows())
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := cfg.NewLogger(env.Stderr)
	a, err := wiring.Open(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()

	bar := newProgressBar(env.Stderr, *quiet)
	total := int64(file.Rows())
	progress := func(phase string, n int) {
		if phase == domain.PhaseValidate {
			bar.update("validating rows", int64(n), total)
			return
		}
		bar.update("writing "+string(kind), int64(n), total)
	}
	var rep *lazyFile
	o := records.ImportOptions{Kind: kind, Owner: *owner, DryRun: *dryRun, Progress: progress, BatchSize: *batch,
		Encoding: file.Encoding(), Rows: file.Rows()}
	if *report != "" {
		rep = &lazyFile{path: *report}
		o.Report = rep
	}
	res, err := a.Records.Import(a.SystemContext(ctx), file, o)
	bar.finish()
	if rep != nil {
		if cerr := rep.Close(); cerr != nil {
			return fail(env, "write report: %v", cerr)
		}
	}
	if res != nil && res.ProblemCount > 0 {
		for _, p := range res.Problems[:min(len(res.Problems), 20)] {
			fmt.Fprintf(env.Stderr, "  %s\n", p.Error())
		}
		if res.ProblemCount > 20 {
			fmt.Fprintf(env.Stderr, "  … and %d more problems\n", res.ProblemCount-20)
		}
		if rep != nil && rep.f != nil {
			fmt.Fprintf(env.Stderr, "  the report (%d refused rows with their problems) is in %s\n", res.RowsInvalid, *report)
		}
	}
	if err != nil {
		return fail(env, "import: %s", errMessage(err))
	}
	if *dryRun {
		fmt.Fprintf(env.Stdout, "%d rows are valid; nothing was written (--dry-run)\n", res.Rows)
		return 0
	}
	fmt.Fprintf(env.Stdout, "imported %d %s (import %s)\n", res.Imported, kind, res.ID)
	return 0
}

// lazyFile is a report file created (mode 0600) at its first write, so an
// import without refused rows leaves none behind.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // the operator names the file
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Write(p)
}

func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
