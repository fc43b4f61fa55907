package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// On SQLite, events recorded on their own (reads of personal data,
// through AppendAudit) are made durable in a separate small database file
// beside the main one, the audit queue, rather than in audit_pending.
// Every commit to a SQLite database makes every reader connection drop
// its cached pages on its next read; auditing every read would otherwise
// commit to the main database as often as it is read and make each read
// slower. Commits to the queue leave the main database's readers alone.
// Events written with a change (insertAudit) stay in the main database,
// in the change's transaction.
//
// The sequencer integrates queued events like pending ones. Moving them
// spans two databases, so the main database records how far the queue
// has been integrated (audit_tree.queue_cursor) in the same transaction
// as the entries; queued rows at or below the cursor are deleted
// afterwards and are never integrated twice, even after a crash.
type auditQueue struct {
	path  string
	db    *sql.DB
	batch *batcher
}

// AuditQueuePath returns the audit queue file of a SQLite database.
func AuditQueuePath(sqlitePath string) string {
	return strings.TrimSuffix(sqlitePath, ".db") + "-audit-queue.db"
}

func openAuditQueue(ctx context.Context, sqlitePath, syncMode string, maxBatch int, log *slog.Logger) (*auditQueue, error) {
	q := &auditQueue{path: AuditQueuePath(sqlitePath)}
	db, err := sql.Open(sqliteDriver, "file:"+q.path+"?_journal_mode=WAL&_synchronous="+syncMode+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open audit queue: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// Ids must never be reused, as the cursor in the main database skips
	// everything at or below it: trim always keeps the newest row, and
	// ensureAfter plants one at the cursor, so the next id (the largest
	// plus one) always lies above the cursor. (AUTOINCREMENT would do the
	// same at the price of a second page written by every commit.)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS audit_queue (
		id            INTEGER PRIMARY KEY,
		time          INTEGER NOT NULL,
		actor_user    TEXT    NOT NULL DEFAULT '',
		actor_session TEXT    NOT NULL DEFAULT '',
		actor_token   TEXT    NOT NULL DEFAULT '',
		actor_device  TEXT    NOT NULL DEFAULT '',
		source_ip     TEXT    NOT NULL DEFAULT '',
		user_agent    TEXT    NOT NULL DEFAULT '',
		request_id    TEXT    NOT NULL DEFAULT '',
		action        TEXT    NOT NULL,
		target_type   TEXT    NOT NULL DEFAULT '',
		target_id     TEXT    NOT NULL DEFAULT '',
		target_ids    TEXT    NOT NULL DEFAULT '',
		fields        TEXT    NOT NULL DEFAULT '',
		outcome       TEXT    NOT NULL,
		reason        TEXT    NOT NULL DEFAULT ''
	)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open audit queue %s: %w", q.path, err)
	}
	if err := os.Chmod(q.path, 0o600); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	q.db = db
	q.batch = newBatcher(db, maxBatch, log)
	return q, nil
}

func (q *auditQueue) close() error {
	q.batch.close()
	return q.db.Close()
}

// append makes evs durable in the queue in one transaction.
func (q *auditQueue) append(ctx context.Context, evs []*domain.AuditEvent) error {
	return q.batch.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertEvents(ctx, "audit_queue", evs, func(query string, args ...any) error {
			_, err := tx.ExecContext(ctx, query, args...)
			return err
		})
	})
}

// pending returns up to limit queued events after cursor, oldest first.
func (q *auditQueue) pending(ctx context.Context, cursor int64, limit int) ([]domain.PendingAuditEvent, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, `+auditColumns+` FROM audit_queue WHERE id > ? ORDER BY id LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit queue: %w", err)
	}
	defer rows.Close()
	return scanPending(rows, true)
}

// count returns how many queued events lie after cursor.
func (q *auditQueue) count(ctx context.Context, cursor int64) (int64, error) {
	var n int64
	if err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_queue WHERE id > ?`, cursor).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit queue: %w", err)
	}
	return n, nil
}

// trim deletes queued events integrated up to cursor, except the newest
// row (see openAuditQueue).
func (q *auditQueue) trim(ctx context.Context, cursor int64) error {
	return q.batch.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_queue WHERE id <= ? AND id < (SELECT MAX(id) FROM audit_queue)`, cursor)
		return err
	})
}

// insertEvents inserts evs into table (audit_pending or audit_queue) in
// multi-row statements.
func insertEvents(ctx context.Context, table string, evs []*domain.AuditEvent, exec func(query string, args ...any) error) error {
	const per = 15
	const chunk = 60 // rows per statement, well under parameter limits
	for start := 0; start < len(evs); start += chunk {
		end := min(start+chunk, len(evs))
		var b strings.Builder
		b.WriteString(`INSERT INTO ` + table + ` (` + auditColumns + `) VALUES `)
		args := make([]any, 0, (end-start)*per)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, auditArgs(evs[i])...)
		}
		if err := exec(b.String(), args...); err != nil {
			return fmt.Errorf("insert audit events: %w", err)
		}
	}
	return nil
}

// ensureAfter makes the queue's next id larger than cursor, so a queue
// file that was lost or replaced can never hand out ids the main
// database already counts as integrated (they would be skipped): when
// the queue's largest id is below the cursor, it plants an empty row at
// the cursor (at or below the cursor, so never integrated).
func (q *auditQueue) ensureAfter(ctx context.Context, cursor int64) error {
	if cursor == 0 {
		return nil
	}
	return q.batch.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_queue (id, time, action, outcome)
			SELECT ?, 0, '', '' WHERE NOT EXISTS (SELECT 1 FROM audit_queue WHERE id >= ?)`, cursor, cursor); err != nil {
			return fmt.Errorf("audit queue: %w", err)
		}
		return nil
	})
}
