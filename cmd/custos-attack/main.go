// Command custos-attack is Custos's attack suite (see
// docs/security-testing.md); scripts/attack.sh builds and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/custoscrm/custos/internal/attack"
)

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("custos-attack", flag.ContinueOnError)
	binary := fs.String("binary", "", "the custos binary to attack (required)")
	work := fs.String("work", "", "work directory for data directories and reports (default: a new temporary directory)")
	budget := fs.String("budget", "full", "run size: ci (about 10 minutes on 2 cores) or full")
	pgURL := fs.String("postgres-url", "", "URL of an empty PostgreSQL database for the PostgreSQL parts")
	parts := fs.String("parts", "", "comma-separated parts to run (default all): "+strings.Join(attack.AllParts, ","))
	sslscan := fs.String("sslscan", "sslscan", "sslscan executable")
	testssl := fs.String("testssl", "testssl", "testssl.sh executable")
	sqlmap := fs.String("sqlmap", "sqlmap", "sqlmap executable")
	maxBody := fs.Int64("max-body-bytes", 1<<20, "the servers' --max-body-bytes")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	b, ok := attack.Budgets[*budget]
	if !ok || *binary == "" {
		fmt.Fprintln(os.Stderr, "usage: custos-attack --binary PATH [--budget ci|full] [--postgres-url URL] [--work DIR] [--parts a,b]")
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "custos-attack-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dir = d
	}
	abs, err := filepath.Abs(*binary)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var sel []string
	if *parts != "" {
		sel = strings.Split(*parts, ",")
	}
	rep := attack.Run(ctx, attack.Options{Binary: abs, WorkDir: dir, Budget: b, PostgresURL: *pgURL, Parts: sel,
		SSLScan: *sslscan, TestSSL: *testssl, SQLMap: *sqlmap, MaxBodyBytes: *maxBody, Log: log, Out: os.Stdout})
	full := filepath.Join(dir, "report.txt")
	if f, err := os.Create(full); err == nil { //nolint:gosec // the work directory is ours
		rep.WriteTable(f)
		rep.WriteDetails(f, 0)
		_ = f.Close()
	}
	rep.WriteDetails(os.Stdout, 25)
	rep.WriteTable(os.Stdout)
	fmt.Printf("full report: %s\n", full)
	if rep.Failed() {
		return 1
	}
	return 0
}
