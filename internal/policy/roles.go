// Package policy decides what an actor may do: which functions their role
// grants, which records their scope reaches, and how each field class is
// shown to them (hidden, masked, in full, writable). Services call it for
// every request; nothing else makes these decisions.
package policy

import (
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Session policy defaults.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	DefaultMaxSessions     = 5
)

func fns(list ...domain.Function) map[domain.Function]bool {
	m := make(map[domain.Function]bool, len(list))
	for _, f := range list {
		m[f] = true
	}
	return m
}

func role(name string, scope domain.Scope, functions map[domain.Function]bool, fields map[domain.FieldClass]domain.Access) *domain.Role {
	return &domain.Role{
		Name: name, Builtin: true, Scope: scope, Functions: functions, Fields: fields,
		IdleTimeout: DefaultIdleTimeout, AbsoluteTimeout: DefaultAbsoluteTimeout, MaxSessions: DefaultMaxSessions,
	}
}

// BuiltinRoles returns fresh copies of the built-in roles. The defaults
// follow who uses Custos:
//
//   - admin manages users, roles, teams, keys and the audit log, and every
//     record, but sees personal data masked unless revealed;
//   - sales_manager works the team's customers in full, including
//     identity documents, sees financial identifiers masked, and runs the
//     team's customer pool (assigns, reclaims, sets its rules);
//   - sales_rep works their own customers, reads and writes their contact
//     data, sees identity documents masked and no financial identifiers,
//     and claims customers from the team's pool;
//   - finance reads and writes financial fields and amounts everywhere,
//     reads identity documents (invoices, tax filings), sees contact data
//     masked and cannot change visits;
//   - service answers any customer with contact data masked (reveal on
//     need);
//   - auditor reads the audit log and no personal data.
func BuiltinRoles() map[string]*domain.Role {
	const (
		none   = domain.AccessNone
		masked = domain.AccessMasked
		read   = domain.AccessRead
		write  = domain.AccessWrite
	)
	// access lists a role's level for each class in the order
	// public, contact, identity, financial, amount, note, location.
	access := func(pub, con, idt, fin, amt, note, loc domain.Access) map[domain.FieldClass]domain.Access {
		return map[domain.FieldClass]domain.Access{
			domain.ClassPublic: pub, domain.ClassContact: con, domain.ClassIdentity: idt,
			domain.ClassFinancial: fin, domain.ClassAmount: amt, domain.ClassNote: note, domain.ClassLocation: loc,
		}
	}
	roles := []*domain.Role{
		role(domain.RoleAdmin, domain.ScopeAll, fns(domain.AllFunctions...),
			access(write, masked, masked, masked, write, masked, masked)),
		role(domain.RoleSalesManager, domain.ScopeTeam, fns(
			domain.FnCustomersRead, domain.FnCustomersCreate, domain.FnCustomersUpdate, domain.FnCustomersDelete,
			domain.FnCustomersExport, domain.FnDealsRead, domain.FnDealsWrite, domain.FnVisitsRead,
			domain.FnVisitsWrite, domain.FnNotesRead, domain.FnNotesWrite, domain.FnReveal,
			domain.FnPoolClaim, domain.FnPoolManage),
			access(write, write, write, masked, write, write, read)),
		role(domain.RoleSalesRep, domain.ScopeOwn, fns(
			domain.FnCustomersRead, domain.FnCustomersCreate, domain.FnCustomersUpdate, domain.FnCustomersDelete,
			domain.FnDealsRead, domain.FnDealsWrite, domain.FnVisitsRead, domain.FnVisitsWrite,
			domain.FnNotesRead, domain.FnNotesWrite, domain.FnPoolClaim),
			access(write, write, masked, none, write, write, write)),
		role(domain.RoleFinance, domain.ScopeAll, fns(
			domain.FnCustomersRead, domain.FnCustomersUpdate, domain.FnCustomersExport,
			domain.FnDealsRead, domain.FnDealsWrite, domain.FnVisitsRead, domain.FnNotesRead, domain.FnReveal),
			access(read, masked, read, write, write, read, none)),
		role(domain.RoleService, domain.ScopeAll, fns(
			domain.FnCustomersRead, domain.FnDealsRead, domain.FnVisitsRead,
			domain.FnNotesRead, domain.FnNotesWrite, domain.FnReveal),
			access(read, masked, masked, none, read, write, none)),
		role(domain.RoleAuditor, domain.ScopeAll, fns(domain.FnAuditRead),
			access(none, none, none, none, none, none, none)),
	}
	// Roles that see contact data masked may still find a customer by the
	// phone or email someone gives them (customer service answering a
	// call), rate-limited; never by an ID number or tax id they see masked.
	for _, r := range roles {
		r.MaskedLookup = map[domain.FieldClass]bool{}
		if r.Fields[domain.ClassContact] == masked {
			r.MaskedLookup[domain.ClassContact] = true
		}
	}
	out := make(map[string]*domain.Role, len(roles))
	for _, r := range roles {
		out[r.Name] = r
	}
	return out
}

// BuiltinRoleNames lists the built-in roles in a stable order.
var BuiltinRoleNames = []string{
	domain.RoleAdmin, domain.RoleSalesManager, domain.RoleSalesRep,
	domain.RoleFinance, domain.RoleService, domain.RoleAuditor,
}
