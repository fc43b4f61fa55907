package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// poolScopeClause returns the SQL condition (on alias c) and arguments
// that restrict pool customers to a pool scope.
func poolScopeClause(sc domain.PoolScope) (string, []any) {
	if sc.Nothing {
		return "1 = 0", nil
	}
	where, args := []string{"1 = 1"}, []any{}
	if sc.TeamID != "" {
		where = append(where, "c.team_id = ?")
		args = append(args, string(sc.TeamID))
	}
	if len(sc.Territories) > 0 {
		t, targs := scopeClause(domain.RecordScope{Territories: sc.Territories})
		where = append(where, t)
		args = append(args, targs...)
	}
	return strings.Join(where, " AND "), args
}

// ListPool returns a page of pool customers (no owner, not erased) in
// f.Scope, newest first, with the classes in f.Skip left sealed.
func (s *Pool) ListPool(ctx context.Context, f domain.PoolFilter) (domain.Page[*domain.Customer], error) {
	var page domain.Page[*domain.Customer]
	limit := f.Limit
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.DefaultPageSize
	}
	sc, args := poolScopeClause(f.Scope)
	where := "c.owner_id IS NULL AND c.erased_at IS NULL AND " + sc
	if f.Cursor != "" {
		where += " AND c.id < ?"
		args = append(args, string(f.Cursor))
	}
	args = append(args, limit+1)
	items, err := s.queryCustomers(ctx, f.Skip, `SELECT `+s.customerColumns()+` FROM customers c
		WHERE `+where+` ORDER BY c.id DESC LIMIT ?`, args...)
	if err != nil {
		return page, fmt.Errorf("list pool: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.NextCursor = string(items[limit-1].ID)
	}
	page.Items = items
	return page, nil
}

