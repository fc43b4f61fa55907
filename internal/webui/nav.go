package webui

import (
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// navItem is one entry of the main navigation.
type navItem struct {
	Href, Key string
	Label     string // Key translated (by newBase)
	Current   bool
}

// navigation lists every section with the function that shows it; a role
// sees the sections its functions open. Pages are added here as they come.
var navigation = []struct {
	href, key string
	fn        domain.Function // "" for everyone
}{
	{"/today", "nav.today", domain.FnVisitsRead},
	{"/customers", "nav.customers", domain.FnCustomersRead},
	{"/pipeline", "nav.pipeline", domain.FnDealsRead},
	{"/coverage", "nav.coverage", domain.FnVisitsRead},
	{"/export", "nav.export", domain.FnCustomersExport},
	{"/audit", "nav.audit", domain.FnAuditRead},
	{"/admin", "nav.admin", domain.FnUsersManage},
	{"/settings", "nav.settings", ""},
}

// overseeing lists the sections about others' records (a team's
// pipeline, its visit coverage): roles limited to their own records do
// not see them (their services refuse them).
var overseeing = map[string]bool{"/pipeline": true, "/coverage": true}

func navFor(a *domain.Actor, path string) []navItem {
	var out []navItem
	for _, n := range navigation {
		if n.fn != "" && !a.Role.Can(n.fn) {
			continue
		}
		if overseeing[n.href] && a.Role.Scope == domain.ScopeOwn {
			continue
		}
		out = append(out, navItem{Href: n.href, Key: n.key, Current: path == n.href || strings.HasPrefix(path, n.href+"/")})
	}
	return out
}
