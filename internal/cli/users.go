package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/wiring"
)

// runUsers holds the operator's ways back in for a user who lost their
// password or second factor: they act as the system, through the same
// identity service (and audit log) as the API.
func runUsers(ctx context.Context, env *Env, args []string) int {
	return group{name: "users", usage: "<command> --data DIR --email EMAIL [flags]",
		footer: "Both end the user's sessions and are recorded on the audit log.\n",
		subs: []command{
			{"reset-mfa", "remove a user's second factors (they sign in with their password, and enroll again if their role requires it)", runResetMFA},
			{"reset-password", "give a user a temporary password they must change at their next sign-in", runResetPassword},
		}}.run(ctx, env, args)
}

// userCommand parses the flags shared by the users commands and opens
// Custos; it returns ok=false with the exit code when it must stop.
func userCommand(env *Env, name, description string, extra func(fs *flag.FlagSet), args []string) (config.Config, string, bool, int) {
	cfg := config.Defaults()
	fs := newFlagSet(env, "users "+name, "--data DIR --email EMAIL", description)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	email := fs.String("email", "", "the user's `email` [CUSTOS_EMAIL]")
	if extra != nil {
		extra(fs)
	}
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return cfg, "", false, code
	}
	if fs.NArg() > 0 {
		return cfg, "", false, fail(env, "users %s takes no arguments (got %q)", name, fs.Arg(0))
	}
	if *email == "" {
		fmt.Fprintln(env.Stderr, "custos: --email is required")
		return cfg, "", false, 2
	}
	if !wiring.Initialized(cfg) {
		return cfg, "", false, fail(env, "%s is not initialized", cfg.DataDir)
	}
	return cfg, *email, true, 0
}

func findUser(ctx context.Context, env *Env, a *wiring.App, email string) (*domain.User, int) {
	u, err := a.Identity.UserByEmail(a.SystemContext(ctx), email)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, fail(env, "no user with email %s", email)
	}
	if err != nil {
		return nil, fail(env, "%v", err)
	}
	return u, 0
}

func runResetMFA(ctx context.Context, env *Env, args []string) int {
	cfg, email, ok, code := userCommand(env, "reset-mfa", `Remove every second factor and recovery code of a user who lost them, and
end their sessions. They sign in with their password alone; if their role
requires a second factor, they must enroll one before doing anything else.`, nil, args)
	if !ok {
		return code
	}
	a, err := wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	u, code := findUser(ctx, env, a, email)
	if u == nil {
		return code
	}
	if err := a.Identity.ResetUserMFA(a.SystemContext(ctx), u.ID); err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "Removed the second factors of %s (%s); their sessions have ended.\n", u.Email, u.ID)
	return 0
}

func runResetPassword(ctx context.Context, env *Env, args []string) int {
	var pwFile *string
	cfg, email, ok, code := userCommand(env, "reset-password", `Give a user a temporary password (read from --password-file, or generated
and printed once) and end their sessions. At their next sign-in they must
set a new password before doing anything else.`, func(fs *flag.FlagSet) {
		pwFile = fs.String("password-file", "", "read the temporary password from `file` (first line); '-' reads stdin; default: generate one [CUSTOS_PASSWORD_FILE]")
	}, args)
	if !ok {
		return code
	}
	password, generated := "", false
	if *pwFile != "" {
		p, err := readPasswordFile(env, *pwFile)
		if err != nil {
			return fail(env, "%v", err)
		}
		password = p
	} else {
		password, generated = wiring.GeneratePassword(), true
	}
	a, err := wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	u, code := findUser(ctx, env, a, email)
	if u == nil {
		return code
	}
	if err := a.Identity.ResetPassword(a.SystemContext(ctx), u.ID, password); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Field != "" {
			return fail(env, "temporary password: %s", de.Message)
		}
		return fail(env, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "Reset the password of %s (%s); their sessions have ended.\n", u.Email, u.ID)
	if generated {
		fmt.Fprintf(env.Stdout, "Temporary password (shown once; they must change it at sign-in): %s\n", password)
	}
	return 0
}
