// Package config holds Custos's typed configuration: one struct, filled
// from command-line flags and CUSTOS_* environment variables (flags win),
// validated once and passed down. There is no global configuration.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything a Custos process can be told.
type Config struct {
	// DataDir holds the SQLite database, the master key file (by default)
	// and the TLS certificate.
	DataDir string
	// Addr is the HTTPS listen address.
	Addr string
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite
	// in DataDir.
	DatabaseURL string
	// TLSCert and TLSKey override the self-signed certificate in DataDir.
	TLSCert string
	TLSKey  string
	// MasterKeyFile is the master key file (default DataDir/master.key).
	// Production deployments keep it off the data disk.
	MasterKeyFile string

	// MasterKeyProvider selects where master keys live: "file" (the
	// default), "passphrase" or "pkcs11".
	MasterKeyProvider string
	// PassphraseKeyFile holds the argon2id salt, parameters and key-check
	// values of the passphrase provider (default DataDir/master.passphrase).
	PassphraseKeyFile string
	// MasterPassphraseFile names a file whose first line is the
	// passphrase; otherwise CUSTOS_MASTER_PASSPHRASE, otherwise a prompt.
	MasterPassphraseFile string
	// MasterPassphrase is loaded by LoadSecrets, never from a flag.
	MasterPassphrase string `json:"-"`

	// PKCS#11: module library, token label, label prefix of Custos's
	// objects, and a file holding the PIN (else CUSTOS_PKCS11_PIN).
	PKCS11Module   string
	PKCS11Token    string
	PKCS11KeyLabel string
	PKCS11PINFile  string
	// PKCS11PIN is loaded by LoadSecrets, never from a flag.
	PKCS11PIN string `json:"-"`

	// KeyRefresh is how often a running process re-reads key state (the
	// active master key version, index keys, the erasure tree), so a
	// rotation or erasure made elsewhere takes effect within it.
	KeyRefresh time.Duration
	// MasterKeyRotationDays and IndexKeyRotationDays are the rotation
	// policy key status reports against.
	MasterKeyRotationDays int
	IndexKeyRotationDays  int

	LogLevel  string // debug, info, warn, error
	LogFormat string // json or text

	MaxBodyBytes int64
	// MaxImportBytes is the largest import upload (POST
	// /api/v1/imports/{kind}), beyond MaxBodyBytes.
	MaxImportBytes int64

	// Argon2id parameters for password hashing.
	Argon2MemoryKiB   uint
	Argon2Iterations  uint
	Argon2Parallelism uint
	// HashConcurrency bounds simultaneous password hashes (0: CPUs).
	HashConcurrency int

	// StepUpWindow is how long after signing in or stepping up a user may
	// take sensitive actions (reveal, export, role and key changes…).
	StepUpWindow time.Duration
	// WebAuthnRPID is the relying party id passkeys are bound to: the
	// domain users reach Custos at.
	WebAuthnRPID string
	// WebAuthnOrigins are the origins (scheme://host[:port]) browsers
	// report for Custos, comma-separated.
	WebAuthnOrigins string

	// DataKeyCacheSize bounds how many unwrapped data keys are cached.
	DataKeyCacheSize int

	// PprofAddr, when set, serves Go's profiling endpoints on this
	// loopback address (off by default).
	PprofAddr string
	// Audit log: how often the sequencer integrates events and signs
	// checkpoints, where checkpoints are anchored off the box, and where
	// events are shipped for a SIEM.
	AuditSequenceInterval   time.Duration
	AuditCheckpointInterval time.Duration
	AuditAnchorFile         string
	AuditAnchorURL          string
	AuditShipJSONL          string // file path, or "-" for stdout
	AuditShipSyslog         string // tcp://host:port or tls://host:port
	AuditShipSyslogCA       string // CA bundle for tls:// (default: system roots)

	// SQLiteSynchronous is FULL (every commit is fsynced; group commit
	// keeps it cheap) or NORMAL (commits survive a crash of Custos, not of
	// the machine).
	SQLiteSynchronous string
	// MaskedLookupsPerHour bounds each user's exact lookups by a value
	// their role sees masked (see records.Options.MaskedLookupRate).
	MaskedLookupsPerHour int
	// DuplicateChecksPerHour bounds each user's duplicate answers: creates
	// that repeat another customer's identifier or company name (see
	// records.Options.DuplicateCheckRate).
	DuplicateChecksPerHour int
	// PoolReturnInterval is how often this node offers to run the pool's
	// automatic return (one node at a time runs it); 0 turns it off here.
	PoolReturnInterval time.Duration
	// MinFreeDiskMB is the free space SQLite keeps on the data volume:
	// below it the WAL is checkpointed and truncated, and writes are
	// refused (503 store_unavailable) while that does not help. 0: off.
	MinFreeDiskMB int
}

