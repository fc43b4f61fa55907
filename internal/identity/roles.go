package identity

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Session policy bounds a role may set.
const (
	minIdleTimeout     = time.Minute
	maxIdleTimeout     = 24 * time.Hour
	minAbsoluteTimeout = 5 * time.Minute
	maxAbsoluteTimeout = 30 * 24 * time.Hour
	maxMaxSessions     = 100
)

// SessionPolicyInput sets a role's session policy; nil leaves a value as
// it is (or at its default for a new role).
type SessionPolicyInput struct {
	IdleTimeoutSeconds     *int `json:"idle_timeout_seconds"`
	AbsoluteTimeoutSeconds *int `json:"absolute_timeout_seconds"`
	MaxSessions            *int `json:"max_sessions"`
}

// RoleInput defines a custom role. Field classes left out get no access.
type RoleInput struct {
	Name       string              `json:"name"`
	Functions  []domain.Function   `json:"functions"`
	Scope      domain.Scope        `json:"scope"`
	Fields     map[string]string   `json:"fields"`
	Session    *SessionPolicyInput `json:"session"`
	RequireMFA bool                `json:"require_mfa"`
	// MaskedLookup names the classes (contact, identity, financial) whose
	// masked holders may look customers up by an exact value.
	MaskedLookup []domain.FieldClass `json:"masked_lookup"`
}

// RolePatch changes a role; nil leaves a part as it is. Built-in roles
// keep their functions, scope and field access (they are the documented
// defaults; make a custom role to differ) but their session policy and
// MFA requirement may change.
type RolePatch struct {
	Functions  *[]domain.Function  `json:"functions"`
	Scope      *domain.Scope       `json:"scope"`
	Fields     *map[string]string  `json:"fields"`
	Session    *SessionPolicyInput `json:"session"`
	RequireMFA *bool               `json:"require_mfa"`
	// MaskedLookup may change on a built-in role too.
	MaskedLookup *[]domain.FieldClass `json:"masked_lookup"`
}

// ListRoles returns every role. Authorization: roles.manage or
// users.manage.
func (s *Service) ListRoles(ctx context.Context) ([]*domain.Role, error) {
	if err := s.requireRoleReader(ctx); err != nil {
		return nil, err
	}
	return s.users.ListRoles(ctx)
}

// GetRole returns one role. Authorization: roles.manage or users.manage.
// Errors: not_found.
func (s *Service) GetRole(ctx context.Context, name string) (*domain.Role, error) {
	if err := s.requireRoleReader(ctx); err != nil {
		return nil, err
	}
	if !domain.ValidRoleName(name) {
		return nil, domain.NotFound("role")
	}
	return s.users.GetRole(ctx, name)
}

func (s *Service) requireRoleReader(ctx context.Context) error {
	a, err := policy.Actor(ctx)
	if err != nil {
		return err
	}
	if policy.Can(a, domain.FnRolesManage) || policy.Can(a, domain.FnUsersManage) {
		return nil
	}
	_, err = policy.Require(ctx, domain.FnRolesManage)
	return err
}

