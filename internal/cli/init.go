package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/wiring"
)

const defaultAdminEmail = "admin@custos.localhost"

func runInit(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "init", "--data DIR [--admin-email EMAIL] [--admin-password-file FILE] [--demo]",
		`Create a data directory: a master key file (mode 0600), a self-signed TLS
certificate for localhost, the database, and the first administrator.
Without --admin-password-file a random password is generated and printed
once. Refuses, changing nothing, if DIR is already initialized.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	adminEmail := fs.String("admin-email", defaultAdminEmail, "the first administrator's `email` [CUSTOS_ADMIN_EMAIL]")
	pwFile := fs.String("admin-password-file", "", "read the first administrator's password from `file` (first line); '-' reads stdin [CUSTOS_ADMIN_PASSWORD_FILE]")
	withDemo := fs.Bool("demo", false, "load demo data: a few hundred customers with deals and visits [CUSTOS_DEMO]")
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "init takes no arguments (got %q)", fs.Arg(0))
	}
	if err := loadSecrets(env, &cfg); err != nil {
		return fail(env, "%v", err)
	}
	log := cfg.NewLogger(env.Stderr)
	password := ""
	if *pwFile != "" {
		p, err := readPasswordFile(env, *pwFile)
		if err != nil {
			return fail(env, "%v", err)
		}
		password = p
	}
	return initialize(ctx, env, cfg, log, *adminEmail, password, *withDemo)
}

func initialize(ctx context.Context, env *Env, cfg config.Config, log *slog.Logger, email, password string, withDemo bool) int {
	if withDemo {
		fmt.Fprintln(env.Stderr, "loading demo data…")
	}
	var users []demo.DemoUser
	res, err := wiring.Initialize(ctx, cfg, log, wiring.InitOptions{AdminEmail: email, AdminPassword: password, Seed: demoSeed(withDemo, &users)})
	if errors.Is(err, wiring.ErrAlreadyInitialized) {
		return fail(env, "%v; refusing to initialize again (nothing was changed)", err)
	}
	if err != nil {
		return fail(env, "init: %v", err)
	}
	printInitResult(env, cfg, res)
	if withDemo {
		printDemoSignIns(env, res, users)
	}
	return 0
}

// readPasswordFile reads a password from the first line of a file (or
// stdin for "-"), dropping the line ending but no other characters. The
// line must be valid UTF-8: a password is the exact UTF-8 typed at sign-in.
func readPasswordFile(env *Env, path string) (string, error) {
	var r io.Reader = env.Stdin
	if path != "-" {
		f, err := os.Open(path) //nolint:gosec // the operator names the file on the command line
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	s := string(b)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "", errors.New("password file is empty")
	}
	if at := domain.InvalidUTF8At(s); at >= 0 {
		return "", fmt.Errorf("password file: the first line is not valid UTF-8 (byte %d); save it as UTF-8", at)
	}
	return s, nil
}

func printInitResult(env *Env, cfg config.Config, res *wiring.InitResult) {
	fmt.Fprintf(env.Stdout, "Custos initialized in %s\n", cfg.DataDir)
	switch cfg.MasterKeyProvider {
	case config.ProviderPassphrase:
		fmt.Fprintf(env.Stdout, "  master key:    derived from the passphrase; salt and check values in %s\n", cfg.PassphraseKeyFile)
	case config.ProviderPKCS11:
		fmt.Fprintf(env.Stdout, "  master key:    in PKCS#11 token %q, labelled %s/master/v1\n", cfg.PKCS11Token, cfg.PKCS11KeyLabel)
	default:
		fmt.Fprintf(env.Stdout, "  master key:    %s (mode 0600; keep a copy off this disk)\n", cfg.MasterKeyFile)
	}
	fmt.Fprintf(env.Stdout, "  administrator: %s\n", res.Admin.Email)
	if res.GeneratedPassword != "" {
		fmt.Fprintf(env.Stdout, "  password:      %s\n", res.GeneratedPassword)
		fmt.Fprintln(env.Stdout, "                 (shown once: store it in a password manager now)")
	}
}

func demoSeed(withDemo bool, users *[]demo.DemoUser) func(ctx context.Context, a *wiring.App, admin *domain.User) error {
	if !withDemo {
		return nil
	}
	return func(ctx context.Context, a *wiring.App, _ *domain.User) error {
		var err error
		*users, err = demo.Load(ctx, a.DemoServices(), wiring.GeneratePassword, demo.Options{})
		return err
	}
}

// printDemoSignIns prints a sign-in for every demo user, by role, the
// administrator first, so whoever tries Custos can see each role's view.
// Passwords are random and shown this once.
func printDemoSignIns(env *Env, res *wiring.InitResult, users []demo.DemoUser) {
	fmt.Fprintln(env.Stdout, "Demo sign-ins, one or more per role (passwords shown once):")
	adminPassword := res.GeneratedPassword
	if adminPassword == "" {
		adminPassword = "(the password you gave)"
	}
	fmt.Fprintf(env.Stdout, "  %-14s %-32s %s\n", domain.RoleAdmin, res.Admin.Email, adminPassword)
	for _, role := range []string{domain.RoleSalesManager, domain.RoleSalesRep, domain.RoleFinance, domain.RoleService, domain.RoleAuditor} {
		for _, u := range users {
			if u.Role == role {
				fmt.Fprintf(env.Stdout, "  %-14s %-32s %s\n", u.Role, u.Email, u.Password)
			}
		}
	}
}