// Defaults returns the configuration a fresh install runs with: secure
// without tuning.
func Defaults() Config {
	return Config{
		Addr:                 "localhost:8443",
		LogLevel:             "info",
		LogFormat:            "json",
		MaxBodyBytes:         1 << 20,
		MaxImportBytes:       256 << 20,
		Argon2MemoryKiB:      19 * 1024,
		Argon2Iterations:     2,
		Argon2Parallelism:    1,
		DataKeyCacheSize:     250000,
		SQLiteSynchronous:    "FULL",
		MinFreeDiskMB:        64,
		MaskedLookupsPerHour: 120,

		DuplicateChecksPerHour: 30,
		PoolReturnInterval:     15 * time.Minute,

		MasterKeyProvider:       "file",
		PKCS11KeyLabel:          "custos",
		KeyRefresh:              2 * time.Second,
		MasterKeyRotationDays:   365,
		IndexKeyRotationDays:    730,
		StepUpWindow:            5 * time.Minute,
		WebAuthnRPID:            "localhost",
		WebAuthnOrigins:         "https://localhost:8443",
		AuditSequenceInterval:   time.Second,
		AuditCheckpointInterval: time.Minute,
	}
}

// Flag groups, so each command registers only what it uses.
const (
	FlagData = 1 << iota
	FlagServe
	FlagDatabase
	FlagKeys
	FlagLog
	FlagAudit
)

