package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custoscrm/custos/internal/domain"
)

// auditSnapshot is a consistent read-only view of the whole audit log
// inside one read transaction (repeatable read on PostgreSQL).
type auditSnapshot struct {
	s  *AuditLog
	tx *sql.Tx
}

// ReadAuditSnapshot runs fn over a snapshot of the audit log.
func (s *AuditLog) ReadAuditSnapshot(ctx context.Context, fn func(ctx context.Context, snap domain.AuditSnapshot) error) error {
	var opts *sql.TxOptions
	if s.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.reader.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin audit snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(ctx, &auditSnapshot{s: s, tx: tx})
}

func (a *auditSnapshot) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return a.tx.QueryContext(ctx, a.s.q(query), args...)
}

// Tree returns the integrated size and root hash as recorded.
func (a *auditSnapshot) Tree(ctx context.Context) (domain.AuditTree, error) {
	var t domain.AuditTree
	var root []byte
	if err := a.tx.QueryRowContext(ctx, `SELECT size, root_hash, queue_cursor FROM audit_tree WHERE id = 1`).Scan(&t.Size, &root, &t.QueueCursor); err != nil {
		return t, fmt.Errorf("read audit tree: %w", err)
	}
	copy(t.Root[:], root)
	return t, nil
}

// Counts returns how many events are in the log and how many still wait
// for the sequencer.
func (a *auditSnapshot) Counts(ctx context.Context) (integrated, pending int64, err error) {
	var cursor int64
	err = a.tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit_events), (SELECT COUNT(*) FROM audit_pending),
		(SELECT queue_cursor FROM audit_tree WHERE id = 1)`).Scan(&integrated, &pending, &cursor)
	if err != nil {
		return 0, 0, fmt.Errorf("count audit events: %w", err)
	}
	if a.s.queue != nil {
		queued, err := a.s.queue.count(ctx, cursor)
		if err != nil {
			return 0, 0, err
		}
		pending += queued
	}
	return integrated, pending, nil
}

// Events calls fn for every event in the log in sequence order. fn may
// keep ev.
func (a *auditSnapshot) Events(ctx context.Context, fn func(ev *domain.AuditEvent) error) error {
	rows, err := a.query(ctx, `SELECT `+auditSelect+` FROM audit_events ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read audit events: %w", err)
	}
	defer rows.Close()
	var sc auditScanner
	dest := sc.dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read audit events: %w", err)
		}
		if err := fn(sc.event()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Hashes calls fn for every stored tree hash in index order. h is only
// valid during the call.
func (a *auditSnapshot) Hashes(ctx context.Context, fn func(idx int64, h []byte) error) error {
	rows, err := a.query(ctx, `SELECT idx, hash FROM audit_hashes ORDER BY idx`)
	if err != nil {
		return fmt.Errorf("read audit hashes: %w", err)
	}
	defer rows.Close()
	var idx int64
	var h sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&idx, &h); err != nil {
			return fmt.Errorf("read audit hashes: %w", err)
		}
		if err := fn(idx, h); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Checkpoints returns every stored checkpoint, smallest first.
func (a *auditSnapshot) Checkpoints(ctx context.Context) ([]*domain.AuditCheckpoint, error) {
	return a.s.auditCheckpoints(ctx, a.query, `ORDER BY size`)
}

// SigningKeys returns every stored checkpoint signing key, oldest first.
func (a *auditSnapshot) SigningKeys(ctx context.Context) ([]*domain.AuditSigningKey, error) {
	rows, err := a.query(ctx, `SELECT version, origin, verifier, kek_version, wrapped, created_at FROM audit_signing_keys ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read audit signing keys: %w", err)
	}
	defer rows.Close()
	var out []*domain.AuditSigningKey
	for rows.Next() {
		var k domain.AuditSigningKey
		var created int64
		if err := rows.Scan(&k.Version, &k.Origin, &k.Verifier, &k.KEKVersion, &k.Wrapped, &created); err != nil {
			return nil, fmt.Errorf("read audit signing keys: %w", err)
		}
		k.CreatedAt = fromMicros(nullInt(created))
		out = append(out, &k)
	}
	return out, rows.Err()
}

// sequencerLockKey is the PostgreSQL advisory lock held by the node that
// sequences the audit log.
const sequencerLockKey = 0x637573746f7361 // "custosa"

// sequencerLease is the right to sequence the audit log. On PostgreSQL it
// is a session advisory lock held on a connection of its own, outside
// the pool (database/sql keeps idle pool connections checked out, so a
// lease waiting on the pool could wait for ever), so exactly one node
// holds it and it is released if that node dies; on SQLite the single
// writer makes every process's integration safe, and the lease is always
// granted.
type sequencerLease struct {
	conn *pgx.Conn
}

// TrySequencerLease tries to become the sequencer. It returns nil without
// error when another node holds the lease. A node that tried and lost
// keeps its connection for the next try.
func (s *AuditLog) TrySequencerLease(ctx context.Context) (domain.SequencerLease, error) {
	if s.pool == nil {
		return &sequencerLease{}, nil
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	conn := s.leaseConn
	s.leaseConn = nil
	if conn == nil || conn.IsClosed() {
		var err error
		if conn, err = pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy()); err != nil {
			return nil, fmt.Errorf("sequencer lease: %w", err)
		}
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(sequencerLockKey)).Scan(&ok); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("sequencer lease: %w", err)
	}
	if !ok {
		s.leaseConn = conn
		return nil, nil
	}
	return &sequencerLease{conn: conn}, nil
}

// closeLeaseConn closes the connection kept for the next lease try.
func (s *DB) closeLeaseConn() {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if s.leaseConn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.leaseConn.Close(ctx)
		s.leaseConn = nil
	}
}

// Check reports an error when the lease is lost (its connection died).
func (l *sequencerLease) Check(ctx context.Context) error {
	if l == nil {
		return errors.New("no sequencer lease")
	}
	if l.conn == nil {
		return nil
	}
	return l.conn.Ping(ctx)
}

// Release gives the lease up: the lock is released with the connection.
func (l *sequencerLease) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.conn.Close(ctx) // ends the session, and with it the advisory lock
	l.conn = nil
}
