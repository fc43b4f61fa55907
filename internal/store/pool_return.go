package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

const (
	microsPerDay = int64(24 * time.Hour / time.Microsecond)
	// microsPerDaySQL is microsPerDay as an SQL literal: a parameter in
	// its place would be typed from the integer columns around it (int4
	// on PostgreSQL) and overflow.
	microsPerDaySQL = "86400000000"
)

// DueForReturn returns up to limit owned customers, after the id after in
// id order, whose warning or return has come by now under their team's
// pool settings (def for teams without their own): their quiet spell
// began at least return_days − warn_days days ago. It reads every owned
// customer once over all pages; the caller decides what each needs.
func (s *Pool) DueForReturn(ctx context.Context, now time.Time, def *domain.PoolSettings, after domain.ID, limit int) ([]domain.PoolDue, error) {
	rd, wd := def.ReturnDays, def.WarnDays
	return queryAll(ctx, s.DB, func(sc scanner) (domain.PoolDue, error) {
		var d domain.PoolDue
		var id, owner string
		var team sql.NullString
		var quiet int64
		var warned sql.NullInt64
		var days int64
		if err := sc.Scan(&id, &owner, &team, &quiet, &warned, &days); err != nil {
			return d, err
		}
		d.CustomerID, d.OwnerID, d.TeamID = domain.ID(id), domain.ID(owner), domain.ID(team.String)
		d.QuietSince = time.UnixMicro(quiet).UTC()
		d.ReturnAt = time.UnixMicro(quiet + days*microsPerDay).UTC()
		d.Warned = warned.Valid
		return d, nil
	}, `SELECT c.id, c.owner_id, c.team_id, COALESCE(pc.quiet_since, c.created_at), pc.warned_at, COALESCE(ps.return_days, ?)
		FROM customers c
		LEFT JOIN pool_clock pc ON pc.customer_id = c.id
		LEFT JOIN pool_settings ps ON ps.team_id = c.team_id
		WHERE c.owner_id IS NOT NULL AND c.erased_at IS NULL AND c.id > ?
		AND COALESCE(ps.return_days, ?) > 0
		AND COALESCE(pc.quiet_since, c.created_at) + (COALESCE(ps.return_days, ?) - COALESCE(ps.warn_days, ?)) * `+microsPerDaySQL+` <= ?
		ORDER BY c.id LIMIT ?`,
		rd, string(after), rd, rd, wd, now.UnixMicro(), limit)
}

// WarnOwner records that d's owner was warned of its coming return, with
// the notification and audit events, in one transaction — unless the
// customer changed owner, was followed up or was warned meanwhile, which
// changes nothing and reports false.
func (s *Pool) WarnOwner(ctx context.Context, d domain.PoolDue, at time.Time, notes []*domain.Notification, evs ...*domain.AuditEvent) (bool, error) {
	warned := false
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		warned = false
		var owner sql.NullString
		err := tx.QueryRow(ctx, `SELECT owner_id FROM customers WHERE id = ? AND erased_at IS NULL`, string(d.CustomerID)).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && domain.ID(owner.String) != d.OwnerID) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("warn owner: %w", err)
		}
		res, err := tx.Exec(ctx, `INSERT INTO pool_clock (customer_id, quiet_since, warned_at) VALUES (?, ?, ?)
			ON CONFLICT (customer_id) DO UPDATE SET warned_at = excluded.warned_at
			WHERE pool_clock.quiet_since = excluded.quiet_since AND pool_clock.warned_at IS NULL`,
			string(d.CustomerID), d.QuietSince.UnixMicro(), at.UnixMicro())
		if err != nil {
			return fmt.Errorf("warn owner: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("warn owner: %w", err)
		}
		if n == 0 {
			return nil
		}
		if err := insertNotifications(ctx, tx, notes); err != nil {
			return err
		}
		warned = true
		return insertAudit(ctx, tx, evs...)
	})
	return warned, err
}

// PurgeDuplicateRefs deletes duplicate-check references that expired
// before before, and reports how many.
func (s *Pool) PurgeDuplicateRefs(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM duplicate_refs WHERE expires_at < ?`, before.UnixMicro())
		if err != nil {
			return fmt.Errorf("purge duplicate references: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
