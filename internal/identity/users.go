package identity

import (
	"context"
	"errors"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// UserInput is what an administrator sends to create a user. A service
// account (kind "service") has no password and can only hold API tokens.
type UserInput struct {
	Email       string          `json:"email"`
	Password    string          `json:"password"`
	Role        string          `json:"role"`
	DisplayName string          `json:"display_name"`
	TeamID      domain.ID       `json:"team_id"`
	Kind        domain.UserKind `json:"kind"`
	// MustChangePassword makes the password a temporary one: the user
	// must choose their own at their first sign-in.
	MustChangePassword bool `json:"must_change_password"`
}

// CreateUser creates a user or service account.
//
// Authorization: users.manage. Errors: invalid (field named: email,
// password, role, display_name, team_id, kind), conflict (email taken).
func (s *Service) CreateUser(ctx context.Context, in *UserInput) (*domain.User, error) {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserCreate, "user", ""); err != nil {
		return nil, err
	}
	return s.createUser(ctx, in)
}

func (s *Service) createUser(ctx context.Context, in *UserInput) (*domain.User, error) {
	email, err := domain.NormalizeEmail("email", in.Email)
	if err != nil {
		return nil, err
	}
	name, err := domain.NormalizeName("display_name", in.DisplayName)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = email
	}
	kind := in.Kind
	switch kind {
	case "":
		kind = domain.UserPerson
	case domain.UserPerson, domain.UserService:
	default:
		return nil, domain.Invalid("kind", "kind must be person or service")
	}
	if _, err := s.role(ctx, "role", in.Role); err != nil {
		return nil, err
	}
	if in.TeamID != "" {
		if _, err := domain.ParseID(domain.KindTeam, "team_id", string(in.TeamID)); err != nil {
			return nil, err
		}
	}
	hash := ""
	fields := []string{"email", "display_name", "role", "kind"}
	if kind == domain.UserService {
		if in.Password != "" {
			return nil, domain.Invalid("password", "a service account has no password; it authenticates with API tokens")
		}
		if in.MustChangePassword {
			return nil, domain.Invalid("must_change_password", "a service account has no password to change")
		}
	} else {
		if err := CheckPassword("password", in.Password, email); err != nil {
			return nil, err
		}
		if hash, err = s.hasher.Hash(ctx, in.Password); err != nil {
			return nil, err
		}
		fields = append(fields, "password")
		if in.MustChangePassword {
			fields = append(fields, "must_change_password")
		}
	}
	now := s.now().UTC()
	u := &domain.User{
		ID: domain.NewIDAt(domain.KindUser, now), Email: email, DisplayName: name, Role: in.Role, Kind: kind,
		TeamID: in.TeamID, Status: domain.UserActive, PasswordHash: hash, MustChangePassword: in.MustChangePassword,
		CreatedAt: now, UpdatedAt: now,
	}
	ev := domain.NewAuditEvent(ctx, now, "user.create", "user", string(u.ID))
	ev.Fields = fields
	if err := s.users.CreateUser(ctx, u, ev); err != nil {
		return nil, err
	}
	return u, nil
}

// role looks a role up by name; an unknown name is invalid input on field.
func (s *Service) role(ctx context.Context, field, name string) (*domain.Role, error) {
	if name == "" {
		return nil, domain.Invalid(field, "%s is required", field)
	}
	if !domain.ValidRoleName(name) {
		return nil, domain.Invalid(field, "no role named %q", clip(name, 40))
	}
	r, err := s.users.GetRole(ctx, name)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.Invalid(field, "no role named %q", name)
	}
	return r, err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// CreateFirstAdmin creates the first administrator of a fresh install. It
// refuses when any user exists. It runs as the system (no actor needed).
func (s *Service) CreateFirstAdmin(ctx context.Context, email, password string) (*domain.User, error) {
	n, err := s.users.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, domain.Conflict("", "users already exist")
	}
	return s.createUser(ctx, &UserInput{Email: email, Password: password, Role: domain.RoleAdmin, DisplayName: "Administrator"})
}

// GetUser returns a user. Authorization: users.manage, or the user
// themself. Errors: not_found.
func (s *Service) GetUser(ctx context.Context, id domain.ID) (*domain.User, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID != id {
		if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserRead, "user", id); err != nil {
			return nil, err
		}
	}
	return s.users.GetUser(ctx, id)
}

