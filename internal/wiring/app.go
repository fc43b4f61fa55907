// Package wiring assembles a running Custos from its configuration: key
// provider, vault, store, audit recorder, services and the HTTP handler.
// The CLI, the benchmark and end-to-end tests all build Custos through it.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/inbox"
	"github.com/custoscrm/custos/internal/jobs"
	"github.com/custoscrm/custos/internal/jsonapi"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/pool"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/vault"
	"github.com/custoscrm/custos/internal/webui"
)

// App is an assembled Custos.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Keyring  *masterkey.Keyring
	Vault    *vault.Vault
	Index    *vault.BlindIndex
	Store    *store.Store
	Audit    *audit.Recorder
	Records  *records.Service
	Identity *identity.Service
	API      *jsonapi.API
	UI       *webui.UI
	Roles    map[string]*domain.Role
	// Keys runs key rotation, erasure punctures and the key refresh.
	Keys *keylifecycle.Service
	// Pool is the customer pool; Inbox the users' notifications.
	Pool  *pool.Service
	Inbox *inbox.Service
	// Jobs runs background jobs one node at a time (Start starts them).
	Jobs *jobs.Runner

	stopKeys func()
	// AuditSigner signs checkpoints, AuditSequencer integrates events into
	// the Merkle log, AuditService answers auditors.
	AuditSigner    *audit.Signer
	AuditSequencer *audit.Sequencer
	AuditService   *audit.Service

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
	Provider masterkey.Provider
	// PassphraseArgon2 overrides the argon2id parameters of a new
	// passphrase file (tests use cheaper ones).
	PassphraseArgon2 *masterkey.Argon2Params
	// FreeSpace overrides how the SQLite disk guard reads the free space
	// of the data volume (tests of a full disk).
	FreeSpace func(dir string) (uint64, error)
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
		op, err := OpenProvider(cfg)
		if err != nil {
			return nil, err
		}
		p = op
	}
	kr, err := masterkey.New(ctx, p)
	if err != nil {
		_ = p.Close()
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
		DiskReserve:       uint64(cfg.MinFreeDiskMB) << 20, //nolint:gosec // Validate bounds it to [0, 1 TiB]
		FreeSpace:         opts.FreeSpace,
	})
	if err != nil {
		return nil, err
	}
	if err := a.openErasureTree(ctx); err != nil {
		return nil, err
	}
	if err := a.Store.IndexKeys.LoadIndexKeys(ctx, kr.Active()); err != nil {
		return nil, err
	}
	if err := a.Store.Customers.RunBackfills(ctx); err != nil {
		return nil, err
	}
	active, err := a.Store.MasterKeys.ActiveMasterVersion(ctx)
	if err != nil {
		return nil, err
	}
	kr.SetActive(active)
	a.startKeys(ctx, opts.Now)
	// Built-in roles are the seeds of the roles table; the database is
	// authoritative from then on (administrators may tune their session
	// policy and require MFA). The system actor keeps the built-in admin.
	a.Audit = audit.NewRecorder(a.Store.AuditLog, log, recorderFlushers(a.Store))
	if a.AuditSigner, err = audit.LoadSigner(ctx, a.Store.AuditLog, a.Vault, opts.Now()); err != nil {
		return nil, err
	}
	a.AuditSequencer = audit.NewSequencer(a.Store.AuditLog, a.AuditSigner, a.sequencerOptions(opts.Now))
	a.AuditService = audit.NewService(a.Store.AuditLog, a.AuditSigner, a.Audit, opts.Now, log)
	a.Roles = policy.BuiltinRoles()
	seeds := make([]*domain.Role, 0, len(a.Roles))
	for _, name := range policy.BuiltinRoleNames {
		seeds = append(seeds, a.Roles[name])
	}
	if err := a.Store.Users.SeedRoles(ctx, seeds); err != nil {
		return nil, err
	}
	// Validate bounds these (memory ≤ 4 GiB, parallelism ≤ 255).
	params := identity.Argon2Params{
		MemoryKiB:   uint32(min(cfg.Argon2MemoryKiB, 4<<20)),  //nolint:gosec // bounded on the line itself
		Iterations:  uint32(min(cfg.Argon2Iterations, 1<<16)), //nolint:gosec // bounded on the line itself
		Parallelism: uint8(min(cfg.Argon2Parallelism, 255)),   //nolint:gosec // bounded on the line itself
	}
	if opts.Argon2 != nil {
		params = *opts.Argon2
	}
	stepUp := cfg.StepUpWindow
	if stepUp <= 0 {
		stepUp = policy.DefaultStepUpWindow
	}
	a.Records = records.New(records.Deps{
		Customers:  a.Store.Customers,
		Activities: a.Store.Activities,
		Imports:    a.Store.Customers,
		ImportJobs: a.Store.Imports,
		// Imported contacts and deals.
		ActivityImports: a.Store.Activities,
		Directory:       a.Store.Users,
		Audit:           a.Audit,
		Shredder:        a.Keys,
		Checker:         a.Store.Customers,
		Limiter:         a.Store.RateLimits,
		Duplicates:      a.Store.Customers,
	}, records.Options{Now: opts.Now, Log: log, StepUpWindow: stepUp, MaskedLookupRate: maskedLookupRate(cfg),
		DuplicateCheckRate: duplicateCheckRate(cfg)})
	a.Pool = pool.New(pool.Deps{
		Pool:      a.Store.Pool,
		Customers: a.Store.Customers,
		Directory: a.Store.Users,
		Audit:     a.Audit,
	}, pool.Options{Now: opts.Now, Log: log})
	a.Inbox = inbox.New(inbox.Deps{Notifications: a.Store.Notifications}, inbox.Options{Now: opts.Now})
	a.Jobs = jobs.New(jobs.Deps{Leases: a.Store.Leases}, jobs.Options{Log: log})
	a.Identity, err = identity.New(identity.Deps{
		Users:    a.Store.Users,
		Sessions: a.Store.Sessions,
		Factors:  a.Store.Factors,
		Audit:    a.Audit,
	}, identity.Options{
		Hasher:       identity.NewHasher(params, cfg.HashConcurrency),
		Now:          opts.Now,
		Log:          log,
		StepUpWindow: stepUp,
		WebAuthn:     identity.WebAuthnConfig{RPID: cfg.WebAuthnRPID, Origins: cfg.Origins()},
	})
	if err != nil {
		return nil, err
	}
	a.API = jsonapi.New(jsonapi.Services{Records: a.Records, Identity: a.Identity, Audit: a.AuditService,
		Pool: a.Pool, Inbox: a.Inbox}, log, jsonapi.Options{MaxUploadBytes: cfg.MaxImportBytes})
	if a.UI, err = webui.New(webui.Deps{Records: a.Records, Identity: a.Identity, Audit: a.AuditService, Keys: a.Keys},
		webui.Options{Log: log, Now: opts.Now}); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// maskedLookupRate is the configured bound on lookups by masked values:
