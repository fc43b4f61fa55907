package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/custoscrm/custos/internal/vault"
)

// Dialect is the SQL database in use.
type Dialect int

// Supported dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Options configure Open.
type Options struct {
	// SQLitePath is the database file (used when DatabaseURL is empty).
	SQLitePath string
	// DatabaseURL is a postgres:// URL; it selects PostgreSQL.
	DatabaseURL string
	// Vault seals and opens field values; required for record access.
	Vault *vault.Vault
	// Index computes blind indexes; LoadIndexKeys fills it.
	Index *vault.BlindIndex
	// Now is the clock (defaults to time.Now).
	Now func() time.Time
	// Logger receives operational messages (never personal data).
	Logger *slog.Logger
	// ReadConns bounds the reader pool (default 2×CPUs, at least 4).
	ReadConns int
	// MaxBatch bounds how many writes share one SQLite transaction.
	MaxBatch int
	// SynchronousFull makes every SQLite commit fsync the WAL (default
	// true via Open's caller): group commit keeps that cheap.
	SynchronousNormal bool
	// DiskReserve is the free space (bytes) SQLite keeps on the data
	// volume: below it the WAL is checkpointed and truncated, and writes
	// are refused (store_unavailable) while that does not help. Zero
	// turns the guard off.
	DiskReserve uint64
	// FreeSpace reports the free bytes of the volume holding a directory
	// (default: statfs).
	FreeSpace func(dir string) (uint64, error)
}

// DB is an open database: the connection pools, the dialect, the
// group-committing writer and (SQLite) the audit queue, with the vault and
// blind index that seal and index values at this boundary. The capability
// stores (customers.go, users.go, auditlog.go, …) are views of one DB.
type DB struct {
	roleCache   roleCache
	importIndex importIndexes // entries of running imports, written in key order

	dialect Dialect
	reader  *sql.DB
	writer  *sql.DB
	batch   *batcher    // SQLite only
	queue   *auditQueue // SQLite only
	pool    *pgxpool.Pool

	vault *vault.Vault
	index *vault.BlindIndex
	now   func() time.Time
	log   *slog.Logger

	rebound sync.Map // query with ? → query with $n

	refreshMu sync.Mutex // serializes IndexKeys.RefreshIndexKeys

	leaseMu   sync.Mutex
	leaseConn *pgx.Conn // PostgreSQL: kept for the next sequencer-lease try

	health writeHealth
	guard  *diskGuard // SQLite only
}

var registerOnce sync.Once

const sqliteDriver = "custos_sqlite3"

func registerSQLite() {
	registerOnce.Do(func() {
		sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{
			ConnectHook: func(c *sqlite3.SQLiteConn) error {
				for _, p := range []string{
					"PRAGMA busy_timeout = 10000",
					"PRAGMA foreign_keys = ON",
					"PRAGMA temp_store = MEMORY",
					// Overwrite deleted and replaced content with zeros
					// where that costs no extra I/O: a value moved from its
					// clear column to its sealed one (custos data seal)
					// leaves no copy in the page's free space.
					"PRAGMA secure_delete = FAST",
					// No memory map: mapped file pages count as the
					// process's resident memory, and the page cache below
					// bounds it instead.
					"PRAGMA mmap_size = 0",
					// Checkpoint the WAL every 10,000 pages rather than
					// 1,000: a page dirtied by many commits is copied to
					// the database once (creates cost ~18% less CPU), and
					// the WAL file is truncated back to 64 MiB after.
					"PRAGMA wal_autocheckpoint = 10000",
					"PRAGMA journal_size_limit = 67108864",
				} {
					if _, err := c.Exec(p, nil); err != nil {
						return fmt.Errorf("%s: %w", p, err)
					}
				}
				return nil
			},
		})
	})
}

