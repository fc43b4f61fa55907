package wiring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/tlscert"
)

// ErrAlreadyInitialized is returned by Initialize for a data directory
// that already holds a Custos installation.
var ErrAlreadyInitialized = errors.New("the data directory is already initialized")

// InitOptions describe a fresh installation.
type InitOptions struct {
	AdminEmail    string
	AdminPassword string // empty: generate one
	// Seed, when set, runs with the opened app after the administrator
	// exists (demo data).
	Seed func(ctx context.Context, a *App, admin *domain.User) error
	// TLSHosts adds names to the self-signed certificate.
	TLSHosts []string
	Options  Options
}

// InitResult reports what Initialize created.
type InitResult struct {
	Admin             *domain.User
	GeneratedPassword string // set when the password was generated
}

// Initialized reports whether cfg's data directory holds an installation.
func Initialized(cfg config.Config) bool {
	for _, p := range []string{cfg.SQLitePath(), cfg.MasterKeyFile, cfg.PassphraseKeyFile, filepath.Join(cfg.DataDir, "tls")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// Initialize creates a data directory: the master key file (0600), a
// self-signed TLS certificate, the database with its schema and keys, and
// the first administrator. It refuses, changing nothing, when the
// directory is already initialized; if it fails midway it removes what it
// created.
func Initialize(ctx context.Context, cfg config.Config, log *slog.Logger, o InitOptions) (*InitResult, error) {
	if Initialized(cfg) {
		return nil, fmt.Errorf("%w: %s", ErrAlreadyInitialized, cfg.DataDir)
	}
	email, err := domain.NormalizeEmail("admin-email", o.AdminEmail)
	if err != nil {
		return nil, err
	}
	res := &InitResult{}
	password := o.AdminPassword
	if password == "" {
		password = GeneratePassword()
		res.GeneratedPassword = password
	}

	var created []string
	ok := false
	defer func() {
		if ok {
			return
		}
		for i := len(created) - 1; i >= 0; i-- {
			_ = os.RemoveAll(created[i])
		}
	}()
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		created = append(created, cfg.DataDir)
	} else if err != nil {
		return nil, err
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil { //nolint:gosec // a directory needs its x bit; 0700 is owner-only

		return nil, err
	}
	if o.Options.Provider == nil {
		paths, err := createProvider(ctx, cfg, o.Options)
		if err != nil {
			return nil, err
		}
		created = append(created, paths...)
	}
	tlsDir := filepath.Join(cfg.DataDir, "tls")
	if err := os.Mkdir(tlsDir, 0o700); err != nil {
		return nil, fmt.Errorf("create TLS directory: %w", err)
	}
	created = append(created, tlsDir)
	cert, key := filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	if err := tlscert.GenerateSelfSigned(cert, key, o.TLSHosts, time.Now()); err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			created = append(created, cfg.SQLitePath()+suffix)
		}
	}
	a, err := Open(ctx, cfg, log, o.Options)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	res.Admin, err = a.Identity.CreateFirstAdmin(ctx, email, password)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Field == "password" {
			return nil, fmt.Errorf("admin password: %s", de.Message)
		}
		return nil, fmt.Errorf("create administrator: %w", err)
	}
	if o.Seed != nil {
		if err := o.Seed(a.SystemContext(ctx), a, res.Admin); err != nil {
			return nil, fmt.Errorf("demo data: %w", err)
		}
	}
	ok = true
	return res, nil
}

// GeneratePassword returns a random password (identity.GeneratePassword).
func GeneratePassword() string { return identity.GeneratePassword() }
