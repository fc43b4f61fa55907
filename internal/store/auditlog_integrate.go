package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/domain"
)

// domain.AuditTree returns the size and root hash of the integrated log.
func (s *AuditLog) AuditTree(ctx context.Context) (domain.AuditTree, error) {
	var t domain.AuditTree
	var root []byte
	if err := s.queryRow(ctx, `SELECT size, root_hash, queue_cursor FROM audit_tree WHERE id = 1`).Scan(&t.Size, &root, &t.QueueCursor); err != nil {
		return t, fmt.Errorf("read audit tree: %w", err)
	}
	if len(root) != tlog.HashSize {
		return t, fmt.Errorf("read audit tree: stored root hash has %d bytes", len(root))
	}
	copy(t.Root[:], root)
	return t, nil
}

// PendingAudit returns up to limit events not yet integrated after the
// queue cursor (from domain.AuditTree): those of audit_pending and of the audit
// queue, each source in insertion order, merged by time. Each source's
// share is a prefix of it.
func (s *AuditLog) PendingAudit(ctx context.Context, queueCursor int64, limit int) ([]domain.PendingAuditEvent, error) {
	main, err := s.pendingMain(ctx, limit)
	if err != nil || s.queue == nil {
		return main, err
	}
	queued, err := s.queue.pending(ctx, queueCursor, limit)
	if err != nil {
		return nil, err
	}
	out := make([]domain.PendingAuditEvent, 0, min(limit, len(main)+len(queued)))
	for len(out) < limit && (len(main) > 0 || len(queued) > 0) {
		if len(queued) == 0 || (len(main) > 0 && !main[0].Event.Time.After(queued[0].Event.Time)) {
			out, main = append(out, main[0]), main[1:]
		} else {
			out, queued = append(out, queued[0]), queued[1:]
		}
	}
	return out, nil
}

func (s *AuditLog) pendingMain(ctx context.Context, limit int) ([]domain.PendingAuditEvent, error) {
	rows, err := s.query(ctx, `SELECT id, `+auditColumns+` FROM audit_pending ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read pending audit events: %w", err)
	}
	defer rows.Close()
	return scanPending(rows, false)
}

// scanPending reads rows of id and auditColumns (from audit_pending, or
// from the queue when queued) as pending events.
func scanPending(rows *sql.Rows, queued bool) ([]domain.PendingAuditEvent, error) {
	var out []domain.PendingAuditEvent
	var sc auditScanner
	dest := sc.dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read pending audit events: %w", err)
		}
		ev := sc.event()
		out = append(out, domain.PendingAuditEvent{ID: ev.Seq, Queued: queued, Event: ev})
		ev.Seq = -1
	}
	return out, rows.Err()
}

// ReadAuditHashes reads stored tree hashes by index (a tlog.HashReader
// through AuditHashReader). A missing index is an error.
func (s *AuditLog) ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	return readHashes(ctx, s.query, indexes)
}

// AuditHashReader returns a tlog.HashReader over the stored hashes.
func (s *AuditLog) AuditHashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return s.ReadAuditHashes(ctx, indexes)
	})
}

type queryFunc func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

func readHashes(ctx context.Context, q queryFunc, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	args := make([]any, 0, len(indexes))
	for i, idx := range indexes {
		if _, ok := pos[idx]; !ok {
			args = append(args, idx)
		}
		pos[idx] = append(pos[idx], i)
	}
	found := 0
	for start := 0; start < len(args); start += 500 {
		part := args[start:min(start+500, len(args))]
		n, err := readHashChunk(ctx, q, part, pos, out)
		found += n
		if err != nil {
			return nil, fmt.Errorf("read audit hashes: %w", err)
		}
	}
	if found != len(args) {
		return nil, fmt.Errorf("read audit hashes: %d of %d stored hashes missing", len(args)-found, len(args))
	}
	return out, nil
}

// readHashChunk reads the stored hashes of indexes part into out at the
// positions pos gives, returning how many it found.
func readHashChunk(ctx context.Context, q queryFunc, part []any, pos map[int64][]int, out []tlog.Hash) (int, error) {
	rows, err := q(ctx, `SELECT idx, hash FROM audit_hashes WHERE idx IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, part...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return found, err
		}
		if len(h) != tlog.HashSize {
			return found, fmt.Errorf("hash %d has %d bytes", idx, len(h))
		}
		for _, i := range pos[idx] {
			copy(out[i][:], h)
		}
		found++
	}
	return found, rows.Err()
}

