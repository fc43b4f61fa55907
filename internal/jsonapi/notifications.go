package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) notificationRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/notifications", Authenticated, api.listNotifications},
		{"POST", "/api/v1/notifications/{id}/read", Authenticated, api.readNotification},
	}
}

type notificationJSON struct {
	ID        domain.ID               `json:"id"`
	Kind      domain.NotificationKind `json:"kind"`
	RecordID  domain.ID               `json:"record_id,omitempty"`
	Params    map[string]string       `json:"params"`
	CreatedAt time.Time               `json:"created_at"`
	ReadAt    *time.Time              `json:"read_at"`
}

func toNotificationJSON(n *domain.Notification) notificationJSON {
	out := notificationJSON{ID: n.ID, Kind: n.Kind, RecordID: n.RecordID, Params: n.Params, CreatedAt: n.CreatedAt}
	if out.Params == nil {
		out.Params = map[string]string{}
	}
	if !n.ReadAt.IsZero() {
		t := n.ReadAt
		out.ReadAt = &t
	}
	return out
}

func (api *API) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q, "unread", "cursor", "limit"); err != nil {
		api.writeError(w, r, err)
		return
	}
	unread := false
	switch q.Get("unread") {
	case "", "false":
	case "true":
		unread = true
	default:
		api.writeError(w, r, domain.Invalid("unread", "unread must be true or false"))
		return
	}
	cursor, limit, err := pageParams(r, domain.KindNotification)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.inbox.List(r.Context(), unread, cursor, limit)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]notificationJSON, 0, len(page.Items))
	for _, n := range page.Items {
		items = append(items, toNotificationJSON(n))
	}
	writeJSON(w, http.StatusOK, listJSON[notificationJSON]{Items: items, NextCursor: encodeCursor(page.NextCursor)})
}

func (api *API) readNotification(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindNotification)
	if err == nil {
		err = emptyBody(r)
	}
	if err == nil {
		err = api.inbox.MarkRead(r.Context(), id)
	}
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