// CreateRole creates a custom role. Nobody grants functions they lack or
// a record scope wider than their own (see checkNoEscalation).
//
// Authorization: roles.manage, fresh. Errors: invalid (name, functions,
// scope, fields, session; field named), forbidden (escalation, field
// named), step_up_required, conflict (name taken).
func (s *Service) CreateRole(ctx context.Context, in *RoleInput) (*domain.Role, error) {
	if _, err := policy.Require(ctx, domain.FnRolesManage); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a, err := policy.RequireFresh(ctx, now, s.stepUp)
	if err != nil {
		return nil, err
	}
	if !domain.ValidRoleName(in.Name) {
		return nil, domain.Invalid("name", "a role name is 2 to 32 lower-case letters, digits and underscores, starting with a letter")
	}
	r := &domain.Role{Name: in.Name, IdleTimeout: policy.DefaultIdleTimeout, AbsoluteTimeout: policy.DefaultAbsoluteTimeout,
		MaxSessions: policy.DefaultMaxSessions, RequireMFA: in.RequireMFA}
	if err := applyFunctions(r, in.Functions); err != nil {
		return nil, err
	}
	if err := applyScope(r, in.Scope); err != nil {
		return nil, err
	}
	if err := applyFields(r, in.Fields); err != nil {
		return nil, err
	}
	if err := applySession(r, in.Session); err != nil {
		return nil, err
	}
	if err := applyMaskedLookup(r, in.MaskedLookup); err != nil {
		return nil, err
	}
	if err := checkNoEscalation(a, r); err != nil {
		return nil, err
	}
	ev := domain.NewAuditEvent(ctx, now, "role.create", "role", r.Name)
	ev.Fields = []string{"functions", "scope", "fields", "session", "require_mfa", "masked_lookup"}
	if err := s.users.CreateRole(ctx, r, ev); err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole changes a role; every user holding it is affected on their
// very next request.
//
// Authorization: roles.manage, fresh. Errors: as CreateRole, plus
// forbidden for a built-in role's permissions, not_found.
func (s *Service) UpdateRole(ctx context.Context, name string, p *RolePatch) (*domain.Role, error) {
	if _, err := policy.Require(ctx, domain.FnRolesManage); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a, err := policy.RequireFresh(ctx, now, s.stepUp)
	if err != nil {
		return nil, err
	}
	if !domain.ValidRoleName(name) {
		return nil, domain.NotFound("role")
	}
	cur, err := s.users.GetRole(ctx, name)
	if err != nil {
		return nil, err
	}
	r := cur.Clone()
	var fields []string
	if p.Functions != nil {
		if cur.Builtin {
			return nil, builtinRefusal("functions")
		}
		r.Functions = nil
		if err := applyFunctions(r, *p.Functions); err != nil {
			return nil, err
		}
		fields = append(fields, "functions")
	}
	if p.Scope != nil {
		if cur.Builtin {
			return nil, builtinRefusal("scope")
		}
		if err := applyScope(r, *p.Scope); err != nil {
			return nil, err
		}
		fields = append(fields, "scope")
	}
	if p.Fields != nil {
		if cur.Builtin {
			return nil, builtinRefusal("fields")
		}
		r.Fields = nil
		if err := applyFields(r, *p.Fields); err != nil {
			return nil, err
		}
		fields = append(fields, "fields")
	}
	if p.Session != nil {
		if err := applySession(r, p.Session); err != nil {
			return nil, err
		}
		fields = append(fields, "session")
	}
	if p.RequireMFA != nil {
		r.RequireMFA = *p.RequireMFA
		fields = append(fields, "require_mfa")
	}
	if p.MaskedLookup != nil {
		if err := applyMaskedLookup(r, *p.MaskedLookup); err != nil {
			return nil, err
		}
		fields = append(fields, "masked_lookup")
	}
	if len(fields) == 0 {
		return nil, domain.Invalid("", "nothing to change")
	}
	if err := checkNoEscalation(a, r); err != nil {
		return nil, err
	}
	ev := domain.NewAuditEvent(ctx, now, "role.update", "role", r.Name)
	ev.Fields = fields
	if err := s.users.UpdateRole(ctx, r, ev); err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRole deletes a custom role that no user holds.
//
// Authorization: roles.manage, fresh. Errors: forbidden (built-in),
// conflict (held by users), step_up_required, not_found.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	if _, err := policy.Require(ctx, domain.FnRolesManage); err != nil {
		return err
	}
	now := s.now().UTC()
	if _, err := policy.RequireFresh(ctx, now, s.stepUp); err != nil {
		return err
	}
	if !domain.ValidRoleName(name) {
		return domain.NotFound("role")
	}
	cur, err := s.users.GetRole(ctx, name)
	if err != nil {
		return err
	}
	if cur.Builtin {
		return domain.Forbidden("built-in roles cannot be deleted")
	}
	ev := domain.NewAuditEvent(ctx, now, "role.delete", "role", name)
	err = s.users.DeleteRole(ctx, name, ev)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.NotFound("role")
	}
	return err
}

func builtinRefusal(field string) error {
	return &domain.Error{Code: domain.CodeForbidden, Field: field,
		Message: "a built-in role keeps its " + field + "; create a custom role instead (its session policy and require_mfa may change)"}
}

