package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) sessionRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/sessions", Authenticated, api.listSessions},
		{"DELETE", "/api/v1/sessions/{id}", Authenticated, api.endSession},
		{"DELETE", "/api/v1/users/{id}/sessions", Authenticated, api.endUserSessions},
	}
}

type sessionJSON struct {
	ID         domain.ID `json:"id"`
	UserID     domain.ID `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	AuthAt     time.Time `json:"auth_at"`
	MFA        bool      `json:"mfa"`
	SourceIP   string    `json:"source_ip,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	DeviceID   domain.ID `json:"device_id,omitempty"`
	Current    bool      `json:"current"`
}

func (api *API) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q, "user_id"); err != nil {
		api.writeError(w, r, err)
		return
	}
	userID, err := queryID(q, "user_id", domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	list, err := api.identity.ListSessions(r.Context(), userID)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]sessionJSON, 0, len(list))
	for _, se := range list {
		items = append(items, sessionJSON{ID: se.ID, UserID: se.UserID, CreatedAt: se.CreatedAt, LastSeenAt: se.LastSeenAt,
			ExpiresAt: se.ExpiresAt, AuthAt: se.AuthAt, MFA: se.MFA, SourceIP: se.SourceIP, UserAgent: se.UserAgent,
			DeviceID: se.DeviceID, Current: se.Current})
	}
	writeJSON(w, http.StatusOK, listJSON[sessionJSON]{Items: items})
}

func (api *API) endSession(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindSession)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.EndSession(r.Context(), id); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) endUserSessions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.EndUserSessions(r.Context(), id); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
