package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) taskRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/tasks", Authenticated, api.listTasks},
		{"POST", "/api/v1/tasks", Authenticated, createHandler(api, api.records.CreateTask, toTaskJSON, taskLocation)},
		{"GET", "/api/v1/tasks/{id}", Authenticated, getHandler(api, domain.KindTask, api.records.GetTask, toTaskJSON)},
		{"PATCH", "/api/v1/tasks/{id}", Authenticated, actionHandler(api, domain.KindTask, api.records.UpdateTask, toTaskJSON)},
		{"DELETE", "/api/v1/tasks/{id}", Authenticated, deleteHandler(api, domain.KindTask, api.records.DeleteTask)},
	}
}

// taskJSON is a task as the API shows it.
type taskJSON struct {
	ID         domain.ID         `json:"id"`
	CustomerID domain.ID         `json:"customer_id"`
	AssigneeID domain.ID         `json:"assignee_id,omitempty"`
	Title      string            `json:"title,omitempty"`
	DueAt      *time.Time        `json:"due_at,omitempty"`
	Status     domain.TaskStatus `json:"status"`
	Erased     bool              `json:"erased,omitempty"`
	Masked     []string          `json:"masked,omitempty"`
	Version    int64             `json:"version"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

func (t taskJSON) version() int64 { return t.Version }

func toTaskJSON(t *domain.Task) taskJSON {
	return taskJSON{
		ID: t.ID, CustomerID: t.CustomerID, AssigneeID: t.AssigneeID, Title: t.Title, DueAt: optTime(t.DueAt),
		Status: t.Status, Erased: t.Parent.Erased, Masked: t.Masked, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

func taskLocation(t *domain.Task) string { return "/api/v1/tasks/" + string(t.ID) }

func validTaskStatus(s string) bool { return domain.ValidTaskStatus(domain.TaskStatus(s)) }

func (api *API) listTasks(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r, domain.KindTask, "customer_id", "assignee_id", "status")
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	f := domain.ActivityFilter{UpdatedSince: lq.since, Cursor: lq.cursor, Limit: lq.limit}
	f.CustomerID = lq.id("customer_id", domain.KindCustomer, &err)
	f.AssigneeID = lq.id("assignee_id", domain.KindUser, &err)
	f.Status = domain.TaskStatus(lq.enum("status", validTaskStatus, "status must be open or done", &err))
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.records.ListTasks(r.Context(), f)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writePage(w, page, toTaskJSON)
}
