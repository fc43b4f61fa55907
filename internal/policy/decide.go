package policy

import (
	"context"
	"sort"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// Actor returns the authenticated actor in ctx or an unauthenticated
// error. A session with a pending step (a password to change, a second
// factor to enroll) is refused with that step's code: it may do nothing
// else until the step is done (see SignedIn).
func Actor(ctx context.Context) (*domain.Actor, error) {
	a, err := SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	if err := pendingError(a.Pending); err != nil {
		return nil, err
	}
	return a, nil
}

// SignedIn returns the authenticated actor in ctx even when its session
// has a pending step. Only the operations that complete the step (and
// looking at oneself, signing out) use it.
func SignedIn(ctx context.Context) (*domain.Actor, error) {
	a := domain.ActorFrom(ctx)
	if a == nil || a.Role == nil {
		return nil, domain.Unauthenticated("sign in first")
	}
	return a, nil
}

func pendingError(p domain.Pending) error {
	switch p {
	case domain.PendingNone:
		return nil
	case domain.PendingPasswordChange:
		return &domain.Error{Code: domain.CodePasswordChangeRequired,
			Message: "an administrator reset your password: set a new one at POST /api/v1/auth/password first"}
	case domain.PendingMFAEnrollment:
		return &domain.Error{Code: domain.CodeMFAEnrollmentRequired,
			Message: "your role requires a second factor: enroll one at POST /api/v1/mfa/totp or POST /api/v1/mfa/webauthn/register first"}
	}
	return domain.Forbidden("this session may not act yet")
}

// Require returns the actor in ctx if their role grants fn and their token
// (if any) carries a scope covering fn.
func Require(ctx context.Context, fn domain.Function) (*domain.Actor, error) {
	a, err := Actor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.Role.Can(fn) {
		return nil, domain.Forbidden("your role may not %s", describe(fn))
	}
	if a.Scopes != nil && !TokenAllows(a.Scopes, fn) {
		return nil, domain.Forbidden("this token's scopes do not cover %s", fn)
	}
	return a, nil
}

// Can reports whether the actor may perform fn (role and token scopes).
func Can(a *domain.Actor, fn domain.Function) bool {
	if a == nil || !a.Role.Can(fn) {
		return false
	}
	return a.Scopes == nil || TokenAllows(a.Scopes, fn)
}

func describe(fn domain.Function) string {
	obj, verb, _ := strings.Cut(string(fn), ".")
	return verb + " " + obj
}

// scopeFunctions maps API token scopes to the functions they cover. A
// token never exceeds its owner's role: both must allow a function.
var scopeFunctions = map[string][]domain.Function{
	"customers:read":  {domain.FnCustomersRead},
	"customers:write": {domain.FnCustomersRead, domain.FnCustomersCreate, domain.FnCustomersUpdate, domain.FnCustomersDelete},
	"customers:*":     {domain.FnCustomersRead, domain.FnCustomersCreate, domain.FnCustomersUpdate, domain.FnCustomersDelete},
	"deals:read":      {domain.FnDealsRead},
	"deals:write":     {domain.FnDealsRead, domain.FnDealsWrite},
	"deals:*":         {domain.FnDealsRead, domain.FnDealsWrite},
	"visits:read":     {domain.FnVisitsRead},
	"visits:write":    {domain.FnVisitsRead, domain.FnVisitsWrite},
	"visits:*":        {domain.FnVisitsRead, domain.FnVisitsWrite},
	"notes:read":      {domain.FnNotesRead},
	"notes:write":     {domain.FnNotesRead, domain.FnNotesWrite},
	"notes:*":         {domain.FnNotesRead, domain.FnNotesWrite},
	"export":          {domain.FnCustomersExport},
	"import":          {domain.FnCustomersImport},
	"reveal":          {domain.FnReveal},
	"audit:read":      {domain.FnAuditRead},
	"admin":           {domain.FnUsersManage, domain.FnRolesManage, domain.FnTeamsManage, domain.FnKeysManage, domain.FnCustomersErase},
	"pool":            {domain.FnPoolClaim, domain.FnPoolManage},
}

// TokenScopes lists every scope a token may carry, sorted.
func TokenScopes() []string {
	out := make([]string, 0, len(scopeFunctions))
	for s := range scopeFunctions {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ValidTokenScope reports whether s is a known token scope.
func ValidTokenScope(s string) bool {
	_, ok := scopeFunctions[s]
	return ok
}

// TokenAllows reports whether any of scopes covers fn.
func TokenAllows(scopes []string, fn domain.Function) bool {
	for _, s := range scopes {
		for _, f := range scopeFunctions[s] {
			if f == fn {
				return true
			}
		}
	}
	return false
}

// ScopeFunctions returns the functions a token scope covers.
func ScopeFunctions(scope string) []domain.Function {
	return append([]domain.Function(nil), scopeFunctions[scope]...)
}

// RecordScope returns the records the actor reaches.
func RecordScope(a *domain.Actor) domain.RecordScope {
	if a == nil || a.Role == nil {
		return domain.RecordScope{Nothing: true}
	}
	if a.System {
		return domain.RecordScope{}
	}
	switch a.Role.Scope {
	case domain.ScopeAll:
		return domain.RecordScope{}
	case domain.ScopeTeam:
		if a.TeamID == "" {
			return domain.RecordScope{OwnerID: a.UserID}
		}
		return domain.RecordScope{TeamID: a.TeamID}
	case domain.ScopeTerritory:
		if len(a.Territories) == 0 {
			return domain.RecordScope{Nothing: true}
		}
		return domain.RecordScope{Territories: a.Territories}
	default:
		return domain.RecordScope{OwnerID: a.UserID}
	}
}

// InScope reports whether a record owned by ownerID in team teamID at
// region (province, city) is reachable by the actor. Point reads use it;
// lists push RecordScope into the query instead.
func InScope(a *domain.Actor, ownerID, teamID domain.ID, inTerritory bool) bool {
	sc := RecordScope(a)
	switch {
	case sc.Nothing:
		return false
	case sc.OwnerID != "":
		return ownerID == sc.OwnerID
	case sc.TeamID != "":
		return teamID == sc.TeamID
	case len(sc.Territories) > 0:
		return inTerritory
	}
	return true
}

// FieldAccess returns the actor's access to a field class. The system
// actor writes everything.
func FieldAccess(a *domain.Actor, class domain.FieldClass) domain.Access {
	if a == nil {
		return domain.AccessNone
	}
	if a.System {
		return domain.AccessWrite
	}
	return a.Role.FieldAccess(class)
}
