package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Roles are stored with functions as a comma-separated list and field
// access as "class=level" pairs, so a role is one row and reading it with
// a session is one join.

const roleColumns = `r.name, r.builtin, r.functions, r.scope, r.fields, r.idle_timeout, r.absolute_timeout,
	r.max_sessions, r.require_mfa, r.version, r.masked_lookup`

type roleRow struct {
	name                   sql.NullString
	builtin                sql.NullInt64
	functions, scope       sql.NullString
	fields                 sql.NullString
	idle, absolute, maxSes sql.NullInt64
	requireMFA, version    sql.NullInt64
	maskedLookup           sql.NullString
}

func (r *roleRow) dest() []any {
	return []any{&r.name, &r.builtin, &r.functions, &r.scope, &r.fields, &r.idle, &r.absolute,
		&r.maxSes, &r.requireMFA, &r.version, &r.maskedLookup}
}

// role decodes the row; nil when the role row is absent (a LEFT JOIN
// found none).
func (r *roleRow) role() *domain.Role {
	if !r.name.Valid {
		return nil
	}
	role := &domain.Role{
		Name: r.name.String, Builtin: r.builtin.Int64 != 0, Scope: domain.Scope(r.scope.String),
		Functions: map[domain.Function]bool{}, Fields: map[domain.FieldClass]domain.Access{},
		MaskedLookup:    map[domain.FieldClass]bool{},
		IdleTimeout:     time.Duration(r.idle.Int64) * time.Second,
		AbsoluteTimeout: time.Duration(r.absolute.Int64) * time.Second,
		MaxSessions:     int(r.maxSes.Int64), RequireMFA: r.requireMFA.Int64 != 0,
	}
	for _, f := range strings.Split(r.functions.String, ",") {
		if f != "" {
			role.Functions[domain.Function(f)] = true
		}
	}
	for _, c := range strings.Split(r.maskedLookup.String, ",") {
		if c != "" {
			role.MaskedLookup[domain.FieldClass(c)] = true
		}
	}
	for _, kv := range strings.Split(r.fields.String, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if a, ok := domain.ParseAccess(v); ok {
			role.Fields[domain.FieldClass(k)] = a
		}
	}
	return role
}

func encodeFunctions(r *domain.Role) string {
	var out []string
	for _, f := range domain.AllFunctions {
		if r.Functions[f] {
			out = append(out, string(f))
		}
	}
	return strings.Join(out, ",")
}

func encodeFields(r *domain.Role) string {
	var out []string
	for _, c := range domain.AllFieldClasses {
		if a, ok := r.Fields[c]; ok {
			out = append(out, string(c)+"="+a.String())
		}
	}
	return strings.Join(out, ",")
}

func encodeMaskedLookup(r *domain.Role) string {
	var out []string
	for _, c := range domain.LookupClasses {
		if r.MaskedLookup[c] {
			out = append(out, string(c))
		}
	}
	return strings.Join(out, ",")
}

func roleArgs(r *domain.Role) []any {
	return []any{encodeFunctions(r), string(r.Scope), encodeFields(r), int64(r.IdleTimeout / time.Second),
		int64(r.AbsoluteTimeout / time.Second), r.MaxSessions, boolInt(r.RequireMFA), encodeMaskedLookup(r)}
}

// SeedRoles stores the given (built-in) roles unless a role of the same
// name exists: an administrator's later changes to a built-in role's
// session policy survive restarts.
func (s *Users) SeedRoles(ctx context.Context, roles []*domain.Role) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		for _, r := range roles {
			args := append([]any{r.Name, boolInt(r.Builtin)}, roleArgs(r)...)
			args = append(args, now, now)
			if _, err := tx.Exec(ctx, `INSERT INTO roles (name, builtin, functions, scope, fields, idle_timeout,
				absolute_timeout, max_sessions, require_mfa, masked_lookup, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING`, args...); err != nil {
				return fmt.Errorf("seed role %s: %w", r.Name, err)
			}
		}
		return nil
	})
}

// GetRole returns a role by name.
func (s *Users) GetRole(ctx context.Context, name string) (*domain.Role, error) {
	var r roleRow
	err := s.queryRow(ctx, `SELECT `+roleColumns+` FROM roles r WHERE r.name = ?`, name).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("role")
	}
	if err != nil {
		return nil, fmt.Errorf("get role: %w", err)
	}
	return r.role(), nil
}

// ListRoles returns every role, built-in ones first, then by name.
func (s *Users) ListRoles(ctx context.Context) ([]*domain.Role, error) {
	rows, err := s.query(ctx, `SELECT `+roleColumns+` FROM roles r ORDER BY r.builtin DESC, r.name`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	var out []*domain.Role
	for rows.Next() {
		var r roleRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		out = append(out, r.role())
	}
	return out, rows.Err()
}

// CreateRole stores a new (custom) role; a taken name is a conflict.
func (s *Users) CreateRole(ctx context.Context, r *domain.Role, evs ...*domain.AuditEvent) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		args := append([]any{r.Name, boolInt(r.Builtin)}, roleArgs(r)...)
		args = append(args, now, now)
		res, err := tx.Exec(ctx, `INSERT INTO roles (name, builtin, functions, scope, fields, idle_timeout,
			absolute_timeout, max_sessions, require_mfa, masked_lookup, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("insert role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("name", "a role with this name already exists")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// UpdateRole replaces a role's definition. Sessions read the role on every
// request, so the change applies to every user of the role at once.
func (s *Users) UpdateRole(ctx context.Context, r *domain.Role, evs ...*domain.AuditEvent) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		args := append(roleArgs(r), now, r.Name)
		res, err := tx.Exec(ctx, `UPDATE roles SET functions = ?, scope = ?, fields = ?, idle_timeout = ?,
			absolute_timeout = ?, max_sessions = ?, require_mfa = ?, masked_lookup = ?, version = version + 1, updated_at = ?
			WHERE name = ?`, args...)
		if err != nil {
			return fmt.Errorf("update role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("role")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// DeleteRole removes a custom role no user holds (a held role is a
// conflict; a built-in role is never deleted).
func (s *Users) DeleteRole(ctx context.Context, name string, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domain.Conflict("name", "%d users hold this role; give them another role first", n)
		}
		res, err := tx.Exec(ctx, `DELETE FROM roles WHERE name = ? AND builtin = 0`, name)
		if err != nil {
			return fmt.Errorf("delete role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("role")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// sortedIDs splits a comma-separated id list.
func sortedIDs(s sql.NullString) []domain.ID {
	if !s.Valid || s.String == "" {
		return nil
	}
	parts := strings.Split(s.String, ",")
	sort.Strings(parts)
	out := make([]domain.ID, len(parts))
	for i, p := range parts {
		out[i] = domain.ID(p)
	}
	return out
}

// userTerritoriesExpr aggregates a user's (alias u) territory ids.
func (s *DB) userTerritoriesExpr() string {
	if s.dialect == Postgres {
		return `(SELECT string_agg(ut.territory_id, ',') FROM user_territories ut WHERE ut.user_id = u.id)`
	}
	return `(SELECT group_concat(ut.territory_id, ',') FROM user_territories ut WHERE ut.user_id = u.id)`
}
