// Package cli is Custos's command-line interface for operators. Each
// command parses its own flags (with CUSTOS_* environment fallbacks),
// answers --help, and returns an exit code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/custoscrm/custos/internal/config"
)

// Env is what a command runs with; tests replace its parts.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready, if set, receives the listening address once serve is up.
	Ready func(addr string)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

func commands() []command {
	return []command{
		{"audit", "verify, checkpoint and export the tamper-evident audit log", runAudit},
		{"init", "create a data directory and the first administrator", runInit},
		{"serve", "serve Custos over HTTPS", runServe},
		{"import", "import customers, contacts or deals from a CSV file", runImport},
		{"bench", "run the load benchmark", runBench},
		{"data", "seal values stored in clear by earlier versions; index them for search", runData},
		{"doctor", "check every stored record's integrity and list the unreadable ones", runDoctor},
		{"keys", "master and blind-index keys: status, rotate, destroy", runKeys},
		{"pool", "the customer pool: every team's settings, run the automatic return now", runPool},
		{"users", "recover a user's access: reset their second factors or password", runUsers},
		{"version", "print the version", runVersion},
	}
}

// Version is set at build time with -ldflags "-X …/cli.Version=…".
var Version = "dev"

// Main runs the command line args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, env *Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "custos: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Custos — a security-first CRM server.")
	fmt.Fprintln(w, "\nUsage: custos <command> [flags]\n\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-18s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'custos <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to env.Stdout on
// --help and reports errors to env.Stderr.
func newFlagSet(env *Env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("custos "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: custos %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, applies the environment and validates cfg. It
// returns ok=false with the exit code when the command must stop (help
// requested: 0; bad flags: 2).
func parse(env *Env, fs *flag.FlagSet, args []string, cfg *config.Config, groups int) (bool, int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return false, 0
		}
		return false, 2
	}
	if err := config.ApplyEnv(fs, env.Getenv); err != nil {
		fmt.Fprintf(env.Stderr, "custos: %v\n", err)
		return false, 2
	}
	if cfg != nil {
		if err := cfg.Validate(groups); err != nil {
			fmt.Fprintf(env.Stderr, "custos: %v\n", err)
			return false, 2
		}
	}
	return true, 0
}

func fail(env *Env, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(env.Stderr, "custos: %s\n", strings.TrimSpace(msg))
	return 1
}

func runVersion(_ context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "version", "", "Print the version of this binary.")
	if ok, code := parse(env, fs, args, nil, 0); !ok {
		return code
	}
	fmt.Fprintf(env.Stdout, "custos %s\n", Version)
	return 0
}