// MovePool applies one move into or out of the pool with its
// notifications and audit events, in one transaction:
//
//   - claim and assign give a pool customer to m.ToOwner in m.ToTeam; a
//     claim first checks the claimer's limits (m.DailyClaims in the last
//     24 hours: rate_limited; m.MaxOwned: conflict);
//   - release, reclaim and return take the customer from m.FromOwner,
//     keeping its team (the pool it goes to); a return only if the
//     customer had no follow-up since m.QuietSince.
//
// A customer that moved meanwhile (claimed by someone else, given to
// another owner, followed up) is a conflict, and nothing changes.
func (s *Pool) MovePool(ctx context.Context, m *domain.PoolMove, notes []*domain.Notification, evs ...*domain.AuditEvent) error {
	at := m.At.UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var res sql.Result
		var err error
		switch m.Kind {
		case domain.MoveClaim, domain.MoveAssign:
			if m.Kind == domain.MoveClaim {
				if err := s.checkClaimLimits(ctx, tx, m); err != nil {
					return err
				}
			}
			res, err = tx.Exec(ctx, `UPDATE customers SET owner_id = ?, team_id = ?, updated_at = ?, version = version + 1
				WHERE id = ? AND owner_id IS NULL AND erased_at IS NULL`,
				string(m.ToOwner), nullString(m.ToTeam), at, string(m.CustomerID))
		case domain.MoveRelease, domain.MoveReclaim:
			res, err = tx.Exec(ctx, `UPDATE customers SET owner_id = NULL, updated_at = ?, version = version + 1
				WHERE id = ? AND owner_id = ? AND erased_at IS NULL`, at, string(m.CustomerID), string(m.FromOwner))
		case domain.MoveReturn:
			res, err = tx.Exec(ctx, `UPDATE customers SET owner_id = NULL, updated_at = ?, version = version + 1
				WHERE id = ? AND owner_id = ? AND erased_at IS NULL
				AND COALESCE((SELECT pc.quiet_since FROM pool_clock pc WHERE pc.customer_id = customers.id), customers.created_at) = ?`,
				at, string(m.CustomerID), string(m.FromOwner), m.QuietSince.UnixMicro())
		default:
			return fmt.Errorf("store: unknown pool move %q", m.Kind)
		}
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("owner_id", "no such user or team")
			}
			return fmt.Errorf("pool %s: %w", m.Kind, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if m.Kind == domain.MoveClaim || m.Kind == domain.MoveAssign {
				return domain.Conflict("", "the customer is no longer in the pool")
			}
			return domain.Conflict("", "the customer changed owner or was followed up meanwhile; reload and try again")
		}
		switch m.Kind {
		case domain.MoveClaim, domain.MoveAssign:
			// A new owner starts a new quiet spell.
			if err := touchPoolClock(ctx, tx, m.CustomerID, m.At); err != nil {
				return err
			}
		default:
			if _, err := tx.Exec(ctx, `DELETE FROM pool_clock WHERE customer_id = ?`, string(m.CustomerID)); err != nil {
				return fmt.Errorf("pool %s: %w", m.Kind, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pool_moves (id, customer_id, kind, actor_id, from_owner, to_owner, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, string(m.ID), string(m.CustomerID), string(m.Kind), string(m.ActorID),
			nullString(m.FromOwner), nullString(m.ToOwner), at); err != nil {
			return fmt.Errorf("pool %s: %w", m.Kind, err)
		}
		if err := insertNotifications(ctx, tx, notes); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// checkClaimLimits refuses a claim over the claimer's daily or total
// limit. On PostgreSQL the claimer's user row is locked first, so two
// claims of one rep at once are counted one after the other (SQLite's
// one writer already serializes them).
func (s *Pool) checkClaimLimits(ctx context.Context, tx *Tx, m *domain.PoolMove) error {
	if s.dialect == Postgres {
		if _, err := tx.Exec(ctx, `SELECT id FROM users WHERE id = ? FOR UPDATE`, string(m.ToOwner)); err != nil {
			return fmt.Errorf("lock claimer: %w", err)
		}
	}
	since := m.At.Add(-24 * time.Hour)
	var claims int
	var oldest sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), MIN(at) FROM pool_moves WHERE actor_id = ? AND kind = 'claim' AND at > ?`,
		string(m.ToOwner), since.UnixMicro()).Scan(&claims, &oldest); err != nil {
		return fmt.Errorf("count claims: %w", err)
	}
	if claims >= m.DailyClaims {
		wait := time.Hour
		if oldest.Valid {
			wait = time.UnixMicro(oldest.Int64).Add(24 * time.Hour).Sub(m.At)
		}
		return domain.RateLimited(max(wait, time.Second),
			fmt.Sprintf("you have claimed %d customers in the last 24 hours, the most your team allows", claims))
	}
	var owned int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE owner_id = ? AND erased_at IS NULL`,
		string(m.ToOwner)).Scan(&owned); err != nil {
		return fmt.Errorf("count owned: %w", err)
	}
	if owned >= m.MaxOwned {
		return domain.Conflict("", "you own %d customers, the most your team allows before claiming more; release one first", owned)
	}
	return nil
}

// touchPoolClock starts a customer's quiet spell at at: it got a new
// owner, or was followed up. A warning sent for the previous spell no
// longer counts.
func touchPoolClock(ctx context.Context, tx *Tx, customer domain.ID, at time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO pool_clock (customer_id, quiet_since, warned_at) VALUES (?, ?, NULL)
		ON CONFLICT (customer_id) DO UPDATE SET quiet_since = excluded.quiet_since, warned_at = NULL`,
		string(customer), at.UnixMicro()); err != nil {
		return fmt.Errorf("pool clock: %w", err)
	}
	return nil
}

// followedUp returns a step of a child record's write transaction that
// records a follow-up of customer at at (see touchPoolClock).
func followedUp(customer domain.ID, at time.Time) func(ctx context.Context, tx *Tx) error {
	return func(ctx context.Context, tx *Tx) error { return touchPoolClock(ctx, tx, customer, at) }
}
