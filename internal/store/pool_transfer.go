package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// DuplicateRef returns the stored reference with hash, or nil.
func (s *Pool) DuplicateRef(ctx context.Context, hash []byte) (*domain.DuplicateRef, error) {
	var r domain.DuplicateRef
	var user, customer string
	var created, expires int64
	var used sql.NullInt64
	err := s.queryRow(ctx, `SELECT user_id, customer_id, field, created_at, expires_at, used_at FROM duplicate_refs WHERE hash = ?`,
		hash).Scan(&user, &customer, &r.Field, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("duplicate reference: %w", err)
	}
	r.Hash, r.UserID, r.CustomerID = hash, domain.ID(user), domain.ID(customer)
	r.CreatedAt, r.ExpiresAt, r.UsedAt = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC(), fromMicros(used)
	return &r, nil
}

// UseDuplicateRef marks the reference with hash used by user at at, with
// the notifications and audit events, in one transaction. A reference
// that is not user's, was used already or has expired by at is refused
// (invalid, field reference) and nothing changes.
func (s *Pool) UseDuplicateRef(ctx context.Context, hash []byte, user domain.ID, at time.Time, notes []*domain.Notification, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE duplicate_refs SET used_at = ? WHERE hash = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?`,
			at.UnixMicro(), hash, string(user), at.UnixMicro())
		if err != nil {
			return fmt.Errorf("use duplicate reference: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return domain.DuplicateRefUnusable("reference")
		}
		if err := insertNotifications(ctx, tx, notes); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// CustomerRef returns where a live customer belongs (owner, team,
// region), or not found.
func (s *Pool) CustomerRef(ctx context.Context, id domain.ID) (*domain.CustomerRef, error) {
	r, err := scanCustomerRef(s.queryRow(ctx, `SELECT `+customerRefColumns+` FROM customers c WHERE c.id = ? AND c.erased_at IS NULL`, string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("customer")
	}
	if err != nil {
		return nil, fmt.Errorf("customer ref: %w", err)
	}
	return &r, nil
}

// maxPoolManagers bounds how many people one transfer request notifies.
const maxPoolManagers = 20

// PoolManagers returns who runs the pool of team: the active people of
// the team whose role grants pool.manage, or, when the team has none (or
// team is ""), the active people with pool.manage over all records.
func (s *Pool) PoolManagers(ctx context.Context, team domain.ID) ([]domain.ID, error) {
	type manager struct {
		id, team, scope, functions string
	}
	all, err := queryAll(ctx, s.DB, func(sc scanner) (manager, error) {
		var m manager
		var t sql.NullString
		err := sc.Scan(&m.id, &t, &m.scope, &m.functions)
		m.team = t.String
		return m, err
	}, `SELECT u.id, u.team_id, r.scope, r.functions FROM users u JOIN roles r ON r.name = u.role
		WHERE u.status = ? AND u.kind = ? AND r.functions LIKE ? ORDER BY u.id`,
		string(domain.UserActive), string(domain.UserPerson), "%"+string(domain.FnPoolManage)+"%")
	if err != nil {
		return nil, fmt.Errorf("pool managers: %w", err)
	}
	var inTeam, overAll []domain.ID
	for _, m := range all {
		if !hasFunction(m.functions, domain.FnPoolManage) {
			continue
		}
		if team != "" && m.team == string(team) {
			inTeam = append(inTeam, domain.ID(m.id))
		}
		if m.scope == string(domain.ScopeAll) {
			overAll = append(overAll, domain.ID(m.id))
		}
	}
	out := inTeam
	if len(out) == 0 {
		out = overAll
	}
	return out[:min(len(out), maxPoolManagers)], nil
}

func hasFunction(list string, fn domain.Function) bool {
	for _, f := range strings.Split(list, ",") {
		if f == string(fn) {
			return true
		}
	}
	return false
}
