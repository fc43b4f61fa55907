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
