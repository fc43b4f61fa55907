package store

import (
	"context"
	"database/sql"

	"github.com/custoscrm/custos/internal/domain"
)

const tableTasks = "tasks"

const fTitle = "title"

const taskSelect = `SELECT x.id, x.customer_id, x.assignee_id, x.title_sealed, x.due_at, x.status,
	x.created_at, x.updated_at, x.version, ` + parentKeyColumns + ` FROM tasks x`

func (s *Activities) scanTask(ctx context.Context) func(scanner) (*domain.Task, error) {
	return func(sc scanner) (*domain.Task, error) {
		var (
			t                           domain.Task
			id, customerID, status      string
			assigneeID                  sql.NullString
			title                       []byte
			dueAt, createdAt, updatedAt sql.NullInt64
			p                           parentRow
		)
		dest := append([]any{&id, &customerID, &assigneeID, &title, &dueAt, &status, &createdAt, &updatedAt, &t.Version}, p.dest(true)...)
		if err := sc.Scan(dest...); err != nil {
			return nil, err
		}
		t.ID, t.CustomerID, t.AssigneeID, t.Status = domain.ID(id), domain.ID(customerID), domain.ID(assigneeID.String), domain.TaskStatus(status)
		t.DueAt, t.CreatedAt, t.UpdatedAt = fromMicros(dueAt), fromMicros(createdAt), fromMicros(updatedAt)
		ref, key, err := s.openParent(ctx, &p)
		if err != nil {
			return nil, err
		}
		t.Parent = ref
		if err := (sealedRecord{key: key, table: tableTasks, id: t.ID}).open(fTitle, title, &t.Title); err != nil {
			return nil, err
		}
		return &t, nil
	}
}

func taskArgs(rec sealedRecord, t *domain.Task) []any {
	return []any{nullString(t.AssigneeID), rec.seal(fTitle, t.Title), micros(t.DueAt), string(t.Status)}
}

// CreateTask stores a new task (ID set by the caller), its title sealed
// under its customer's data key, with the audit events.
func (s *Activities) CreateTask(ctx context.Context, t *domain.Task, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, t.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableTasks, id: t.ID}
	args := append([]any{string(t.ID), string(t.CustomerID)}, taskArgs(rec, t)...)
	args = append(args, t.CreatedAt.UnixMicro(), t.UpdatedAt.UnixMicro())
	return s.insertChild(ctx, "task", `INSERT INTO tasks (id, customer_id, assignee_id, title_sealed, due_at, status,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, args, evs)
}

// GetTask returns a task with its title opened, or not found.
func (s *Activities) GetTask(ctx context.Context, id domain.ID) (*domain.Task, error) {
	return getOne(ctx, s, taskSelect+parentJoin(true), id, "task", s.scanTask(ctx))
}

// UpdateTask writes t (at t.Version) over the stored task if that is still
// at version prev (else a stale-version conflict), with the audit events.
func (s *Activities) UpdateTask(ctx context.Context, t *domain.Task, prev int64, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, t.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableTasks, id: t.ID}
	args := append(taskArgs(rec, t), t.UpdatedAt.UnixMicro(), t.Version, string(t.ID), prev)
	return s.updateChild(ctx, "task", `UPDATE tasks SET assignee_id = ?, title_sealed = ?, due_at = ?, status = ?,
		updated_at = ?, version = ? WHERE id = ? AND version = ?`, args, evs)
}

// DeleteTask deletes a task with the audit events.
func (s *Activities) DeleteTask(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.deleteChild(ctx, tableTasks, "task", id, evs)
}

// ListTasks returns a page of tasks on customers in scope matching f,
// newest first.
func (s *Activities) ListTasks(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Task], error) {
	var w where
	w.scope(f.Scope)
	w.eq("x.customer_id", string(f.CustomerID))
	w.eq("x.assignee_id", string(f.AssigneeID))
	w.eq("x.status", string(f.Status))
	w.since("x.updated_at", f.UpdatedSince)
	return listPage(ctx, s, taskSelect+parentJoin(true), w, f.Cursor, f.Limit, s.scanTask(ctx),
		func(t *domain.Task) domain.ID { return t.ID })
}
