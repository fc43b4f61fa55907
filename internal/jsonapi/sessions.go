package jsonapi

import (
	"context"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) sessionRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/sessions", Authenticated, userListHandler(api, api.identity.ListSessions, toSessionJSON)},
		{"DELETE", "/api/v1/sessions/{id}", Authenticated, deleteHandler(api, domain.KindSession, api.identity.EndSession)},
		{"DELETE", "/api/v1/users/{id}/sessions", Authenticated, deleteHandler(api, domain.KindUser, api.identity.EndUserSessions)},
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

func toSessionJSON(se identity.SessionView) sessionJSON {
	return sessionJSON{ID: se.ID, UserID: se.UserID, CreatedAt: se.CreatedAt, LastSeenAt: se.LastSeenAt,
		ExpiresAt: se.ExpiresAt, AuthAt: se.AuthAt, MFA: se.MFA, SourceIP: se.SourceIP, UserAgent: se.UserAgent,
		DeviceID: se.DeviceID, Current: se.Current}
}

// userListHandler answers GET …[?user_id=…] with what list returns for
// that user (the caller when absent; the service decides who may ask for
// whom).
func userListHandler[T, J any](api *API, list func(context.Context, domain.ID) ([]T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
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
		found, err := list(r.Context(), userID)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		items := make([]J, 0, len(found))
		for _, x := range found {
			items = append(items, toJSON(x))
		}
		writeJSON(w, http.StatusOK, listJSON[J]{Items: items})
	}
}
