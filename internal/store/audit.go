package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// auditColumns are an event's columns, in audit_pending (where events
// are made durable) and in audit_events (the log, which adds seq).
const auditColumns = `time, actor_user, actor_session, actor_token, actor_device, source_ip, user_agent,
	request_id, action, target_type, target_id, target_ids, fields, outcome, reason`

// auditSelect reads a log entry: its position and every column its leaf
// covers.
const auditSelect = `seq, ` + auditColumns

func auditArgs(ev *domain.AuditEvent) []any {
	return []any{
		ev.Time.UnixMicro(), string(ev.ActorUser), string(ev.ActorSession), string(ev.ActorToken),
		string(ev.ActorDevice), ev.SourceIP, ev.UserAgent, ev.RequestID, ev.Action, ev.TargetType,
		ev.TargetID, strings.Join(ev.TargetIDs, ","), strings.Join(ev.Fields, ","), string(ev.Outcome), ev.Reason,
	}
}

// auditScanner scans rows selected with auditSelect (or id and
// auditColumns from audit_pending), reusing its buffers.
type auditScanner struct {
	seq                                          int64
	t                                            int64
	user, sess, tok, dev, targetIDs, fields, out string
	ev                                           domain.AuditEvent
}

// dest returns the scan targets: the position (seq, or the pending id)
// then the columns.
func (a *auditScanner) dest() []any {
	return []any{&a.seq, &a.t, &a.user, &a.sess, &a.tok, &a.dev, &a.ev.SourceIP, &a.ev.UserAgent, &a.ev.RequestID,
		&a.ev.Action, &a.ev.TargetType, &a.ev.TargetID, &a.targetIDs, &a.fields, &a.out, &a.ev.Reason}
}

// event returns a fresh event from the last scanned row, with Seq set to
// the scanned position.
func (a *auditScanner) event() *domain.AuditEvent {
	ev := a.ev
	ev.Seq = a.seq
	ev.Time = fromMicros(nullInt(a.t))
	ev.ActorUser, ev.ActorSession, ev.ActorToken, ev.ActorDevice = domain.ID(a.user), domain.ID(a.sess), domain.ID(a.tok), domain.ID(a.dev)
	ev.Outcome = domain.Outcome(a.out)
	ev.TargetIDs, ev.Fields = nil, nil
	if a.targetIDs != "" {
		ev.TargetIDs = strings.Split(a.targetIDs, ",")
	}
	if a.fields != "" {
		ev.Fields = strings.Split(a.fields, ",")
	}
	return &ev
}

// insertAudit writes audit events inside a write transaction, so a change
// and its audit events commit or fail together. Nil events are skipped.
// The events are durable when the transaction commits (in audit_pending,
// one small append); the sequencer integrates them into the Merkle log
// shortly after.
func insertAudit(ctx context.Context, tx *Tx, evs ...*domain.AuditEvent) error {
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_pending (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			auditArgs(ev)...); err != nil {
			return fmt.Errorf("insert audit event: %w", err)
		}
	}
	return nil
}

// AppendAudit makes a batch of audit events durable in one transaction:
// in the audit queue on SQLite (see auditQueue), in audit_pending on
// PostgreSQL.
func (s *Store) AppendAudit(ctx context.Context, evs []*domain.AuditEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if s.queue != nil {
		return s.queue.append(ctx, evs)
	}
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		return insertEvents(ctx, "audit_pending", evs, func(query string, args ...any) error {
			_, err := tx.Exec(ctx, query, args...)
			return err
		})
	})
}

// AuditFilter selects audit events for ListAudit.
type AuditFilter struct {
	ActorUser string
	TargetID  string
	Action    string
	Limit     int
}

// ListAudit returns audit events in the order they were recorded: the
// log's entries by sequence number, then those not yet integrated (Seq
// -1). It serves operators and tests; auditors search the log with
// SearchAudit.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]*domain.AuditEvent, error) {
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

func (s *Store) scanAudit(ctx context.Context, query string, args ...any) ([]*domain.AuditEvent, error) {
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
