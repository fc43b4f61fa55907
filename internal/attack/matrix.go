package attack

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Relation is how a record (or user) relates to the caller.
type Relation string

// Relations of a record to the caller. RelNone marks cells where the
// relation does not apply (collections, the caller's own settings).
const (
	RelNone  Relation = ""
	RelOwn   Relation = "own"
	RelTeam  Relation = "team"
	RelOther Relation = "other"
)

// AllRelations lists the record relations in order.
var AllRelations = []Relation{RelOwn, RelTeam, RelOther}

// Anonymous is the caller without credentials.
const Anonymous = "anonymous"

// InScope reports whether a role of scope reaches a record in relation
// rel to the caller (every actor of the suite is in the owner's team for
// RelTeam, in another team for RelOther).
func InScope(scope domain.Scope, rel Relation) bool {
	switch scope {
	case domain.ScopeAll:
		return true
	case domain.ScopeTeam:
		return rel == RelOwn || rel == RelTeam || rel == RelNone
	case domain.ScopeOwn:
		return rel == RelOwn || rel == RelNone
	}
	return false
}

// Rule is how a route decides, in the order the service layer checks:
// the function, then (for creates) the fields written, the record scope,
// the fields written, the class the action destroys.
type Rule struct {
	// Public routes need no credential; AnonStatus is what the suite's
	// anonymous request gets (bad credentials).
	Public     bool
	AnonStatus int
	// Fn is the function the route needs ("" = any signed-in session).
	Fn domain.Function
	// Denied is the status without Fn (default 403); some routes answer
	// 404 so that others' sessions and tokens cannot be probed.
	Denied int
	// SelfFree lets the caller act on their own user, session or token
	// without Fn (RelOwn cells).
	SelfFree bool
	// Scoped routes reach a record through its customer; OutOfScope is
	// the answer when the caller's scope does not reach it (default 404).
	Scoped     bool
	OutOfScope int
	// WriteFirst: the fields written are checked before the scope (the
	// creates that name customer_id in their body).
	WriteFirst bool
	// Pool: the record is a customer of the pool, which own- and
	// team-scoped roles reach in their team's pool (RelTeam) and
	// all-scoped roles in every team's (RelOther too).
	Pool bool
	// OwnerOnly: only the record's owner acts on it (RelOwn); anyone
	// else, whatever their scope, gets 404.
	OwnerOnly bool
	// Owns is a class the caller must write to destroy the record.
	Owns domain.FieldClass
	// SessionOnly routes manage credentials: API tokens are refused (403)
	// whatever their scopes.
	SessionOnly bool
	// OK is the success status.
	OK int
}

// Variant is one version of a cell's request: which field classes its
// body writes, or which field it reveals (ReadClasses: access none is
// forbidden).
type Variant struct {
	Name        string
	Writes      []domain.FieldClass
	ReadClasses []domain.FieldClass
}

// Expect returns the status a role (nil: anonymous) should get from a
// route with rule r, for a record in relation rel, sending variant v.
func (r Rule) Expect(role *domain.Role, rel Relation, v Variant) int {
	if role == nil {
		if r.Public {
			return r.AnonStatus
		}
		return http.StatusUnauthorized
	}
	if r.Fn != "" && !role.Can(r.Fn) && !(r.SelfFree && rel == RelOwn) {
		if r.Denied != 0 {
			return r.Denied
		}
		return http.StatusForbidden
	}
	writeOK := true
	for _, c := range v.Writes {
		if role.FieldAccess(c) < domain.AccessWrite {
			writeOK = false
		}
	}
	if r.WriteFirst && !writeOK {
		return http.StatusForbidden
	}
	if r.OwnerOnly && rel != RelOwn {
		return http.StatusNotFound
	}
	if r.Scoped && !r.reaches(role.Scope, rel) {
		if r.OutOfScope != 0 {
			return r.OutOfScope
		}
		return http.StatusNotFound
	}
	if !writeOK {
		return http.StatusForbidden
	}
	for _, c := range v.ReadClasses {
		if role.FieldAccess(c) == domain.AccessNone {
			return http.StatusForbidden
		}
	}
	if r.Owns != "" && role.FieldAccess(r.Owns) < domain.AccessWrite {
		return http.StatusForbidden
	}
	return r.OK
}

// reaches reports whether a role of scope reaches the route's record in
// relation rel (a pool customer for Pool routes).
func (r Rule) reaches(scope domain.Scope, rel Relation) bool {
	if !r.Pool {
		return InScope(scope, rel)
	}
	return scope == domain.ScopeAll || rel == RelTeam || rel == RelNone
}

