package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Counts over the audit log for the auditors' charts. Both read the
// integrated log (audit_events) in a time range through its time and
// action indexes; they return a row per hour or per actor, never events.

const microsPerHour = int64(time.Hour / time.Microsecond)

// AuditCountsByHour returns how many log entries fall in each whole hour
// (UTC) from since (inclusive) to until (exclusive), oldest first; hours
// without entries are left out.
func (s *AuditLog) AuditCountsByHour(ctx context.Context, since, until time.Time) ([]domain.AuditHourCount, error) {
	rows, err := s.query(ctx, `SELECT time / ? AS bucket, COUNT(*) FROM audit_events WHERE time >= ? AND time < ?
		GROUP BY bucket ORDER BY bucket`, microsPerHour, since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("count audit events by hour: %w", err)
	}
	defer rows.Close()
	var out []domain.AuditHourCount
	for rows.Next() {
		var hour, n int64
		if err := rows.Scan(&hour, &n); err != nil {
			return nil, fmt.Errorf("count audit events by hour: %w", err)
		}
		out = append(out, domain.AuditHourCount{Hour: time.UnixMicro(hour * microsPerHour).UTC(), Events: n})
	}
	return out, rows.Err()
}

// maxActorCounts bounds the rows AuditCountsByActor returns.
const maxActorCounts = 10_000

// AuditCountsByActor returns, per actor and action, how many allowed
// entries with one of actions fall from since (inclusive) to until
// (exclusive), and how many records they named: the target id, or each
// id of an action over many records. Rows come most events first.
func (s *AuditLog) AuditCountsByActor(ctx context.Context, actions []string, since, until time.Time) ([]domain.AuditActorCount, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(actions)), ", ")
	args := []any{since.UnixMicro(), until.UnixMicro(), string(domain.OutcomeAllowed)}
	for _, a := range actions {
		args = append(args, a)
	}
	args = append(args, maxActorCounts)
	// target_ids is stored comma-joined: its entries are its commas plus one.
	rows, err := s.query(ctx, `SELECT actor_user, action, COUNT(*),
		CAST(SUM(CASE WHEN target_ids <> '' THEN LENGTH(target_ids) - LENGTH(REPLACE(target_ids, ',', '')) + 1
			WHEN target_id <> '' THEN 1 ELSE 0 END) AS BIGINT)
		FROM audit_events WHERE time >= ? AND time < ? AND outcome = ? AND action IN (`+marks+`)
		GROUP BY actor_user, action ORDER BY COUNT(*) DESC, actor_user, action LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("count audit events by actor: %w", err)
	}
	defer rows.Close()
	var out []domain.AuditActorCount
	for rows.Next() {
		var c domain.AuditActorCount
		var actor string
		if err := rows.Scan(&actor, &c.Action, &c.Events, &c.Records); err != nil {
			return nil, fmt.Errorf("count audit events by actor: %w", err)
		}
		c.ActorUser = domain.ID(actor)
		out = append(out, c)
	}
	return out, rows.Err()
}
