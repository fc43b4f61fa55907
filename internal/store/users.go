package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

const userColumns = `u.id, u.email, u.display_name, u.role, u.team_id, u.status, u.password_hash,
	u.must_change_password, u.created_at, u.updated_at`

type userRow struct {
	id, email, displayName, role string
	teamID                       sql.NullString
	status, passwordHash         string
	mustChange                   int64
	createdAt, updatedAt         sql.NullInt64
}

func (r *userRow) dest() []any {
	return []any{&r.id, &r.email, &r.displayName, &r.role, &r.teamID, &r.status, &r.passwordHash,
		&r.mustChange, &r.createdAt, &r.updatedAt}
}

func (r *userRow) user() domain.User {
	return domain.User{
		ID: domain.ID(r.id), Email: r.email, DisplayName: r.displayName, Role: r.role,
		TeamID: domain.ID(r.teamID.String), Status: domain.UserStatus(r.status),
		PasswordHash: r.passwordHash, MustChangePassword: r.mustChange != 0,
		CreatedAt: fromMicros(r.createdAt), UpdatedAt: fromMicros(r.updatedAt),
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
func (s *Store) CreateUser(ctx context.Context, u *domain.User, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name, role, team_id, status, password_hash,
			must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			string(u.ID), u.Email, u.DisplayName, u.Role, nullString(u.TeamID), string(u.Status), u.PasswordHash,
			boolInt(u.MustChangePassword), u.CreatedAt.UnixMicro(), u.UpdatedAt.UnixMicro())
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
func (s *Store) GetUser(ctx context.Context, id domain.ID) (*domain.User, error) {
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
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*domain.User, error) {
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
func (s *Store) ListUsers(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.User], error) {
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

// UserUpdate lists user fields to change; nil leaves a field as it is.
type UserUpdate struct {
	DisplayName        *string
	Role               *string
	TeamID             *domain.ID
	Status             *domain.UserStatus
	PasswordHash       *string
	MustChangePassword *bool
}

// UpdateUser changes a user's fields with the audit event ev.
func (s *Store) UpdateUser(ctx context.Context, id domain.ID, up UserUpdate, evs ...*domain.AuditEvent) error {
	var sets []string
	var args []any
	if up.DisplayName != nil {
		sets, args = append(sets, "display_name = ?"), append(args, *up.DisplayName)
	}
	if up.Role != nil {
		sets, args = append(sets, "role = ?"), append(args, *up.Role)
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
	sets, args = append(sets, "updated_at = ?"), append(args, s.now().UnixMicro())
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
		return insertAudit(ctx, tx, evs...)
	})
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CreateTeam stores a team.
func (s *Store) CreateTeam(ctx context.Context, id domain.ID, name string, evs ...*domain.AuditEvent) error {
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
func (s *Store) UpdatePasswordHash(ctx context.Context, id domain.ID, hash string) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, string(id))
		return err
	})
}