// the hourly number, at most 20 at once.
func maskedLookupRate(cfg config.Config) domain.Rate {
	n := cfg.MaskedLookupsPerHour
	if n <= 0 {
		return records.DefaultMaskedLookupRate
	}
	return domain.Rate{Events: n, Per: time.Hour, Burst: min(n, 20)}
}

// duplicateCheckRate is the configured bound on duplicate answers: the
// hourly number, at most 10 at once.
func duplicateCheckRate(cfg config.Config) domain.Rate {
	n := cfg.DuplicateChecksPerHour
	if n <= 0 {
		return records.DefaultDuplicateCheckRate
	}
	return domain.Rate{Events: n, Per: time.Hour, Burst: min(n, 10)}
}

// PoolReturnJob is the pool's automatic return as a job: every
// --pool-return-interval, on one node at a time, as the system.
func (a *App) PoolReturnJob() jobs.Job {
	return jobs.Job{Lease: domain.LeasePoolReturn, Every: a.Config.PoolReturnInterval, Run: func(ctx context.Context) error {
		_, err := a.Pool.ReturnDue(a.SystemContext(ctx))
		return err
	}}
}

// Handler returns the HTTP handler for everything Custos serves besides
// the health checks.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	a.API.Register(mux)
	a.UI.Register(mux)
	return mux
}

// BodyLimit is the largest request body r may send: the upload limit for
// an import upload, the body limit for anything else.
func (a *App) BodyLimit(r *http.Request) int64 {
	if jsonapi.IsUpload(r) {
		return a.Config.MaxImportBytes
	}
	return a.Config.MaxBodyBytes
}

// SystemContext returns ctx acting as the system (operator commands).
func (a *App) SystemContext(ctx context.Context) context.Context {
	return domain.WithActor(ctx, domain.SystemActor(a.Roles[domain.RoleAdmin]))
}

// Close stops running imports, flushes the audit log and closes the
// store and key provider.
func (a *App) Close() error {
	var errs []error
	if a.Jobs != nil {
		a.Jobs.Stop()
	}
	if a.Records != nil {
		a.Records.Close()
	}
	if a.stopKeys != nil {
		a.stopKeys()
	}
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

// demoServices adapts the services to what demo data loading needs: the
// CRM service as it is, and user and team creation from identity.
type demoServices struct {
	*records.Service
	id *identity.Service
}

func (d demoServices) CreateUser(ctx context.Context, in *identity.UserInput) (*domain.User, error) {
	return d.id.CreateUser(ctx, in)
}

func (d demoServices) CreateTeam(ctx context.Context, name string) (domain.ID, error) {
	return d.id.CreateTeam(ctx, name)
}

// DemoServices returns the services demo data is loaded through.
func (a *App) DemoServices() demo.Services { return demoServices{Service: a.Records, id: a.Identity} }