// IntegrateAudit applies a prepared batch in one transaction. It fails
// with domain.ErrAuditMoved, changing nothing, if the log is no longer at
// OldSize/OldRoot or an event is no longer pending, so two sequencers
// can never assign one position twice.
func (s *AuditLog) IntegrateAudit(ctx context.Context, b *domain.AuditBatch) error {
	if len(b.Pending) == 0 {
		return nil
	}
	newSize := b.OldSize + int64(len(b.Pending))
	if int64(len(b.Hashes)) != tlog.StoredHashCount(newSize)-tlog.StoredHashCount(b.OldSize) {
		return fmt.Errorf("store: audit batch of %d events carries %d hashes", len(b.Pending), len(b.Hashes))
	}
	cursor := b.OldQueueCursor
	for _, p := range b.Pending {
		if p.Queued {
			if p.ID <= cursor {
				return fmt.Errorf("store: audit batch takes queued events out of order")
			}
			cursor = p.ID
		}
	}
	now := s.now().UnixMicro()
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE audit_tree SET size = ?, root_hash = ?, updated_at = ?, queue_cursor = ?
			WHERE id = 1 AND size = ? AND root_hash = ? AND queue_cursor = ?`,
			newSize, b.NewRoot[:], now, cursor, b.OldSize, b.OldRoot[:], b.OldQueueCursor)
		if err != nil {
			return fmt.Errorf("advance audit tree: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domain.ErrAuditMoved
		}
		if err := s.moveToLog(ctx, tx, b); err != nil {
			return err
		}
		const chunk = 400
		first := tlog.StoredHashIndex(0, b.OldSize)
		for start := 0; start < len(b.Hashes); start += chunk {
			end := min(start+chunk, len(b.Hashes))
			var q strings.Builder
			q.WriteString(`INSERT INTO audit_hashes (idx, hash) VALUES `)
			args := make([]any, 0, 2*(end-start))
			for i := start; i < end; i++ {
				if i > start {
					q.WriteByte(',')
				}
				q.WriteString(`(?, ?)`)
				args = append(args, first+int64(i), b.Hashes[i][:])
			}
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				if isUniqueViolation(err) {
					return domain.ErrAuditMoved
				}
				return fmt.Errorf("store audit hashes: %w", err)
			}
		}
		return nil
	})
	if err != nil || s.queue == nil || cursor == b.OldQueueCursor {
		return err
	}
	// The entries are in the log: the queued rows can go. Failing here
	// loses nothing; rows at or below the cursor are skipped and deleted
	// by a later integration.
	if err := s.queue.trim(ctx, cursor); err != nil {
		s.log.Warn("store: trimming the audit queue failed; will retry", slog.Any("err", err))
	}
	return nil
}

// TrimAuditQueue deletes queued events already integrated (after a
// crash between integration and trimming).
func (s *AuditLog) TrimAuditQueue(ctx context.Context, cursor int64) error {
	if s.queue == nil || cursor == 0 {
		return nil
	}
	return s.queue.trim(ctx, cursor)
}

// moveToLog inserts the batch's events into the log at their positions
// and removes those of audit_pending, refusing (domain.ErrAuditMoved) if any is
// no longer pending. (Queued ones are covered by the queue cursor.)
func (s *AuditLog) moveToLog(ctx context.Context, tx *Tx, b *domain.AuditBatch) error {
	const per = 16
	const chunk = 60
	for start := 0; start < len(b.Pending); start += chunk {
		end := min(start+chunk, len(b.Pending))
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_events (` + auditSelect + `) VALUES `)
		args := make([]any, 0, (end-start)*per)
		for i := start; i < end; i++ {
			if i > start {
				q.WriteByte(',')
			}
			q.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			args = append(append(args, b.OldSize+int64(i)), auditArgs(b.Pending[i].Event)...)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			if isUniqueViolation(err) {
				return domain.ErrAuditMoved
			}
			return fmt.Errorf("integrate audit events: %w", err)
		}
	}
	var ids []int64
	for _, p := range b.Pending {
		if !p.Queued {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var deleted int64
	if s.dialect == Postgres {
		res, err := tx.Exec(ctx, `DELETE FROM audit_pending WHERE id = ANY(?::bigint[])`, ids)
		if err != nil {
			return fmt.Errorf("integrate audit events: %w", err)
		}
		deleted, _ = res.RowsAffected()
	} else {
		for start := 0; start < len(ids); start += 500 {
			part := ids[start:min(start+500, len(ids))]
			args := make([]any, len(part))
			for i, id := range part {
				args[i] = id
			}
			res, err := tx.Exec(ctx, `DELETE FROM audit_pending WHERE id IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
			if err != nil {
				return fmt.Errorf("integrate audit events: %w", err)
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
	}
	if deleted != int64(len(ids)) {
		return domain.ErrAuditMoved
	}
	return nil
}

// AddAuditCheckpoint stores a signed checkpoint; one already stored for
// the same size is kept (and reported by ok=false).
func (s *AuditLog) AddAuditCheckpoint(ctx context.Context, c *domain.AuditCheckpoint) (ok bool, err error) {
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (size, root_hash, note, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (size) DO NOTHING`, c.Size, c.Root[:], c.Note, c.CreatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("store audit checkpoint: %w", err)
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// LatestAuditCheckpoint returns the largest stored checkpoint, or nil
// when none has been signed yet.
func (s *AuditLog) LatestAuditCheckpoint(ctx context.Context) (*domain.AuditCheckpoint, error) {
	cs, err := s.auditCheckpoints(ctx, s.query, `ORDER BY size DESC LIMIT 1`)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return cs[0], nil
}

// AuditCheckpointAt returns the checkpoint of exactly size, or nil.
func (s *AuditLog) AuditCheckpointAt(ctx context.Context, size int64) (*domain.AuditCheckpoint, error) {
	cs, err := s.auditCheckpoints(ctx, s.query, `WHERE size = ?`, size)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return cs[0], nil
}

func (s *AuditLog) auditCheckpoints(ctx context.Context, q queryFunc, tail string, args ...any) ([]*domain.AuditCheckpoint, error) {
	rows, err := q(ctx, `SELECT size, root_hash, note, created_at FROM audit_checkpoints `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []*domain.AuditCheckpoint
	for rows.Next() {
		var c domain.AuditCheckpoint
		var root []byte
		var created int64
		if err := rows.Scan(&c.Size, &root, &c.Note, &created); err != nil {
			return nil, fmt.Errorf("read audit checkpoints: %w", err)
		}
		copy(c.Root[:], root) // a short stored root fails verification against the note
		c.CreatedAt = fromMicros(nullInt(created))
		out = append(out, &c)
	}
	return out, rows.Err()
}

// domain.AuditSigningKey returns the newest signing key, or nil when none exists.
func (s *AuditLog) AuditSigningKey(ctx context.Context) (*domain.AuditSigningKey, error) {
	var k domain.AuditSigningKey
	var created int64
	err := s.queryRow(ctx, `SELECT version, origin, verifier, kek_version, wrapped, created_at FROM audit_signing_keys
		ORDER BY version DESC LIMIT 1`).Scan(&k.Version, &k.Origin, &k.Verifier, &k.KEKVersion, &k.Wrapped, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit signing key: %w", err)
	}
	k.CreatedAt = fromMicros(nullInt(created))
	return &k, nil
}

// CreateAuditSigningKey stores k unless a key of that version exists
// (another node created it first); callers read the key back.
func (s *AuditLog) CreateAuditSigningKey(ctx context.Context, k *domain.AuditSigningKey) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_signing_keys (version, origin, verifier, kek_version, wrapped, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING`,
			k.Version, k.Origin, k.Verifier, k.KEKVersion, k.Wrapped, k.CreatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("store audit signing key: %w", err)
		}
		return nil
	})
}

// AuditShipCursor returns the last sequence number shipped to sink, or
// -1 when nothing has been shipped.
func (s *AuditLog) AuditShipCursor(ctx context.Context, sink string) (int64, error) {
	var seq int64
	err := s.queryRow(ctx, `SELECT last_seq FROM audit_ship_cursors WHERE sink = ?`, sink).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read ship cursor: %w", err)
	}
	return seq, nil
}

// SetAuditShipCursor records that sink has everything up to seq.
func (s *AuditLog) SetAuditShipCursor(ctx context.Context, sink string, seq int64) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_ship_cursors (sink, last_seq, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (sink) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`, sink, seq, now)
		if err != nil {
			return fmt.Errorf("store ship cursor: %w", err)
		}
		return nil
	})
}

// SearchAudit returns log entries matching f in sequence order.
func (s *AuditLog) SearchAudit(ctx context.Context, f domain.AuditFilter) ([]*domain.AuditEvent, error) {
	where := []string{"seq >= ?"}
	args := []any{f.FromSeq}
	if f.ToSeq >= 0 {
		where = append(where, "seq <= ?")
		args = append(args, f.ToSeq)
	}
	for _, c := range []struct{ col, v string }{
		{"actor_user", f.ActorUser}, {"target_id", f.TargetID}, {"action", f.Action}, {"outcome", string(f.Outcome)},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where = append(where, "time < ?")
		args = append(args, f.Until.UnixMicro())
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	args = append(args, limit)
	order := "seq"
	if f.Newest {
		order = "seq DESC"
	}
	return s.scanAudit(ctx, `SELECT `+auditSelect+` FROM audit_events WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+order+` LIMIT ?`, args...)
}

// AuditEventBySeq returns the log entry at seq, or not found.
func (s *AuditLog) AuditEventBySeq(ctx context.Context, seq int64) (*domain.AuditEvent, error) {
	evs, err := s.scanAudit(ctx, `SELECT `+auditSelect+` FROM audit_events WHERE seq = ?`, seq)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, domain.NotFound("audit entry")
	}
	return evs[0], nil
}
