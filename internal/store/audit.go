package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

const auditColumns = `time, actor_user, actor_session, actor_token, actor_device, source_ip, user_agent,
	request_id, action, target_type, target_id, target_ids, fields, outcome, reason`

func auditArgs(ev *domain.AuditEvent) []any {
	return []any{
		ev.Time.UnixMicro(), string(ev.ActorUser), string(ev.ActorSession), string(ev.ActorToken),
		string(ev.ActorDevice), ev.SourceIP, ev.UserAgent, ev.RequestID, ev.Action, ev.TargetType,
		ev.TargetID, strings.Join(ev.TargetIDs, ","), strings.Join(ev.Fields, ","), string(ev.Outcome), ev.Reason,
	}
}

// insertAudit writes audit events inside a write transaction, so a change
// and its audit events commit or fail together. Nil events are skipped.
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

// AuditFilter selects audit events.
type AuditFilter struct {
	ActorUser string
	TargetID  string
	Action    string
	AfterSeq  int64
	Limit     int
}

// ListAudit returns audit events in sequence order.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]*domain.AuditEvent, error) {
	where := []string{"seq > ?"}
	args := []any{f.AfterSeq}
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
	rows, err := s.query(ctx, `SELECT seq, `+auditColumns+` FROM audit_events WHERE `+strings.Join(where, " AND ")+
		` ORDER BY seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []*domain.AuditEvent
	for rows.Next() {
		var ev domain.AuditEvent
		var t int64
		var user, sess, tok, dev, targetIDs, fields, outcome string
		if err := rows.Scan(&ev.Seq, &t, &user, &sess, &tok, &dev, &ev.SourceIP, &ev.UserAgent, &ev.RequestID,
			&ev.Action, &ev.TargetType, &ev.TargetID, &targetIDs, &fields, &outcome, &ev.Reason); err != nil {
			return nil, err
		}
		ev.Time = fromMicros(nullInt(t))
		ev.ActorUser, ev.ActorSession, ev.ActorToken, ev.ActorDevice = domain.ID(user), domain.ID(sess), domain.ID(tok), domain.ID(dev)
		ev.Outcome = domain.Outcome(outcome)
		if targetIDs != "" {
			ev.TargetIDs = strings.Split(targetIDs, ",")
		}
		if fields != "" {
			ev.Fields = strings.Split(fields, ",")
		}
		out = append(out, &ev)
	}
	return out, rows.Err()
}
