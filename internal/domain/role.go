package domain

import "time"

// Function is something a role may do, independent of which records.
type Function string

// Functions granted by roles.
const (
	FnCustomersRead   Function = "customers.read"
	FnCustomersCreate Function = "customers.create"
	FnCustomersUpdate Function = "customers.update"
	FnCustomersDelete Function = "customers.delete"
	FnCustomersExport Function = "customers.export"
	FnCustomersImport Function = "customers.import"
	FnCustomersErase  Function = "customers.erase" // crypto-shredding: cannot be undone
	FnDealsRead       Function = "deals.read"
	FnDealsWrite      Function = "deals.write"
	FnVisitsRead      Function = "visits.read"
	FnVisitsWrite     Function = "visits.write"
	FnNotesRead       Function = "notes.read" // notes and tasks
	FnNotesWrite      Function = "notes.write"
	FnReveal          Function = "fields.reveal"
	FnUsersManage     Function = "users.manage"
	FnRolesManage     Function = "roles.manage"
	FnTeamsManage     Function = "teams.manage"
	FnAuditRead       Function = "audit.read"
	FnKeysManage      Function = "keys.manage"
	FnDataCheck       Function = "data.check"  // check every stored record's integrity (ids and reasons only)
	FnPoolClaim       Function = "pool.claim"  // see the pool (masked), claim from it, release one's own customers
	FnPoolManage      Function = "pool.manage" // assign and reclaim in scope, set the team's pool rules, run the return
)

// AllFunctions lists every function, in a stable order.
var AllFunctions = []Function{
	FnCustomersRead, FnCustomersCreate, FnCustomersUpdate, FnCustomersDelete,
	FnCustomersExport, FnCustomersImport, FnCustomersErase, FnDealsRead, FnDealsWrite,
	FnVisitsRead, FnVisitsWrite, FnNotesRead, FnNotesWrite, FnReveal,
	FnUsersManage, FnRolesManage, FnTeamsManage, FnAuditRead, FnKeysManage, FnDataCheck,
	FnPoolClaim, FnPoolManage,
}

// Scope bounds which records a role reaches.
type Scope string

// Record scopes, from narrowest to widest.
const (
	ScopeOwn       Scope = "own"       // records the user owns
	ScopeTeam      Scope = "team"      // records owned by anyone in the user's team
	ScopeTerritory Scope = "territory" // records in the user's territories (regions)
	ScopeAll       Scope = "all"
)

// Access is what a role may do with one class of fields. Levels are
// ordered: each includes the ones before it.
type Access int

// Field access levels.
const (
	AccessNone   Access = iota // the field is absent from responses
	AccessMasked               // the field is shown masked (138****5678)
	AccessRead                 // the field is shown in full
	AccessWrite                // the field may also be set
)

func (a Access) String() string {
	switch a {
	case AccessMasked:
		return "masked"
	case AccessRead:
		return "read"
	case AccessWrite:
		return "write"
	}
	return "none"
}

// ParseAccess parses an access level name.
func ParseAccess(s string) (Access, bool) {
	switch s {
	case "none":
		return AccessNone, true
	case "masked":
		return AccessMasked, true
	case "read":
		return AccessRead, true
	case "write":
		return AccessWrite, true
	}
	return AccessNone, false
}

// Built-in role names.
const (
	RoleAdmin        = "admin"
	RoleSalesManager = "sales_manager"
	RoleSalesRep     = "sales_rep"
	RoleFinance      = "finance"
	RoleService      = "service"
	RoleAuditor      = "auditor"
)

// Role grants functions, a record scope and per-class field access.
type Role struct {
	Name      string
	Builtin   bool
	Functions map[Function]bool
	Scope     Scope
	Fields    map[FieldClass]Access
	// MaskedLookup names the lookup classes (contact, identity, financial)
	// whose masked holders may still look customers up by an exact value
	// (a phone, an ID number). Such a lookup confirms that the value
	// belongs to some customer, so it is opt-in per class and
	// rate-limited; holders of read or write access may always look up.
	MaskedLookup map[FieldClass]bool
	// Session policy.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	MaxSessions     int
	RequireMFA      bool
}

// Can reports whether the role grants fn.
func (r *Role) Can(fn Function) bool {
	return r != nil && r.Functions[fn]
}

// LookupClasses are the field classes customers may be looked up by
// exactly: contact (phone, email), identity (ID numbers), financial (tax
// ids).
var LookupClasses = []FieldClass{ClassContact, ClassIdentity, ClassFinancial}

// Lookup says whether and how the role may look customers up by an exact
// value of class: not at all (no access, or masked access without
// MaskedLookup), limited (masked access with MaskedLookup: rate-limited),
// or freely (read or write access).
func (r *Role) Lookup(class FieldClass) (allowed, limited bool) {
	switch a := r.FieldAccess(class); {
	case a >= AccessRead:
		return true, false
	case a == AccessMasked && r.MaskedLookup[class]:
		return true, true
	}
	return false, false
}

// FieldAccess returns the role's access to class. The public class is
// always at least readable.
func (r *Role) FieldAccess(class FieldClass) Access {
	if r == nil {
		return AccessNone
	}
	a := r.Fields[class]
	if class == ClassPublic && a < AccessRead {
		return AccessRead
	}
	return a
}
