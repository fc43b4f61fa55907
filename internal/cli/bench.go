package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/custoscrm/custos/internal/bench"
)

func runBench(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "bench", "[--customers N] [--concurrency C] [--duration D] [--scenario a,b] [--database-url URL | --url URL]",
		`Run the load benchmark. By default it starts 'custos serve' on a fresh
data directory, seeds N realistic customers, signs in as the roles the
scenarios need and drives each scenario over HTTPS with its own
load generator (one keep-alive HTTP/1.1 connection per worker). Each
scenario's throughput is also shown as a ratio of the same server's
GET /healthz ceiling, so results compare across machines.

Scenarios: `+strings.Join(bench.AllScenarios, ", ")+`.`)
	o := bench.Options{}
	fs.StringVar(&o.URL, "url", "", "benchmark a running server at `URL` instead of starting one (needs --admin-email and --admin-password-file)")
	fs.StringVar(&o.AdminEmail, "admin-email", "", "with --url: an administrator's `email`")
	pwFile := fs.String("admin-password-file", "", "with --url: `file` holding that administrator's password")
	fs.StringVar(&o.DataDir, "data", "", "data `directory` for the started server (default: a temporary one, removed afterwards)")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "run the started server on PostgreSQL at `URL` (an empty database)")
	fs.IntVar(&o.Customers, "customers", 100000, "customers to seed")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "connections per scenario")
	fs.IntVar(&o.LoginConcurrency, "login-concurrency", 500, "connections for the login scenario")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each scenario runs")
	scen := fs.String("scenario", strings.Join(bench.AllScenarios, ","), "comma-separated scenarios to run")
	fs.StringVar(&o.JSONPath, "json", "", "write results as JSON to `file`")
	fs.Int64Var(&o.MaxErrors, "max-errors", -1, "exit non-zero when a scenario has more errors than this (-1: never)")
	serverLog := fs.String("server-log", "", "write the started server's log to `file`")
	pprofAddr := fs.String("server-pprof", "", "serve the started server's profiling endpoints on this loopback `host:port`")
	if ok, code := parse(env, fs, args, nil, 0); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "bench takes no arguments (got %q)", fs.Arg(0))
	}
	if o.Customers < 1 || o.Concurrency < 1 || o.LoginConcurrency < 1 || o.Duration <= 0 {
		return fail(env, "--customers, --concurrency, --login-concurrency and --duration must be positive")
	}
	if o.URL != "" {
		if o.AdminEmail == "" || *pwFile == "" {
			return fail(env, "--url needs --admin-email and --admin-password-file")
		}
		pw, err := readPasswordFile(env, *pwFile)
		if err != nil {
			return fail(env, "%v", err)
		}
		o.AdminPassword = pw
	}
	for _, s := range strings.Split(*scen, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.Scenarios = append(o.Scenarios, s)
		}
	}
	if *serverLog != "" {
		f, err := os.OpenFile(*serverLog, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // the operator names the file
		if err != nil {
			return fail(env, "%v", err)
		}
		defer f.Close()
		o.ServerLog = f
	}
	if *pprofAddr != "" {
		o.ServeArgs = append(o.ServeArgs, "--pprof-addr", *pprofAddr)
	}
	o.Out = env.Stdout
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if _, err := bench.Run(ctx, o); err != nil {
		return fail(env, "bench: %v", err)
	}
	fmt.Fprintln(env.Stdout)
	return 0
}