// Open connects to the database named by opts and applies pending
// migrations. It does not load keys; see IndexKeys.LoadIndexKeys.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &DB{vault: opts.Vault, index: opts.Index, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.health.log = s.log
	readConns := opts.ReadConns
	if readConns <= 0 {
		readConns = max(4, 2*runtime.NumCPU())
	}
	var err error
	if opts.DatabaseURL != "" {
		err = s.openPostgres(ctx, opts.DatabaseURL, readConns)
	} else {
		err = s.openSQLite(ctx, opts, readConns)
	}
	if err != nil {
		return nil, err
	}
	if err := s.verifyKeys(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	st := newStore(s)
	if s.queue != nil {
		tree, err := st.AuditLog.AuditTree(ctx)
		if err == nil {
			err = s.queue.ensureAfter(ctx, tree.QueueCursor)
		}
		if err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return st, nil
}

func (s *DB) openSQLite(ctx context.Context, opts Options, readConns int) error {
	registerSQLite()
	if opts.SQLitePath == "" {
		return errors.New("store: no SQLite path and no database URL")
	}
	if err := os.MkdirAll(filepath.Dir(opts.SQLitePath), 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	sync := "FULL"
	if opts.SynchronousNormal {
		sync = "NORMAL"
	}
	// _stmt_cache_size keeps prepared statements per connection: preparing
	// costs more than running most of our queries.
	base := "file:" + opts.SQLitePath + "?_journal_mode=WAL&_stmt_cache_size=256&_synchronous=" + sync
	// Page caches: 64 MiB for the one writer (index pages of large
	// inserts), 16 MiB for each reader.
	w, err := sql.Open(sqliteDriver, base+"&_txlock=immediate&_cache_size=-65536")
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return fmt.Errorf("store: open sqlite %s: %w", opts.SQLitePath, err)
	}
	if err := os.Chmod(opts.SQLitePath, 0o600); err != nil {
		_ = w.Close()
		return fmt.Errorf("store: %w", err)
	}
	r, err := sql.Open(sqliteDriver, base+"&_query_only=1&_cache_size=-16384")
	if err != nil {
		_ = w.Close()
		return fmt.Errorf("store: open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	r.SetConnMaxIdleTime(0)
	s.dialect = SQLite
	s.writer, s.reader = w, r
	maxBatch := opts.MaxBatch
	if maxBatch <= 0 {
		maxBatch = 256
	}
	s.batch = newBatcher(w, maxBatch, s.log)
	if opts.DiskReserve > 0 {
		free := opts.FreeSpace
		if free == nil {
			free = statfsFree
		}
		s.guard = &diskGuard{dir: filepath.Dir(opts.SQLitePath), reserve: opts.DiskReserve, free: free, log: s.log,
			checkpoint: s.checkpointWAL}
	}
	if s.queue, err = openAuditQueue(ctx, opts.SQLitePath, sync, maxBatch, s.log); err != nil {
		s.batch.close()
		_ = r.Close()
		_ = w.Close()
		return err
	}
	return nil
}

func (s *DB) openPostgres(ctx context.Context, url string, conns int) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("store: parse database URL: %s", redactURLError(err))
	}
	if want := int32(min(conns, 1000)); cfg.MaxConns < want { //nolint:gosec // bounded on the line itself
		cfg.MaxConns = want
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: connect to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("store: connect to postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	db.SetMaxOpenConns(int(cfg.MaxConns))
	db.SetMaxIdleConns(int(cfg.MaxConns))
	s.dialect = Postgres
	s.pool = pool
	s.reader, s.writer = db, db
	return nil
}

// redactURLError keeps a password in a malformed URL out of the message.
func redactURLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "malformed database URL"
	}
	return msg
}

// Dialect returns the database in use.
func (s *DB) Dialect() Dialect { return s.dialect }

// Close flushes pending writes and closes the database.
func (s *DB) Close() error {
	s.closeLeaseConn()
	if s.batch != nil {
		s.batch.close()
	}
	var errs []error
	if s.queue != nil {
		errs = append(errs, s.queue.close())
	}
	if s.reader != nil && s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	if s.pool != nil {
		s.pool.Close()
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (s *DB) Ping(ctx context.Context) error {
	return s.reader.PingContext(ctx)
}

// q rewrites a query written with ? placeholders for the dialect.
func (s *DB) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	inStr := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '\'' {
			inStr = !inStr
		}
		if c == '?' && !inStr {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	s.rebound.Store(query, out)
	return out
}

// Tx is a write transaction. Its methods take queries written with ?
// placeholders.
type Tx struct {
	tx *sql.Tx
	s  *DB
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.s.q(query), args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.s.q(query), args...)
}

// QueryRow runs a single-row query in the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.s.q(query), args...)
}

// Write runs fn in a write transaction. On SQLite, writes from many
// goroutines are group-committed by one writer: they share one
// transaction, one commit and one fsync; if any fn fails, the batch is
// rolled back and each fn runs again in a transaction of its own, so a
// failing fn never takes the others with it. Write returns once the
// transaction holding fn's changes is durable, or with fn's error. fn may
// therefore run more than once (on PostgreSQL too: serialization retries)
// and must not have side effects outside the transaction.
//
// A write the database cannot take now (a full disk, a lost connection)
// fails with store_unavailable and changes nothing; see db_faults.go.
func (s *DB) Write(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := s.guard.check(time.Now()); err != nil {
		return s.health.record(err)
	}
	if s.batch != nil {
		return s.health.record(s.batch.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return fn(ctx, &Tx{tx: tx, s: s})
		}))
	}
	for attempt := 0; ; attempt++ {
		err := s.writePostgres(ctx, fn)
		if err == nil || attempt >= 4 || !isRetryable(err) {
			return s.health.record(err)
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
}

// checkpointWAL copies the WALs (database and audit queue) into their
// database files and truncates them, giving their space back.
func (s *DB) checkpointWAL() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := []error{}
	if _, err := s.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		errs = append(errs, err)
	}
	if s.queue != nil {
		if _, err := s.queue.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *DB) writePostgres(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, &Tx{tx: tx, s: s}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// queryRow runs a single-row read on the reader pool.
func (s *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.reader.QueryRowContext(ctx, s.q(query), args...)
}

// query runs a read on the reader pool.
func (s *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.reader.QueryContext(ctx, s.q(query), args...)
}

// fromMicros converts a stored time back.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// nullString stores "" as NULL (for optional references).
func nullString[T ~string](v T) any {
	if v == "" {
		return nil
	}
	return string(v)
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }

// queryAll runs a read on the reader pool and scans every row with scan.
func queryAll[T any](ctx context.Context, s *DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
