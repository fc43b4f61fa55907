package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// auditColumns are the columns an event is inserted with. seq is left
// NULL: the sequencer assigns it when it integrates the event into the
// Merkle log.
const auditColumns = `time, actor_user, actor_session, actor_token, actor_device, source_ip, user_agent,
	request_id, action, target_type, target_id, target_ids, fields, outcome, reason`

// auditSelect reads an event back: its log position (NULL while pending)
// and every column its leaf covers.
const auditSelect = `seq, ` + auditColumns

func auditArgs(ev *domain.AuditEvent) []any {
	return []any{
		ev.Time.UnixMicro(), string(ev.ActorUser), string(ev.ActorSession), string(ev.ActorToken),
		string(ev.ActorDevice), ev.SourceIP, ev.UserAgent, ev.RequestID, ev.Action, ev.TargetType,
		ev.TargetID, strings.Join(ev.TargetIDs, ","), strings.Join(ev.Fields, ","), string(ev.Outcome), ev.Reason,
	}
}

// auditScanner scans rows selected with auditSelect, reusing its buffers.
type auditScanner struct {
	seq                                          sql.NullInt64
	t                                            int64
	user, sess, tok, dev, targetIDs, fields, out string
	ev                                           domain.AuditEvent
}

func (a *auditScanner) dest() []any {
	return []any{&a.seq, &a.t, &a.user, &a.sess, &a.tok, &a.dev, &a.ev.SourceIP, &a.ev.UserAgent, &a.ev.RequestID,
		&a.ev.Action, &a.ev.TargetType, &a.ev.TargetID, &a.targetIDs, &a.fields, &a.out, &a.ev.Reason}
}

// event returns a fresh event from the last scanned row. A pending event
// (not yet in the log) has Seq -1.
func (a *auditScanner) event() *domain.AuditEvent {
	ev := a.ev
	ev.Seq = -1
	if a.seq.Valid {
		ev.Seq = a.seq.Int64
	}
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
// The events are durable when the transaction commits; the sequencer
// integrates them into the Merkle log shortly after.
func insertAudit(ctx context.Context, tx *Tx, evs ...*domain.AuditEvent) error {
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_events (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			auditArgs(ev)...); err != nil {
			return fmt.Errorf("insert audit event: %w", err)
		}
	}
	return nil
}

// AppendAudit makes a batch of audit events durable in one transaction.
func (s *Store) AppendAudit(ctx context.Context, evs []*domain.AuditEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		const per = 15
		const chunk = 60 // rows per statement, well under parameter limits
		for start := 0; start < len(evs); start += chunk {
			end := min(start+chunk, len(evs))
			var b strings.Builder
			b.WriteString(`INSERT INTO audit_events (` + auditColumns + `) VALUES `)
			args := make([]any, 0, (end-start)*per)
			for i := start; i < end; i++ {
				if i > start {
					b.WriteByte(',')
				}
				b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
				args = append(args, auditArgs(evs[i])...)
			}
			if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert audit events: %w", err)
			}
		}
		return nil
	})
}

// AuditFilter selects audit events for ListAudit.
type AuditFilter struct {
	ActorUser string
	TargetID  string
	Action    string
	// AfterID skips events inserted up to this insertion id.
	AfterID int64
	Limit   int
}

// ListAudit returns audit events in insertion order, including those not
// yet integrated into the log (Seq -1). It serves operators and tests;
// auditors search the log with SearchAudit.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]*domain.AuditEvent, error) {
	where := []string{"id > ?"}
	args := []any{f.AfterID}
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
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	args = append(args, limit)
	return s.scanAudit(ctx, `SELECT `+auditSelect+` FROM audit_events WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT ?`, args...)
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
