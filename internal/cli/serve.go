package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/httpserver"
	"github.com/custoscrm/custos/internal/tlscert"
	"github.com/custoscrm/custos/internal/wiring"
)

func runServe(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "serve", "--data DIR [--addr HOST:PORT] [--database-url URL] [--init [--demo]]",
		`Serve Custos over HTTPS (TLS 1.2+, 1.3 preferred) with the self-signed
certificate from DIR unless --tls-cert/--tls-key are given. SIGHUP reads
the certificate and key again and serves them from the next connection
(a pair that does not load is logged and the current one kept). SIGTERM
or SIGINT drains in-flight requests and exits 0. With --init, an
uninitialized DIR is initialized first (a random administrator password
is printed once).`)
	groups := config.FlagData | config.FlagServe | config.FlagDatabase | config.FlagKeys | config.FlagLog | config.FlagAudit
	cfg.Register(fs, groups)
	doInit := fs.Bool("init", false, "initialize DIR first if it is not initialized [CUSTOS_INIT]")
	withDemo := fs.Bool("demo", false, "with --init: load demo data [CUSTOS_DEMO]")
	adminEmail := fs.String("admin-email", defaultAdminEmail, "with --init: the first administrator's `email` [CUSTOS_ADMIN_EMAIL]")
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "serve takes no arguments (got %q)", fs.Arg(0))
	}
	if err := loadSecrets(env, &cfg); err != nil {
		return fail(env, "%v", err)
	}
	log := cfg.NewLogger(env.Stderr)
	if *doInit && !wiring.Initialized(cfg) {
		if code := initialize(ctx, env, cfg, log, *adminEmail, "", *withDemo); code != 0 {
			return code
		}
	} else if !wiring.Initialized(cfg) {
		return fail(env, "%s is not initialized; run 'custos init --data %s' first (or serve --init)", cfg.DataDir, cfg.DataDir)
	}

	certPath, keyPath := cfg.TLSPaths()
	certs, err := httpserver.NewCertificates(httpserver.CertOptions{
		Load: func() (tls.Certificate, error) { return tlscert.Load(certPath, keyPath) },
		Log:  log,
	})
	if err != nil {
		return fail(env, "%v", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	reload := make(chan os.Signal, 1)
	signal.Notify(reload, syscall.SIGHUP)
	defer signal.Stop(reload)
	go reloadOnSignal(ctx, reload, certs)
	a, err := wiring.Open(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return fail(env, "%v", err)
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fail(env, "listen on %s: %v", cfg.Addr, err)
	}
	srv := httpserver.New(httpserver.Options{
		// The policy from tlscert; the certificate from certs.
		TLS: tlscert.ServerConfig(tls.Certificate{}), Certificates: certs, Handler: a.Handler(), Log: log,
		MaxBodyBytes: cfg.MaxBodyBytes, BodyLimit: a.BodyLimit, Ready: a.Store.Ready,
	})
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(ctx, cfg.PprofAddr)
		if err != nil {
			return fail(env, "pprof: %v", err)
		}
		defer stopPprof()
	}
	addr := ln.Addr().String()
	base := "https://" + displayAddr(cfg.Addr, addr)
	fmt.Fprintf(env.Stdout, "Custos is serving %s\n", base)
	fmt.Fprintf(env.Stdout, "  web UI: %s/login\n", base)
	fmt.Fprintf(env.Stdout, "  API:    %s/api/v1/\n", base)
	log.Info("serving", "addr", addr, "database", a.Store.Dialect().String())
	if env.Ready != nil {
		env.Ready(addr)
	}
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return fail(env, "%v", err)
	}
	// Requests have drained: store the sessions' last activity before
	// the database closes, so other nodes see it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.Identity.FlushActivity(fctx); err != nil {
		log.Warn("session activity not stored", "err", err)
	}
	log.Info("stopped")
	return 0
}

// reloadOnSignal reloads the TLS certificate at every signal on sig (the
// failure, if any, is logged by Reload) until ctx ends.
func reloadOnSignal(ctx context.Context, sig <-chan os.Signal, certs *httpserver.Certificates) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			_ = certs.Reload()
		}
	}
}

// displayAddr shows the configured host with the bound port (so port 0
// prints the real port).
func displayAddr(configured, bound string) string {
	host, _, err := net.SplitHostPort(configured)
	_, port, err2 := net.SplitHostPort(bound)
	if err != nil || err2 != nil {
		return bound
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