// Register binds c's fields in the given groups to flags on fs. Each
// flag's usage names its environment variable (see EnvName).
func (c *Config) Register(fs *flag.FlagSet, groups int) {
	before := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { before[f.Name] = true })
	defer fs.VisitAll(func(f *flag.Flag) {
		if !before[f.Name] {
			f.Usage += " [" + EnvName(f.Name) + "]"
		}
	})
	if groups&FlagData != 0 {
		fs.StringVar(&c.DataDir, "data", c.DataDir, "data `directory` (database, keys, TLS certificate)")
	}
	if groups&FlagDatabase != 0 {
		fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL `URL` (postgres://…); default: SQLite in the data directory")
		fs.StringVar(&c.SQLiteSynchronous, "sqlite-synchronous", c.SQLiteSynchronous, "SQLite durability: FULL or NORMAL")
		fs.IntVar(&c.MinFreeDiskMB, "min-free-disk-mb", c.MinFreeDiskMB, "SQLite: free space to keep on the data volume, MiB; below it the WAL is truncated and writes refused (0: off)")
	}
	if groups&FlagKeys != 0 {
		fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "master key `file` (default DATA/master.key; keep it off the data disk in production)")
		fs.IntVar(&c.DataKeyCacheSize, "data-key-cache", c.DataKeyCacheSize, "how many unwrapped data keys to cache")
		fs.StringVar(&c.MasterKeyProvider, "master-key-provider", c.MasterKeyProvider, "where master keys live: file, passphrase or pkcs11")
		fs.StringVar(&c.PassphraseKeyFile, "passphrase-key-file", c.PassphraseKeyFile, "passphrase provider: salt and key-check `file` (default DATA/master.passphrase)")
		fs.StringVar(&c.MasterPassphraseFile, "master-passphrase-file", c.MasterPassphraseFile, "passphrase provider: read the passphrase from `file` (first line); else CUSTOS_MASTER_PASSPHRASE, else a prompt")
		fs.StringVar(&c.PKCS11Module, "pkcs11-module", c.PKCS11Module, "PKCS#11: the token's module `library` (e.g. /usr/lib/softhsm/libsofthsm2.so)")
		fs.StringVar(&c.PKCS11Token, "pkcs11-token", c.PKCS11Token, "PKCS#11: token `label`")
		fs.StringVar(&c.PKCS11KeyLabel, "pkcs11-key-label", c.PKCS11KeyLabel, "PKCS#11: label prefix of Custos's keys on the token")
		fs.StringVar(&c.PKCS11PINFile, "pkcs11-pin-file", c.PKCS11PINFile, "PKCS#11: read the user PIN from `file` (first line); else CUSTOS_PKCS11_PIN")
		fs.DurationVar(&c.KeyRefresh, "key-refresh", c.KeyRefresh, "how often to pick up key changes made by other processes")
		fs.IntVar(&c.MasterKeyRotationDays, "master-key-rotation-days", c.MasterKeyRotationDays, "rotation policy for the master key, in days")
		fs.IntVar(&c.IndexKeyRotationDays, "index-key-rotation-days", c.IndexKeyRotationDays, "rotation policy for the blind-index key, in days")
	}
	if groups&FlagServe != 0 {
		fs.StringVar(&c.Addr, "addr", c.Addr, "HTTPS listen `host:port`")
		fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "TLS certificate `file` (PEM, the full chain; reloaded on SIGHUP); default: the self-signed one in the data directory")
		fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "TLS private key `file` (PEM, mode 0600)")
		fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest request body accepted")
		fs.Int64Var(&c.MaxImportBytes, "max-import-bytes", c.MaxImportBytes, "largest import file uploaded through the API")
		fs.UintVar(&c.Argon2MemoryKiB, "argon2-memory-kib", c.Argon2MemoryKiB, "argon2id memory per password hash, KiB (minimum 19456)")
		fs.UintVar(&c.Argon2Iterations, "argon2-iterations", c.Argon2Iterations, "argon2id iterations (minimum 2)")
		fs.UintVar(&c.Argon2Parallelism, "argon2-parallelism", c.Argon2Parallelism, "argon2id parallelism (minimum 1)")
		fs.IntVar(&c.HashConcurrency, "hash-concurrency", c.HashConcurrency, "most password hashes at once; 0 means the number of CPUs")
		fs.StringVar(&c.PprofAddr, "pprof-addr", c.PprofAddr, "serve Go profiling endpoints on this loopback `host:port` (off by default)")
		fs.DurationVar(&c.StepUpWindow, "step-up-window", c.StepUpWindow, "how long a sign-in or step-up counts as fresh for sensitive actions (1m–1h)")
		fs.StringVar(&c.WebAuthnRPID, "webauthn-rp-id", c.WebAuthnRPID, "passkey relying party id: the `domain` users reach Custos at")
		fs.IntVar(&c.MaskedLookupsPerHour, "masked-lookups-per-hour", c.MaskedLookupsPerHour, "exact lookups per user and hour by a value the user's role sees masked (phone, email; up to 20 at once)")
		fs.StringVar(&c.WebAuthnOrigins, "webauthn-origins", c.WebAuthnOrigins, "comma-separated `origins` browsers report for Custos (https://host[:port])")
		fs.IntVar(&c.DuplicateChecksPerHour, "duplicate-checks-per-hour", c.DuplicateChecksPerHour, "creates per user and hour that may match an existing customer's phone, email, ID number, tax id or company name (up to 10 at once)")
		fs.DurationVar(&c.PoolReturnInterval, "pool-return-interval", c.PoolReturnInterval, "how often to run the customer pool's automatic return (one node at a time; 0: not on this node)")
	}
	if groups&FlagAudit != 0 {
		fs.DurationVar(&c.AuditSequenceInterval, "audit-sequence-interval", c.AuditSequenceInterval, "how often new audit events are integrated into the Merkle log")
		fs.DurationVar(&c.AuditCheckpointInterval, "audit-checkpoint-interval", c.AuditCheckpointInterval, "how often a grown audit log is signed and anchored")
		fs.StringVar(&c.AuditAnchorFile, "audit-anchor-file", c.AuditAnchorFile, "append signed audit checkpoints to this `file` (keep it off the data disk); checked at start-up")
		fs.StringVar(&c.AuditAnchorURL, "audit-anchor-url", c.AuditAnchorURL, "POST signed audit checkpoints to this https `URL`")
		fs.StringVar(&c.AuditShipJSONL, "audit-ship-jsonl", c.AuditShipJSONL, "ship audit events as ECS JSON lines to this `file` ('-' for stdout)")
		fs.StringVar(&c.AuditShipSyslog, "audit-ship-syslog", c.AuditShipSyslog, "ship audit events as RFC 5424 syslog to tcp://host:port or tls://host:port")
		fs.StringVar(&c.AuditShipSyslogCA, "audit-ship-syslog-ca", c.AuditShipSyslogCA, "CA bundle `file` (PEM) trusted for tls:// syslog; default: the system roots")
	}
	if groups&FlagLog != 0 {
		fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
		fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: json or text")
	}
}