// UserTerritories returns the territories a user is assigned to.
// Authorization: as GetUser.
func (s *Service) UserTerritories(ctx context.Context, id domain.ID) ([]domain.ID, error) {
	if _, err := s.GetUser(ctx, id); err != nil {
		return nil, err
	}
	return s.users.UserTerritories(ctx, id)
}

// ListUsers returns a page of users. Authorization: users.manage.
func (s *Service) ListUsers(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.User], error) {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserList, "user", ""); err != nil {
		return domain.Page[*domain.User]{}, err
	}
	return s.users.ListUsers(ctx, cursor, limit)
}

// UserPatch lists user fields an administrator changes; nil leaves a
// field as it is.
type UserPatch struct {
	DisplayName  *string            `json:"display_name"`
	Role         *string            `json:"role"`
	TeamID       *domain.ID         `json:"team_id"`
	Status       *domain.UserStatus `json:"status"`
	TerritoryIDs *[]domain.ID       `json:"territory_ids"`
}

// UpdateUser changes a user's name, role, team, territories or status
// (disabling a user ends their sessions; their API tokens stop working
// with the status check). Every change takes effect on the user's very
// next request.
//
// Authorization: users.manage, fresh (step-up: this changes permissions
// or disables someone). An administrator may not change their own role or
// status (no locking oneself out). Errors: invalid (field named),
// forbidden, step_up_required, not_found.
func (s *Service) UpdateUser(ctx context.Context, id domain.ID, p *UserPatch) (*domain.User, error) {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserUpdate, "user", id); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a, err := policy.RequireFresh(ctx, now, s.stepUp)
	if err != nil {
		return nil, err
	}
	var up domain.UserUpdate
	var fields []string
	if p.DisplayName != nil {
		name, err := domain.NormalizeName("display_name", *p.DisplayName)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, domain.Invalid("display_name", "display_name must not be empty")
		}
		up.DisplayName, fields = &name, append(fields, "display_name")
	}
	if p.Role != nil {
		if _, err := s.role(ctx, "role", *p.Role); err != nil {
			return nil, err
		}
		if id == a.UserID {
			return nil, domain.ForbiddenField("role")
		}
		up.Role, fields = p.Role, append(fields, "role")
	}
	if p.TeamID != nil {
		if *p.TeamID != "" {
			if _, err := domain.ParseID(domain.KindTeam, "team_id", string(*p.TeamID)); err != nil {
				return nil, err
			}
		}
		up.TeamID, fields = p.TeamID, append(fields, "team_id")
	}
	if p.Status != nil {
		if *p.Status != domain.UserActive && *p.Status != domain.UserDisabled {
			return nil, domain.Invalid("status", "status must be active or disabled")
		}
		if id == a.UserID {
			return nil, domain.ForbiddenField("status")
		}
		up.Status, fields = p.Status, append(fields, "status")
		up.RevokeSessions = *p.Status == domain.UserDisabled
	}
	if p.TerritoryIDs != nil {
		ids := *p.TerritoryIDs
		if len(ids) > 100 {
			return nil, domain.Invalid("territory_ids", "at most 100 territories")
		}
		for _, t := range ids {
			if _, err := domain.ParseID(domain.KindTerritory, "territory_ids", string(t)); err != nil {
				return nil, err
			}
		}
		up.Territories, fields = &ids, append(fields, "territory_ids")
	}
	if len(fields) == 0 {
		return nil, domain.Invalid("", "nothing to change")
	}
	action := "user.update"
	if p.Status != nil && *p.Status == domain.UserDisabled {
		action = "user.disable"
	}
	ev := domain.NewAuditEvent(ctx, now, action, "user", string(id))
	ev.Fields = fields
	if err := s.users.UpdateUser(ctx, id, up, ev); err != nil {
		return nil, err
	}
	return s.users.GetUser(ctx, id)
}