func applyFunctions(r *domain.Role, fns []domain.Function) error {
	r.Functions = map[domain.Function]bool{}
	for _, f := range fns {
		if !domain.ValidFunction(f) {
			return domain.Invalid("functions", "unknown function %q; known functions: %v", clip(string(f), 40), domain.AllFunctions)
		}
		r.Functions[f] = true
	}
	return nil
}

func applyScope(r *domain.Role, sc domain.Scope) error {
	if !domain.ValidScope(sc) {
		return domain.Invalid("scope", "scope must be own, team, territory or all")
	}
	r.Scope = sc
	return nil
}

func applyFields(r *domain.Role, fields map[string]string) error {
	r.Fields = map[domain.FieldClass]domain.Access{}
	for _, c := range domain.AllFieldClasses {
		r.Fields[c] = domain.AccessNone
	}
	for k, v := range fields {
		c := domain.FieldClass(k)
		if !domain.ValidFieldClass(c) {
			return domain.Invalid("fields", "unknown field class %q; classes: %v", clip(k, 40), domain.AllFieldClasses)
		}
		acc, ok := domain.ParseAccess(v)
		if !ok {
			return domain.Invalid("fields", "access for %s must be none, masked, read or write", c)
		}
		r.Fields[c] = acc
	}
	return nil
}

func applyMaskedLookup(r *domain.Role, classes []domain.FieldClass) error {
	r.MaskedLookup = map[domain.FieldClass]bool{}
	for _, c := range classes {
		if !slices.Contains(domain.LookupClasses, c) {
			return domain.Invalid("masked_lookup", "masked_lookup takes classes customers are looked up by: %v", domain.LookupClasses)
		}
		r.MaskedLookup[c] = true
	}
	return nil
}

func applySession(r *domain.Role, in *SessionPolicyInput) error {
	if in == nil {
		return nil
	}
	if in.IdleTimeoutSeconds != nil {
		d := time.Duration(*in.IdleTimeoutSeconds) * time.Second
		if d < minIdleTimeout || d > maxIdleTimeout {
			return domain.Invalid("session.idle_timeout_seconds", "idle timeout must be from %d to %d seconds", int(minIdleTimeout.Seconds()), int(maxIdleTimeout.Seconds()))
		}
		r.IdleTimeout = d
	}
	if in.AbsoluteTimeoutSeconds != nil {
		d := time.Duration(*in.AbsoluteTimeoutSeconds) * time.Second
		if d < minAbsoluteTimeout || d > maxAbsoluteTimeout {
			return domain.Invalid("session.absolute_timeout_seconds", "absolute timeout must be from %d to %d seconds", int(minAbsoluteTimeout.Seconds()), int(maxAbsoluteTimeout.Seconds()))
		}
		r.AbsoluteTimeout = d
	}
	if in.MaxSessions != nil {
		if *in.MaxSessions < 1 || *in.MaxSessions > maxMaxSessions {
			return domain.Invalid("session.max_sessions", "max_sessions must be from 1 to %d", maxMaxSessions)
		}
		r.MaxSessions = *in.MaxSessions
	}
	if r.IdleTimeout > r.AbsoluteTimeout {
		return domain.Invalid("session.idle_timeout_seconds", "the idle timeout must not exceed the absolute timeout")
	}
	return nil
}

func scopeRank(s domain.Scope) int {
	switch s {
	case domain.ScopeAll:
		return 2
	case domain.ScopeTeam, domain.ScopeTerritory:
		return 1
	}
	return 0
}

// checkNoEscalation refuses a role that grants more than the caller's
// own: a function they lack or a wider record scope. Field access is not
// bounded by the caller's: administrators see personal data masked, yet
// they define the roles of those who work with it.
func checkNoEscalation(a *domain.Actor, r *domain.Role) error {
	if a.System {
		return nil
	}
	for f := range r.Functions {
		if !a.Role.Can(f) {
			return &domain.Error{Code: domain.CodeForbidden, Field: "functions", Message: "you may not grant " + string(f) + ": your role lacks it"}
		}
	}
	if scopeRank(r.Scope) > scopeRank(a.Role.Scope) {
		return &domain.Error{Code: domain.CodeForbidden, Field: "scope", Message: "you may not grant a wider record scope than your role's"}
	}
	return nil
}
