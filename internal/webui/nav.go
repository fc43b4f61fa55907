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
	{"/audit", "nav.audit", domain.FnAuditRead},
	{"/admin", "nav.admin", domain.FnUsersManage},
	{"/settings", "nav.settings", ""},
}

func navFor(a *domain.Actor, path string) []navItem {
	var out []navItem
	for _, n := range navigation {
		if n.fn != "" && !a.Role.Can(n.fn) {
			continue
		}
		out = append(out, navItem{Href: n.href, Key: n.key, Current: path == n.href || strings.HasPrefix(path, n.href+"/")})
	}
	return out
}