// TokenCaller is an API token of a role's actor with some scopes: it
// reaches what both its scopes and the role allow.
type TokenCaller struct {
	Role   string
	Scopes []string
}

// Name names the caller in reports and maps.
func (t TokenCaller) Name() string {
	return fmt.Sprintf("%s's API token [%s]", t.Role, strings.Join(t.Scopes, " "))
}

// TokenCallers are the API tokens the matrix calls with, besides
// sessions: a narrow token of an administrator, a read-only token of a
// manager, and finance's deals token.
var TokenCallers = []TokenCaller{
	{Role: domain.RoleAdmin, Scopes: []string{"audit:read"}},
	{Role: domain.RoleSalesManager, Scopes: []string{"customers:read"}},
	{Role: domain.RoleFinance, Scopes: []string{"deals:write"}},
}

// EffectiveRole returns role restricted to the functions scopes cover.
func EffectiveRole(role *domain.Role, scopes []string) *domain.Role {
	cp := *role
	cp.Functions = map[domain.Function]bool{}
	for f, ok := range role.Functions {
		if ok && policy.TokenAllows(scopes, f) {
			cp.Functions[f] = true
		}
	}
	return &cp
}

// ExpectToken is Expect for an API token.
func (r Rule) ExpectToken(role *domain.Role, scopes []string, rel Relation, v Variant) int {
	if r.SessionOnly {
		return http.StatusForbidden
	}
	return r.Expect(EffectiveRole(role, scopes), rel, v)
}

// Cell is one request of the access matrix.
type Cell struct {
	Route   RouteInfo
	Role    string       // a built-in role, or Anonymous
	Token   *TokenCaller // set: the caller is this API token of Role's actor
	Rel     Relation
	Variant Variant
	Want    int
}

// Caller names who sends the cell's request.
func (c Cell) Caller() string {
	if c.Token != nil {
		return c.Token.Name()
	}
	return c.Role
}

func (c Cell) String() string {
	s := fmt.Sprintf("%s as %s", c.Route.Key(), c.Caller())
	if c.Rel != RelNone {
		s += " on " + string(c.Rel) + " record"
	}
	if c.Variant.Name != "" {
		s += " [" + c.Variant.Name + "]"
	}
	return s
}

// GenerateCells builds the matrix: every route of the table, every
// built-in role and the anonymous caller, every relation the route's
// recipe takes, every variant. Routes without a recipe are returned
// apart: the run fails on them, so a new route cannot go untested.
func GenerateCells(routes []RouteInfo, recipes map[string]*Recipe, roles map[string]*domain.Role) (cells []Cell, uncovered []string) {
	names := append([]string(nil), policy.BuiltinRoleNames...)
	for _, rt := range routes {
		rc, ok := recipes[rt.Key()]
		if !ok {
			uncovered = append(uncovered, rt.Key())
			continue
		}
		variants := rc.Variants
		if len(variants) == 0 {
			variants = []Variant{{}}
		}
		rels := rc.Relations
		if len(rels) == 0 {
			rels = []Relation{RelNone}
		}
		// The anonymous caller: one cell per route.
		cells = append(cells, Cell{Route: rt, Role: Anonymous, Rel: rels[0], Variant: variants[0],
			Want: rc.Rule.Expect(nil, rels[0], variants[0])})
		for _, name := range names {
			role := roles[name]
			for _, rel := range rels {
				if rel == RelOwn && !canOwn(name, rc) {
					continue
				}
				for _, v := range variants {
					cells = append(cells, Cell{Route: rt, Role: name, Rel: rel, Variant: v, Want: rc.Rule.Expect(role, rel, v)})
				}
			}
		}
		if rt.Public {
			continue
		}
		for i := range TokenCallers {
			tc := &TokenCallers[i]
			role := roles[tc.Role]
			for _, rel := range rels {
				if rel == RelOwn && !canOwn(tc.Role, rc) {
					continue
				}
				for _, v := range variants {
					cells = append(cells, Cell{Route: rt, Role: tc.Role, Token: tc, Rel: rel, Variant: v,
						Want: rc.Rule.ExpectToken(role, tc.Scopes, rel, v)})
				}
			}
		}
	}
	sort.Strings(uncovered)
	return cells, uncovered
}

// canOwn reports whether the role's actor has records of its own for a
// recipe: customer records belong to reps and managers only; the
// caller's own user, sessions and tokens exist for everyone.
func canOwn(role string, rc *Recipe) bool {
	if !rc.Rule.Scoped {
		return true
	}
	return role == domain.RoleSalesRep || role == domain.RoleSalesManager
}
