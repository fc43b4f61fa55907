// Package webui is the web UI: server-rendered HTML pages for people, in
// English and Simplified Chinese, on a desktop or a work phone. It is an
// adapter beside the JSON API over the same services — authorization,
// masking and audit are decided there, once — and never talks to the
// store.
//
// Pages are html/template files embedded in the binary and parsed when the
// UI is built (a broken template fails start-up, not a request), one small
// Go file per page or action with a typed view. Every page works without
// JavaScript except geolocation and passkeys, which use small scripts
// served by Custos under a strict Content-Security-Policy. Sessions are
// the identity service's, carried in a __Host- cookie; every unsafe
// request needs a CSRF token and a same-origin fetch.
package webui

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/records"
)

// Deps are the services the UI is built on; every one is required.
type Deps struct {
	Records  *records.Service
	Identity *identity.Service
	Audit    *audit.Service
	Keys     *keylifecycle.Service
}

// Options tune the UI.
type Options struct {
	Log *slog.Logger
	Now func() time.Time
}

// UI serves the web pages.
type UI struct {
	records  *records.Service
	identity *identity.Service
	audit    *audit.Service
	keys     *keylifecycle.Service
	log      *slog.Logger
	now      func() time.Time

	assets *assets
	pages  map[string]*template.Template
	i18n   *catalog
}

// New builds the UI: it parses every template and hashes every asset,
// failing on the first broken one.
func New(d Deps, o Options) (*UI, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u := &UI{records: d.Records, identity: d.Identity, audit: d.Audit, keys: d.Keys, log: o.Log, now: o.Now}
	var err error
	if u.assets, err = loadAssets(); err != nil {
		return nil, fmt.Errorf("webui: assets: %w", err)
	}
	if u.i18n, err = newCatalog(); err != nil {
		return nil, fmt.Errorf("webui: messages: %w", err)
	}
	if err = u.i18n.withChrome(u.assets); err != nil {
		return nil, fmt.Errorf("webui: layout: %w", err)
	}
	if u.pages, err = u.parsePages(); err != nil {
		return nil, fmt.Errorf("webui: templates: %w", err)
	}
	return u, nil
}

// route is one page or action.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routeGroups are the UI's routes, by page.
func (u *UI) routeGroups() [][]route {
	return [][]route{
		u.assetRoutes(),
		u.signInRoutes(),
		u.todayRoutes(),
		u.customerRoutes(),
		u.cardRoutes(),
		u.visitRoutes(),
		u.taskRoutes(),
		u.settingsRoutes(),
		u.securityRoutes(),
		u.stepUpRoutes(),
		u.auditRoutes(),
		u.adminUserRoutes(),
		u.adminRoleRoutes(),
		u.adminTeamRoutes(),
		u.revealRoutes(),
		u.reassignRoutes(),
		u.pipelineRoutes(),
		u.coverageRoutes(),
		u.exportRoutes(),
	}
}

// Register adds the UI's routes to mux.
func (u *UI) Register(mux *http.ServeMux) {
	for _, group := range u.routeGroups() {
		for _, rt := range group {
			mux.Handle(rt.pattern, u.guard(rt.handler))
		}
	}
}