// EnvName is the environment variable that sets flag name:
// CUSTOS_ and the name in upper case, dashes as underscores.
func EnvName(name string) string {
	return "CUSTOS_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// ApplyEnv sets every flag not given on the command line from its
// CUSTOS_* environment variable (getenv is os.Getenv outside tests).
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		env := EnvName(f.Name)
		if v := getenv(env); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	return errors.Join(errs...)
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate(groups int) error {
	if groups&FlagData != 0 {
		if c.DataDir == "" {
			return errors.New("--data is required")
		}
		abs, err := filepath.Abs(c.DataDir)
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		c.DataDir = abs
	}
	if groups&FlagKeys != 0 {
		if c.MasterKeyFile == "" {
			c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
		}
		if c.DataKeyCacheSize < 1 {
			return errors.New("--data-key-cache must be at least 1")
		}
		if err := c.validateKeys(); err != nil {
			return err
		}
	}
	if groups&FlagDatabase != 0 {
		if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			return errors.New("--database-url must start with postgres:// or postgresql://")
		}
		if c.MinFreeDiskMB < 0 || c.MinFreeDiskMB > 1<<20 {
			return errors.New("--min-free-disk-mb must be between 0 and 1048576")
		}
		switch strings.ToUpper(c.SQLiteSynchronous) {
		case "FULL", "NORMAL":
			c.SQLiteSynchronous = strings.ToUpper(c.SQLiteSynchronous)
		default:
			return errors.New("--sqlite-synchronous must be FULL or NORMAL")
		}
	}
	if groups&FlagServe != 0 {
		if c.MaskedLookupsPerHour < 1 || c.MaskedLookupsPerHour > 100000 {
			return errors.New("--masked-lookups-per-hour must be between 1 and 100000")
		}
		if c.DuplicateChecksPerHour < 1 || c.DuplicateChecksPerHour > 100000 {
			return errors.New("--duplicate-checks-per-hour must be between 1 and 100000")
		}
		if c.PoolReturnInterval != 0 && (c.PoolReturnInterval < time.Minute || c.PoolReturnInterval > 24*time.Hour) {
			return errors.New("--pool-return-interval must be 0 (off) or from 1m to 24h")
		}
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return fmt.Errorf("--addr %q: want host:port", c.Addr)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("--addr %q: bad port", c.Addr)
		}
		_ = host
		if (c.TLSCert == "") != (c.TLSKey == "") {
			return errors.New("--tls-cert and --tls-key go together")
		}
		if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1<<30 {
			return errors.New("--max-body-bytes must be between 1 KiB and 1 GiB")
		}
		if c.MaxImportBytes < 1024 || c.MaxImportBytes > 16<<30 {
			return errors.New("--max-import-bytes must be between 1 KiB and 16 GiB")
		}
		if c.Argon2MemoryKiB < 19*1024 || c.Argon2Iterations < 2 || c.Argon2Parallelism < 1 || c.Argon2Parallelism > 255 {
			return errors.New("argon2id parameters below OWASP's minimum (m=19456 KiB, t=2, p=1) are refused")
		}
		if c.Argon2MemoryKiB > 4<<20 {
			return errors.New("--argon2-memory-kib above 4 GiB is refused")
		}
		if c.PprofAddr != "" {
			host, _, err := net.SplitHostPort(c.PprofAddr)
			if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
				return errors.New("--pprof-addr must be a loopback host:port (profiles expose internals)")
			}
		}
		if c.HashConcurrency < 0 {
			return errors.New("--hash-concurrency must not be negative")
		}
		if c.StepUpWindow < time.Minute || c.StepUpWindow > time.Hour {
			return errors.New("--step-up-window must be from 1m to 1h")
		}
		if err := c.validateWebAuthn(); err != nil {
			return err
		}
	}
	if groups&FlagAudit != 0 {
		if err := c.validateAudit(); err != nil {
			return err
		}
	}
	if groups&FlagLog != 0 {
		if _, err := c.SlogLevel(); err != nil {
			return err
		}
		if c.LogFormat != "json" && c.LogFormat != "text" {
			return errors.New("--log-format must be json or text")
		}
	}
	return nil
}

// Origins returns the WebAuthn origins as a list.
func (c *Config) Origins() []string {
	var out []string
	for _, o := range strings.Split(c.WebAuthnOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (c *Config) validateWebAuthn() error {
	id := c.WebAuthnRPID
	if id == "" || strings.ContainsAny(id, ":/ ") || strings.HasPrefix(id, ".") || strings.HasSuffix(id, ".") {
		return fmt.Errorf("--webauthn-rp-id %q: want a domain such as crm.example.com", id)
	}
	origins := c.Origins()
	if len(origins) == 0 {
		return errors.New("--webauthn-origins: give at least one origin")
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || (u.Scheme != "https" && !(u.Scheme == "http" && u.Hostname() == "localhost")) {
			return fmt.Errorf("--webauthn-origins: %q is not an origin like https://crm.example.com", o)
		}
		if h := u.Hostname(); h != id && !strings.HasSuffix(h, "."+id) {
			return fmt.Errorf("--webauthn-origins: %q is not on the relying party domain %s", o, id)
		}
	}
	return nil
}

// SlogLevel parses LogLevel.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// SQLitePath is the database file in the data directory.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "custos.db") }

// TLSPaths returns the certificate and key to serve.
func (c *Config) TLSPaths() (cert, key string) {
	if c.TLSCert != "" {
		return c.TLSCert, c.TLSKey
	}
	return filepath.Join(c.DataDir, "tls", "cert.pem"), filepath.Join(c.DataDir, "tls", "key.pem")
}

// NewLogger builds the process logger writing to w.
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	lvl, _ := c.SlogLevel()
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
