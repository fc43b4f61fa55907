// Package jsonapi is the REST JSON API adapter: it decodes requests into
// the services' explicit input structs, calls the service layer (which
// decides authorization), and encodes results. It never talks to the
// store.
package jsonapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/inbox"
	"github.com/custoscrm/custos/internal/pool"
	"github.com/custoscrm/custos/internal/records"
)

// Auth says what a route requires before its handler runs.
type Auth int

// Route authentication requirements.
const (
	Public        Auth = iota // anyone, no credential
	Authenticated             // a valid bearer credential
)

// Route is one API endpoint.
type Route struct {
	Method  string
	Pattern string
	Auth    Auth
	handler http.HandlerFunc
}

// API serves /api/v1.
type API struct {
	records  *records.Service
	identity *identity.Service
	audit    *audit.Service
	pool     *pool.Service
	inbox    *inbox.Service
	log      *slog.Logger
	opts     Options
	routes   []Route
}

// Services are the services the API serves.
type Services struct {
	Records  *records.Service
	Identity *identity.Service
	Audit    *audit.Service
	Pool     *pool.Service
	Inbox    *inbox.Service
}

// Options tune the API.
type Options struct {
	// MaxUploadBytes is the largest import upload (default
	// DefaultMaxUploadBytes); the server's body limit lets uploads (see
	// IsUpload) reach it.
	MaxUploadBytes int64
	// SpoolDir holds uploads, encrypted, while they are imported (default
	// the system's temporary directory).
	SpoolDir string
}

// New returns the API over the services.
func New(s Services, log *slog.Logger, opts Options) *API {
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = DefaultMaxUploadBytes
	}
	api := &API{records: s.Records, identity: s.Identity, audit: s.Audit, pool: s.Pool, inbox: s.Inbox, log: log, opts: opts}
	// Each capability lists its endpoints in its own file.
	for _, group := range [][]Route{
		api.authRoutes(),
		api.userRoutes(),
		api.customerRoutes(),
		api.contactRoutes(),
		api.dealRoutes(),
		api.visitRoutes(),
		api.noteRoutes(),
		api.taskRoutes(),
		api.eraseRoutes(),
		api.sessionRoutes(),
		api.mfaRoutes(),
		api.tokenRoutes(),
		api.roleRoutes(),
		api.teamRoutes(),
		api.revealRoutes(),
		api.importRoutes(),
		api.auditRoutes(),
		api.poolRoutes(),
		api.notificationRoutes(),
	} {
		api.routes = append(api.routes, group...)
	}
	return api
}

// Routes lists every endpoint (tests use it to prove each one is covered).
func (api *API) Routes() []Route { return append([]Route(nil), api.routes...) }

// Register adds the API's routes to mux. Every route first refuses a
// query string or header it could read only in part (checkInput), and an
// If-Match it would not honour (checkIfMatch).
func (api *API) Register(mux *http.ServeMux) {
	for _, rt := range api.routes {
		h := rt.handler
		if rt.Auth == Authenticated {
			h = api.authenticate(h)
		}
		route := rt.Method + " " + rt.Pattern
		mux.HandleFunc(route, api.checkInput(h, takesQuery(route), honoursIfMatch(route)))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		api.writeError(w, r, domain.NotFound("endpoint"))
	})
}

// checkInput answers 400 for a request whose query string or headers
// fail checkInput or checkIfMatch, before authentication or the handler
// read them.
func (api *API) checkInput(next http.HandlerFunc, takesQuery, ifMatch bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := checkInput(r, takesQuery)
		if err == nil {
			err = checkIfMatch(r, ifMatch)
		}
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		next(w, r)
	}
}

// authenticate resolves the bearer credential into an actor in the
// request context, or answers 401.
func (api *API) authenticate(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			api.writeError(w, r, domain.Unauthenticated("send Authorization: Bearer <token>"))
			return
		}
		actor, err := api.identity.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		next(w, r.WithContext(domain.WithActor(r.Context(), actor)))
	}
}

// pathID parses the {id} path value as an id of kind.
func pathID(r *http.Request, kind string) (domain.ID, error) {
	return domain.ParseID(kind, "id", r.PathValue("id"))
}
