// Package app assembles a running Custos from its configuration: key
// provider, vault, store, audit recorder, services and the HTTP handler.
// The CLI, the benchmark and end-to-end tests all build Custos through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/crm"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/httpapi"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/keyring"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/vault"
)

// App is an assembled Custos.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	Keyring *keyring.Keyring
	Vault   *vault.Vault
	Index   *vault.BlindIndex
	Store   *store.Store
	Audit   *audit.Recorder
	// AuditSigner signs checkpoints, AuditSequencer integrates events into
	// the Merkle log, AuditService answers auditors.
	AuditSigner    *audit.Signer
	AuditSequencer *audit.Sequencer
	AuditService   *audit.Service
	CRM            *crm.Service
	Identity       *identity.Service
	API            *httpapi.API
	Roles          map[string]*domain.Role

	started bool // Start ran: background audit work is running
}

// Options tune assembly beyond the configuration (tests and benchmarks).
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Argon2 overrides the configured password hashing parameters (tests
	// use cheaper ones; the CLI never sets this).
	Argon2 *identity.Argon2Params
	// Provider overrides the master key provider.
	Provider keyring.Provider
}

// Open assembles Custos from cfg (already validated).
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &App{Config: cfg, Log: log}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	p := opts.Provider
	if p == nil {
		fp, err := keyring.OpenFile(cfg.MasterKeyFile)
		if err != nil {
			return nil, err
		}
		p = fp
	}
	kr, err := keyring.New(ctx, p)
	if err != nil {
		return nil, err
	}
	a.Keyring = kr
	if a.Vault, err = vault.New(kr, cfg.DataKeyCacheSize); err != nil {
		return nil, err
	}
	a.Index = vault.NewBlindIndex()
	a.Store, err = store.Open(ctx, store.Options{
		SQLitePath:        cfg.SQLitePath(),
		DatabaseURL:       cfg.DatabaseURL,
		Vault:             a.Vault,
		Index:             a.Index,
		Now:               opts.Now,
		Logger:            log,
		SynchronousNormal: cfg.SQLiteSynchronous == "NORMAL",
	})
	if err != nil {
		return nil, err
	}
	if err := a.Store.LoadIndexKeys(ctx, kr.Active()); err != nil {
		return nil, err
	}
	a.Audit = audit.NewRecorder(a.Store, log, recorderFlushers(a.Store))
	if a.AuditSigner, err = audit.LoadSigner(ctx, a.Store, a.Vault, opts.Now()); err != nil {
		return nil, err
	}
	a.AuditSequencer = audit.NewSequencer(a.Store, a.AuditSigner, a.sequencerOptions(opts.Now))
	a.AuditService = audit.NewService(a.Store, a.AuditSigner, a.Audit, opts.Now, log)
	a.Roles = policy.BuiltinRoles()
	params := identity.Argon2Params{MemoryKiB: uint32(cfg.Argon2MemoryKiB), Iterations: uint32(cfg.Argon2Iterations), Parallelism: uint8(cfg.Argon2Parallelism)}
	if opts.Argon2 != nil {
		params = *opts.Argon2
	}
	a.CRM = crm.New(a.Store, a.Audit, opts.Now, log)
	a.Identity = identity.New(a.Store, a.Audit, identity.Options{
		Hasher: identity.NewHasher(params, cfg.HashConcurrency),
		Roles:  a.Roles,
		Now:    opts.Now,
		Log:    log,
	})
	a.API = httpapi.New(a.CRM, a.Identity, log)
	a.API.SetAudit(a.AuditService)
	ok = true
	return a, nil
}

// Handler returns the HTTP handler for everything Custos serves besides
// the health checks.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	a.API.Register(mux)
	return mux
}

// SystemContext returns ctx acting as the system (operator commands).
func (a *App) SystemContext(ctx context.Context) context.Context {
	return domain.WithActor(ctx, domain.SystemActor(a.Roles[domain.RoleAdmin]))
}

// Close flushes the audit log and closes the store and key provider.
func (a *App) Close() error {
	var errs []error
	if a.Audit != nil {
		a.Audit.Close()
	}
	a.stopAudit()
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	if a.Keyring != nil {
		errs = append(errs, a.Keyring.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// demoServices adapts the services to what demo data loading needs.
type demoServices struct{ a *App }

func (d demoServices) CreateUser(ctx context.Context, in *identity.UserInput) (*domain.User, error) {
	return d.a.Identity.CreateUser(ctx, in)
}

func (d demoServices) CreateTeam(ctx context.Context, name string) (domain.ID, error) {
	return d.a.Identity.CreateTeam(ctx, name)
}

func (d demoServices) CreateCustomer(ctx context.Context, in *domain.CustomerInput) (*domain.Customer, error) {
	return d.a.CRM.CreateCustomer(ctx, in)
}

// DemoServices returns the services demo data is loaded through.
func (a *App) DemoServices() demo.Services { return demoServices{a} }
