package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// AppendAudit makes a batch of audit events durable in one transaction:
// in the audit queue on SQLite (see auditQueue), in audit_pending on
// PostgreSQL.
func (s *AuditLog) AppendAudit(ctx context.Context, evs []*domain.AuditEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if s.queue != nil {
		// The queue is a file of its own: a failed append says the volume is
		// in trouble, a successful one says nothing about the database.
		if err := s.guard.check(time.Now()); err != nil {
			return s.health.record(err)
		}
		if err := s.queue.append(ctx, evs); err != nil {
			return s.health.record(err)
		}
		return nil
	}
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		return insertEvents(ctx, "audit_pending", evs, func(query string, args ...any) error {
			_, err := tx.Exec(ctx, query, args...)
			return err
		})
	})
}

// ListAudit returns audit events in the order they were recorded: the
// log's entries by sequence number, then those not yet integrated (Seq
// -1). It serves operators and tests; auditors search the log with
// SearchAudit.
func (s *AuditLog) ListAudit(ctx context.Context, f domain.AuditFilter) ([]*domain.AuditEvent, error) {
	var where []string
	var args []any
	if f.ActorUser != "" {
		where = append(where, "actor_user = ?")
		args = append(args, f.ActorUser)
	}
	if f.TargetID != "" {
		where = append(where, "target_id = ?")
		args = append(args, f.TargetID)
	}
	if f.Action != "" {
		where = append(where, "action = ?")
		args = append(args, f.Action)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	out, err := s.scanAudit(ctx, `SELECT `+auditSelect+` FROM audit_events`+cond+` ORDER BY seq LIMIT ?`, append(args, limit)...)
	if err != nil || len(out) == limit {
		return out, err
	}
	pending, err := s.scanAudit(ctx, `SELECT id, `+auditColumns+` FROM audit_pending`+cond+` ORDER BY id LIMIT ?`, append(args, limit-len(out))...)
	if err != nil {
		return nil, err
	}
	for _, ev := range pending {
		ev.Seq = -1
	}
	out = append(out, pending...)
	if s.queue == nil || len(out) == limit {
		return out, nil
	}
	tree, err := s.AuditTree(ctx)
	if err != nil {
		return nil, err
	}
	queued, err := s.queue.pending(ctx, tree.QueueCursor, 100_000)
	if err != nil {
		return nil, err
	}
	for _, p := range queued {
		ev := p.Event
		if (f.ActorUser == "" || string(ev.ActorUser) == f.ActorUser) && (f.TargetID == "" || ev.TargetID == f.TargetID) &&
			(f.Action == "" || ev.Action == f.Action) && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (s *DB) scanAudit(ctx context.Context, query string, args ...any) ([]*domain.AuditEvent, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	defer rows.Close()
	var out []*domain.AuditEvent
	var sc auditScanner
	dest := sc.dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read audit events: %w", err)
		}
		out = append(out, sc.event())
	}
	return out, rows.Err()
}
