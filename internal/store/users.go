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

const userColumns = `u.id, u.email, u.display_name, u.role, u.team_id, u.status, u.password_hash,
	u.must_change_password, u.created_at, u.updated_at, u.kind, u.mfa_enabled, u.locale, u.time_zone`

type userRow struct {
	id, email, displayName, role string
	teamID                       sql.NullString
	status, passwordHash         string
	mustChange                   int64
	createdAt, updatedAt         sql.NullInt64
	kind                         string
	mfaEnabled                   int64
	locale, timeZone             string
}

func (r *userRow) dest() []any {
	return []any{&r.id, &r.email, &r.displayName, &r.role, &r.teamID, &r.status, &r.passwordHash,
		&r.mustChange, &r.createdAt, &r.updatedAt, &r.kind, &r.mfaEnabled, &r.locale, &r.timeZone}
}

func (r *userRow) user() domain.User {
	return domain.User{
		ID: domain.ID(r.id), Email: r.email, DisplayName: r.displayName, Role: r.role,
		TeamID: domain.ID(r.teamID.String), Status: domain.UserStatus(r.status),
		PasswordHash: r.passwordHash, MustChangePassword: r.mustChange != 0,
		CreatedAt: fromMicros(r.createdAt), UpdatedAt: fromMicros(r.updatedAt),
		Kind: domain.UserKind(r.kind), MFAEnabled: r.mfaEnabled != 0,
		Locale: r.locale, TimeZone: r.timeZone,
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateUser stores a new user with the audit event ev. A taken email is a
// conflict on field email.
func (s *Users) CreateUser(ctx context.Context, u *domain.User, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		kind := u.Kind
		if kind == "" {
			kind = domain.UserPerson
		}
		res, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, role, team_id, status, password_hash,
			must_change_password, created_at, updated_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			string(u.ID), u.Email, u.DisplayName, u.Role, nullString(u.TeamID), string(u.Status), u.PasswordHash,
			boolInt(u.MustChangePassword), u.CreatedAt.UnixMicro(), u.UpdatedAt.UnixMicro(), string(kind))
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("team_id", "no such team")
			}
			return fmt.Errorf("insert user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("email", "a user with this email already exists")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetUser returns a user by id.
func (s *Users) GetUser(ctx context.Context, id domain.ID) (*domain.User, error) {
	var r userRow
	err := s.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, string(id)).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	u := r.user()
	return &u, nil
}

// GetUserByEmail returns a user by normalized email.
func (s *Users) GetUserByEmail(ctx context.Context, email string) (*domain.User, error) {
	var r userRow
	err := s.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, email).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	u := r.user()
	return &u, nil
}

// ListUsers returns users ordered by id, after cursor.
func (s *Users) ListUsers(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.User], error) {
	var page domain.Page[*domain.User]
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.DefaultPageSize
	}
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?`, string(cursor), limit+1)
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r userRow
		if err := rows.Scan(r.dest()...); err != nil {
			return page, err
		}
		u := r.user()
		page.Items = append(page.Items, &u)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = string(page.Items[limit-1].ID)
	}
	return page, rows.Err()
}

// UserUpdate lists user fields to change (see domain.UserUpdate).
type UserUpdate = domain.UserUpdate

// UpdateUser changes a user's fields with the audit event ev.
func (s *Users) UpdateUser(ctx context.Context, id domain.ID, up UserUpdate, evs ...*domain.AuditEvent) error {
	var sets []string
	var args []any
	if up.DisplayName != nil {
		sets, args = append(sets, "display_name = ?"), append(args, *up.DisplayName)
	}
	if up.Role != nil {
		sets, args = append(sets, "role = ?"), append(args, *up.Role)
	}
	if up.Locale != nil {
		sets, args = append(sets, "locale = ?"), append(args, *up.Locale)
	}
	if up.TimeZone != nil {
		sets, args = append(sets, "time_zone = ?"), append(args, *up.TimeZone)
	}
	if up.TeamID != nil {
		sets, args = append(sets, "team_id = ?"), append(args, nullString(*up.TeamID))
	}
	if up.Status != nil {
		sets, args = append(sets, "status = ?"), append(args, string(*up.Status))
	}
	if up.PasswordHash != nil {
		sets, args = append(sets, "password_hash = ?"), append(args, *up.PasswordHash)
	}
	if up.MustChangePassword != nil {
		sets, args = append(sets, "must_change_password = ?"), append(args, boolInt(*up.MustChangePassword))
	}
	now := s.now().UnixMicro()
	sets, args = append(sets, "updated_at = ?"), append(args, now)
	args = append(args, string(id))
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("team_id", "no such team")
			}
			return fmt.Errorf("update user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("user")
		}
		if up.Territories != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM user_territories WHERE user_id = ?`, string(id)); err != nil {
				return err
			}
			for _, t := range *up.Territories {
				if _, err := tx.Exec(ctx, `INSERT INTO user_territories (user_id, territory_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
					string(id), string(t)); err != nil {
					if isForeignKeyViolation(err) {
						return domain.Invalid("territory_ids", "no territory %s", t)
					}
					return fmt.Errorf("assign territory: %w", err)
				}
			}
		}
		if up.RevokeSessions {
			if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?`,
				now, string(id), string(up.KeepSession)); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// UserTerritories returns the territories a user is assigned to.
func (s *Users) UserTerritories(ctx context.Context, id domain.ID) ([]domain.ID, error) {
	rows, err := s.query(ctx, `SELECT territory_id FROM user_territories WHERE user_id = ? ORDER BY territory_id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("user territories: %w", err)
	}
	defer rows.Close()
	var out []domain.ID
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, domain.ID(t))
	}
	return out, rows.Err()
}

// lockUser serializes writes concerning one user on PostgreSQL (SQLite has
// a single writer already): the session limit and one-time codes rely on
// it across nodes.
func lockUser(ctx context.Context, tx *Tx, id domain.ID) error {
	if tx.s.dialect != Postgres {
		return nil
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = ? FOR UPDATE`, string(id)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound("user")
	}
	return err
}

// CountUsers returns how many users exist.
func (s *Users) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// ListTeams returns every team by name.
func (s *Users) ListTeams(ctx context.Context) ([]*domain.Team, error) {
	rows, err := s.query(ctx, `SELECT id, name, created_at FROM teams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	defer rows.Close()
	var out []*domain.Team
	for rows.Next() {
		var t domain.Team
		var id string
		var created int64
		if err := rows.Scan(&id, &t.Name, &created); err != nil {
			return nil, err
		}
		t.ID, t.CreatedAt = domain.ID(id), time.UnixMicro(created).UTC()
		out = append(out, &t)
	}
	return out, rows.Err()
}

// CreateTeam stores a team.
func (s *Users) CreateTeam(ctx context.Context, id domain.ID, name string, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			string(id), name, s.now().UnixMicro())
		if err != nil {
			return fmt.Errorf("insert team: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("name", "a team with this name already exists")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// UpdatePasswordHash replaces a user's password hash (a parameter upgrade
// at sign-in; the password itself is unchanged, so nothing is audited).
func (s *Users) UpdatePasswordHash(ctx context.Context, id domain.ID, hash string) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, string(id))
		return err
	})
}
