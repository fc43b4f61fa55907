package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/custoscrm/custos/internal/domain"
)

// Every authenticated request reads its user and role afresh, so that
// disabling a user or changing a role applies to the very next request
// on every node. Reading the role costs a join and a parse per request,
// so roles are cached in memory keyed by a stamp read with the user:
// the role's version (bumped on every change) and creation time (a role
// deleted and created again restarts at version 1). A changed role has a
// new stamp, and the next request reads it.

type cachedRole struct {
	version, created int64
	role             *domain.Role
}

type roleCache struct {
	mu sync.RWMutex
	m  map[string]cachedRole
}

// authUser reads user id with its role (nil when the role does not exist)
// and, for territory-scoped roles, its territories. Callers must not
// modify the role: it is shared.
func (s *DB) authUser(ctx context.Context, id string) (domain.User, *domain.Role, []domain.ID, error) {
	var ur userRow
	var version, created sql.NullInt64
	err := s.queryRow(ctx, `SELECT `+userColumns+`, (SELECT r.version FROM roles r WHERE r.name = u.role),
		(SELECT r.created_at FROM roles r WHERE r.name = u.role) FROM users u WHERE u.id = ?`, id).
		Scan(append(ur.dest(), &version, &created)...)
	if err != nil {
		return domain.User{}, nil, nil, err
	}
	u := ur.user()
	if !version.Valid {
		return u, nil, nil, nil
	}
	role, err := s.cachedRole(ctx, u.Role, version.Int64, created.Int64)
	if err != nil || role == nil {
		return u, nil, nil, err
	}
	var territories []domain.ID
	if role.Scope == domain.ScopeTerritory {
		var ts sql.NullString
		if err := s.queryRow(ctx, `SELECT `+s.userTerritoriesExpr()+` FROM users u WHERE u.id = ?`, id).Scan(&ts); err != nil {
			return u, nil, nil, fmt.Errorf("read territories: %w", err)
		}
		territories = sortedIDs(ts)
	}
	return u, role, territories, nil
}

func (s *DB) cachedRole(ctx context.Context, name string, version, created int64) (*domain.Role, error) {
	s.roleCache.mu.RLock()
	c, ok := s.roleCache.m[name]
	s.roleCache.mu.RUnlock()
	if ok && c.version == version && c.created == created {
		return c.role, nil
	}
	var r roleRow
	var rcreated sql.NullInt64
	err := s.queryRow(ctx, `SELECT `+roleColumns+`, r.created_at FROM roles r WHERE r.name = ?`, name).Scan(append(r.dest(), &rcreated)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read role: %w", err)
	}
	role := r.role()
	s.roleCache.mu.Lock()
	if s.roleCache.m == nil {
		s.roleCache.m = map[string]cachedRole{}
	}
	s.roleCache.m[name] = cachedRole{version: r.version.Int64, created: rcreated.Int64, role: role}
	s.roleCache.mu.Unlock()
	return role, nil
}
