package testkit

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/wiring"
)

// FastArgon2 keeps password hashing cheap in tests. Production refuses
// anything below identity.OWASPMinimum.
var FastArgon2 = identity.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// AdminEmail and AdminPassword are the first administrator of a test app.
const (
	AdminEmail    = "admin@test.custos.localhost"
	AdminPassword = "correct horse battery staple"
)

// Clock is a settable clock for tests that must not sleep.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// AppOptions tune NewApp.
type AppOptions struct {
	Now    func() time.Time
	Config func(*config.Config)
	Log    *slog.Logger
	// Dir reuses an existing data directory (to reopen an app).
	Dir string
	// DatabaseURL reuses a PostgreSQL schema (to reopen an app).
	DatabaseURL string
	// Provider, when set, is the master key provider (tests of the
	// passphrase and PKCS#11 providers set Config instead).
	Provider masterkey.Provider
	// Argon2 overrides the cheap test hashing parameters.
	Argon2 *identity.Argon2Params
	// FreeSpace overrides how the SQLite disk guard reads the free space
	// of the data volume (tests of a full disk).
	FreeSpace func(dir string) (uint64, error)
}

// TestApp is an initialized, opened Custos for a test.
type TestApp struct {
	*wiring.App
	Dir         string
	DatabaseURL string
	Options     AppOptions
}

// CheapPassphraseArgon2 keeps passphrase-provider tests fast.
var CheapPassphraseArgon2 = masterkey.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// NewApp initializes a data directory on dialect d with the test
// administrator and opens it. Everything is removed when the test ends.
func NewApp(t testing.TB, d Dialect, o AppOptions) *TestApp {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = o.Dir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.DatabaseURL = o.DatabaseURL
	if d == Postgres && cfg.DatabaseURL == "" {
		cfg.DatabaseURL = PostgresURL(t)
	}
	cfg.SQLiteSynchronous = "NORMAL"
	if o.Config != nil {
		o.Config(&cfg)
	}
	if err := cfg.Validate(config.FlagData | config.FlagKeys | config.FlagDatabase); err != nil {
		t.Fatalf("config: %v", err)
	}
	log := o.Log
	if log == nil {
		log = Logger(t)
	}
	opts := wiring.Options{Now: o.Now, Argon2: &FastArgon2, PassphraseArgon2: &CheapPassphraseArgon2, Provider: o.Provider,
		FreeSpace: o.FreeSpace}
	if o.Argon2 != nil {
		opts.Argon2 = o.Argon2
	}
	ctx := context.Background()
	if !wiring.Initialized(cfg) {
		if _, err := wiring.Initialize(ctx, cfg, log, wiring.InitOptions{AdminEmail: AdminEmail, AdminPassword: AdminPassword, Options: opts}); err != nil {
			t.Fatalf("initialize: %v", err)
		}
	}
	a, err := wiring.Open(ctx, cfg, log, opts)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return &TestApp{App: a, Dir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Options: o}
}

// System returns a context acting as the system actor.
func (a *TestApp) System() context.Context {
	return a.SystemContext(context.Background())
}

// CreateUser creates a user with role (and team) through the service and
// returns it; the password is the email reversed plus a suffix, so tests
// can sign in without bookkeeping (see PasswordFor).
func (a *TestApp) CreateUser(t testing.TB, email, role string, team domain.ID) *domain.User {
	t.Helper()
	u, err := a.Identity.CreateUser(a.System(), &identity.UserInput{
		Email: email, Password: PasswordFor(email), Role: role, DisplayName: email, TeamID: team,
	})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// CreateServiceAccount creates a service account (no password) with role.
func (a *TestApp) CreateServiceAccount(t testing.TB, email, role string) *domain.User {
	t.Helper()
	u, err := a.Identity.CreateUser(a.System(), &identity.UserInput{
		Email: email, Role: role, DisplayName: email, Kind: domain.UserService,
	})
	if err != nil {
		t.Fatalf("create service account %s: %v", email, err)
	}
	return u
}

// UpdateRole changes a stored role directly (as an administrator would
// through the API), e.g. to require MFA or shorten its timeouts.
func (a *TestApp) UpdateRole(t testing.TB, name string, change func(r *domain.Role)) {
	t.Helper()
	r, err := a.Store.Users.GetRole(context.Background(), name)
	if err != nil {
		t.Fatalf("role %s: %v", name, err)
	}
	change(r)
	if err := a.Store.Users.UpdateRole(context.Background(), r); err != nil {
		t.Fatalf("update role %s: %v", name, err)
	}
}

// PasswordFor returns the password CreateUser gave email.
func PasswordFor(email string) string { return "pw-" + email + "-0123456789" }

// CreateTeam creates a team.
func (a *TestApp) CreateTeam(t testing.TB, name string) domain.ID {
	t.Helper()
	id, err := a.Identity.CreateTeam(a.System(), name)
	if err != nil {
		t.Fatalf("create team: %v", err)
	}
	return id
}

// ActAs returns a context acting as the user with email (signing in
// through the identity service).
func (a *TestApp) ActAs(t testing.TB, email string) context.Context {
	t.Helper()
	pw := PasswordFor(email)
	if email == AdminEmail {
		pw = AdminPassword
	}
	res, err := a.Identity.Login(context.Background(), email, pw)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	if res.MFA != nil {
		t.Fatalf("login %s: the user has a second factor; sign in with the API helpers instead", email)
	}
	actor, err := a.Identity.Authenticate(context.Background(), res.Token)
	if err != nil {
		t.Fatalf("authenticate %s: %v", email, err)
	}
	return domain.WithActor(context.Background(), actor)
}

// Logger returns a logger writing to the test log (debug level when
// CUSTOS_TEST_VERBOSE is set).
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("CUSTOS_TEST_VERBOSE") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}

// RecordsWithAuditor returns a records service over a's database that
// records audit events with aud instead of a's recorder (tests of the
// fail-closed paths, benchmarks without audit).
func (a *TestApp) RecordsWithAuditor(aud domain.Auditor) *records.Service {
	return records.New(records.Deps{
		Customers:  a.Store.Customers,
		Activities: a.Store.Activities,
		Imports:    a.Store.Customers,
		ImportJobs: a.Store.Imports,
		// Imported contacts and deals.
		ActivityImports: a.Store.Activities,
		Directory:       a.Store.Users,
		Audit:           aud,
		Shredder:        a.Keys,
		Checker:         a.Store.Customers,
		Limiter:         a.Store.RateLimits,
		Duplicates:      a.Store.Customers,
	}, records.Options{Log: a.Log})
}

// OpenStore opens a second handle on a's database, without keys, as
// another node would; it is closed when the test ends.
func OpenStore(t testing.TB, a *TestApp) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{SQLitePath: a.Config.SQLitePath(), DatabaseURL: a.DatabaseURL})
	if err != nil {
		t.Fatalf("open a second store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