// ResetPassword forces a user to set a new password: they may sign in
// with their current password (or temporary, when given) and must change
// it before doing anything else; their sessions end now.
//
// Authorization: users.manage, fresh. Errors: invalid (temporary_password
// against the policy), forbidden (a service account), step_up_required,
// not_found.
func (s *Service) ResetPassword(ctx context.Context, id domain.ID, temporary string) error {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserUpdate, "user", id); err != nil {
		return err
	}
	now := s.now().UTC()
	if _, err := policy.RequireFresh(ctx, now, s.stepUp); err != nil {
		return err
	}
	u, err := s.users.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if u.Kind == domain.UserService {
		return domain.Forbidden("a service account has no password")
	}
	must := true
	up := domain.UserUpdate{MustChangePassword: &must, RevokeSessions: true}
	fields := []string{"must_change_password"}
	if temporary != "" {
		if err := CheckPassword("temporary_password", temporary, u.Email); err != nil {
			return err
		}
		h, err := s.hasher.Hash(ctx, temporary)
		if err != nil {
			return err
		}
		up.PasswordHash, fields = &h, append(fields, "password")
	}
	ev := domain.NewAuditEvent(ctx, now, "user.password_reset", "user", string(id))
	ev.Fields = fields
	return s.users.UpdateUser(ctx, id, up, ev)
}

// ChangePassword sets the caller's new password after checking the
// current one. Their other sessions end; this one stays and counts as
// freshly authenticated.
//
// Authorization: the caller's own session (allowed while a password
// change is pending; not an API token). Errors: invalid (new_password
// against the policy, or equal to the current one), forbidden (wrong
// current password, field current_password), rate_limited.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return err
	}
	if a.Pending != domain.PendingNone && a.Pending != domain.PendingPasswordChange {
		if _, err := policy.Actor(ctx); err != nil {
			return err
		}
	}
	if err := policy.RequireSession(a); err != nil {
		return err
	}
	if current == "" {
		return domain.Invalid("current_password", "current_password is required")
	}
	if err := checkPresented("current_password", current); err != nil {
		return err
	}
	u, err := s.users.GetUser(ctx, a.UserID)
	if err != nil {
		return err
	}
	if err := CheckPassword("new_password", next, u.Email); err != nil {
		return err
	}
	now := s.now().UTC()
	account, src := throttleBuckets(u.Email, domain.RequestInfoFrom(ctx).SourceIP)
	if err := s.checkThrottle(ctx, now, u.ID, account, src); err != nil {
		return err
	}
	ok := false
	if len(current) <= 4*MaxPasswordLen {
		if ok, _, err = s.hasher.Verify(ctx, u.PasswordHash, current); err != nil {
			return err
		}
	}
	if !ok {
		ev := domain.NewAuditEvent(ctx, now, "auth.password_change", "user", string(u.ID))
		ev.Outcome, ev.Reason = domain.OutcomeDenied, "wrong current password"
		s.record(ctx, ev)
		s.recordFailure(ctx, now, account, src)
		return errWrongPassword("current_password")
	}
	if current == next {
		return domain.Invalid("new_password", "the new password must differ from the current one")
	}
	h, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	must := false
	ev := domain.NewAuditEvent(ctx, now, "auth.password_change", "user", string(u.ID))
	ev.Fields = []string{"password"}
	if err := s.users.UpdateUser(ctx, u.ID, domain.UserUpdate{PasswordHash: &h, MustChangePassword: &must,
		RevokeSessions: true, KeepSession: a.SessionID}, ev); err != nil {
		return err
	}
	s.clearThrottle(ctx, account)
	return s.sessions.MarkSessionAuthenticated(ctx, a.SessionID, now, a.MFA)
}

// ResetUserMFA removes every second factor of a user who lost theirs;
// they sign in with their password alone (and, if their role requires a
// second factor, must enroll one first). Their sessions end.
//
// Authorization: users.manage, fresh. Errors: step_up_required,
// forbidden, not_found.
func (s *Service) ResetUserMFA(ctx context.Context, id domain.ID) error {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserUpdate, "user", id); err != nil {
		return err
	}
	now := s.now().UTC()
	if _, err := policy.RequireFresh(ctx, now, s.stepUp); err != nil {
		return err
	}
	if _, err := s.users.GetUser(ctx, id); err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, now, "user.mfa_reset", "user", string(id))
	if err := s.factors.ResetMFA(ctx, id, ev); err != nil {
		return err
	}
	return s.sessions.RevokeUserSessions(ctx, id, now)
}

// UserByEmail finds a user by email (operator commands name users by
// email). Authorization: users.manage. Errors: invalid (email),
// not_found.
func (s *Service) UserByEmail(ctx context.Context, email string) (*domain.User, error) {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserRead, "user", ""); err != nil {
		return nil, err
	}
	e, err := domain.NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	return s.users.GetUserByEmail(ctx, e)
}
