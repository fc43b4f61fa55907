package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/csvimport"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/wiring"
)

// importMemoryLimit is the import's soft Go memory limit (the database's
// page cache and the process's code come on top).
const importMemoryLimit = 256 << 20

func runImport(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || (args[0] != "customers" && args[0] != "-h" && args[0] != "--help") {
		fmt.Fprintln(env.Stderr, "Usage: custos import customers --data DIR [flags] FILE.csv")
		return 2
	}
	if args[0] != "customers" {
		args = []string{"--help"}
	} else {
		args = args[1:]
	}
	// A bulk import allocates fast; without a limit the garbage collector
	// lets the heap reach twice the live data, and a million-row import
	// peaked at 511 MB. A soft limit keeps it near 375 MB for ~7 % more
	// CPU. GOMEMLIMIT, when set, wins.
	if env.Getenv("GOMEMLIMIT") == "" {
		prev := debug.SetMemoryLimit(importMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	cfg := config.Defaults()
	fs := newFlagSet(env, "import customers", "--data DIR [--owner USER] [--dry-run] [--report FILE] FILE.csv",
		`Import customers from a CSV file, all or nothing. The first line names
the columns: name (required), kind, phone, email, province, city,
district, street (or address), id_type, id_number, tax_id, bank_account,
company, industry, tags (separated by ; or |), owner (user id or email),
status. The file is validated completely first — every row's fields,
owners, and duplicates within the file and against stored customers —
and every problem is reported by line and column; if there is any,
nothing is imported. Then the customers are written in batches; if that
fails, every customer of the import is removed. Works while a server
serves the same data directory.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	owner := fs.String("owner", "", "owner of rows without an owner column (user id or email)")
	dryRun := fs.Bool("dry-run", false, "validate only; write nothing")
	report := fs.String("report", "", "write every problem to `file` as CSV (line, column, problem)")
	quiet := fs.Bool("quiet", false, "no progress output")
	batch := fs.Int("batch", 5000, "customers per write transaction")
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
		return fail(env, "import customers takes exactly one CSV file")
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
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := cfg.NewLogger(env.Stderr)
	a, err := wiring.Open(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()

	var current *csvimport.Reader
	src := func() (records.ImportReader, error) {
		f, err := os.Open(path) //nolint:gosec // the operator names the file
		if err != nil {
			return nil, err
		}
		r, err := csvimport.NewReader(f)
		if err != nil {
			_ = f.Close()
			var fe *csvimport.FileError
			if errors.As(err, &fe) {
				return nil, &records.ImportProblem{Line: fe.Line, Message: fe.Message}
			}
			return nil, err
		}
		current = r
		return csvRows{r: r, f: f}, nil
	}
	bar := newProgressBar(env.Stderr, *quiet)
	rows := int64(0)
	progress := func(phase string, n int) {
		switch phase {
		case "validate":
			rows = int64(n)
			bar.update("validating rows", current.BytesRead(), st.Size())
		default:
			bar.update("writing customers", int64(n), rows)
		}
	}
	res, err := a.Records.ImportCustomers(a.SystemContext(ctx), src, records.ImportOptions{
		Owner: *owner, DryRun: *dryRun, Progress: progress, BatchSize: *batch,
	})
	bar.finish()
	if res != nil && res.ProblemCount > 0 {
		for _, p := range res.Problems[:min(len(res.Problems), 20)] {
			fmt.Fprintf(env.Stderr, "  %s\n", p.Error())
		}
		if res.ProblemCount > 20 {
			fmt.Fprintf(env.Stderr, "  … and %d more problems\n", res.ProblemCount-20)
		}
		if *report != "" {
			if err := writeReport(*report, res.Problems); err != nil {
				return fail(env, "write report: %v", err)
			}
			fmt.Fprintf(env.Stderr, "  the problems are listed in %s\n", *report)
		}
	}
	if err != nil {
		return fail(env, "import: %s", errMessage(err))
	}
	if *dryRun {
		fmt.Fprintf(env.Stdout, "%d rows are valid; nothing was written (--dry-run)\n", res.Rows)
		return 0
	}
	fmt.Fprintf(env.Stdout, "imported %d customers (import %s)\n", res.Imported, res.ID)
	return 0
}

// Close closes the file (the service closes readers it stops early).
func (c csvRows) Close() error { return c.f.Close() }

// csvRows adapts the CSV reader to the service's row interface.
type csvRows struct {
	r *csvimport.Reader
	f *os.File
}

func (c csvRows) Next() (records.ImportRow, error) {
	row, err := c.r.Next()
	if err != nil {
		var fe *csvimport.FileError
		if errors.As(err, &fe) && fe.Line > 0 {
			// A bad row: reading goes on with the next line.
			return records.ImportRow{}, &records.ImportProblem{Line: fe.Line, Field: fe.Column, Message: fe.Message}
		}
		_ = c.f.Close()
		if errors.Is(err, io.EOF) {
			return records.ImportRow{}, io.EOF
		}
		if fe != nil {
			return records.ImportRow{}, &records.ImportProblem{Message: fe.Message}
		}
		return records.ImportRow{}, err
	}
	return records.ImportRow{Line: row.Line, Input: row.Input, Owner: row.Owner}, nil
}

func writeReport(path string, problems []records.ImportProblem) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // the operator names the file
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"line", "column", "problem"})
	for _, p := range problems {
		_ = w.Write([]string{strconv.Itoa(p.Line), p.Field, p.Message})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
