package crm

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func taskParent(t *domain.Task) domain.ParentRef           { return t.Parent }
func shapeTask(v *policy.View, t *domain.Task)             { v.Task(t) }
func shapeTaskID(v *policy.View, t *domain.Task) domain.ID { v.Task(t); return t.ID }

// CreateTask creates a follow-up for a customer.
//
// Authorization: notes.write (tasks go with notes), the customer in scope
// (an unknown or unreachable customer is invalid customer_id), and write
// access to notes for the title. The assignee defaults to the caller;
// roles limited to their own records may name only themselves. Errors:
// invalid (field named), forbidden, conflict (erased customer).
func (s *Service) CreateTask(ctx context.Context, in *domain.TaskInput) (*domain.Task, error) {
	a, err := policy.Require(ctx, domain.FnNotesWrite)
	if err != nil {
		return nil, err
	}
	t, changed, err := domain.NewTask(in)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.TaskFieldClass); err != nil {
		return nil, err
	}
	c, err := s.parentFor(ctx, a, t.CustomerID, "task.create")
	if err != nil {
		return nil, err
	}
	if t.AssigneeID == "" {
		t.AssigneeID = defaultAssignee(a, c)
	}
	if t.AssigneeID != "" {
		if _, err := s.checkAssignee(ctx, a, "assignee_id", t.AssigneeID); err != nil {
			return nil, err
		}
	}
	now := s.stamp()
	t.ID = domain.NewIDAt(domain.KindTask, now)
	t.CreatedAt, t.UpdatedAt, t.Parent = now, now, refOf(c)
	ev := domain.NewAuditEvent(ctx, now, "task.create", "task", string(t.ID))
	ev.Fields = changed
	if err := s.store.CreateTask(ctx, t, ev); err != nil {
		return nil, err
	}
	policy.NewView(a).Task(t)
	return t, nil
}

// GetTask returns one task as the caller may see it.
//
// Authorization: notes.read and the customer in scope (else not found).
// An unmasked title is audited first (fail-closed).
func (s *Service) GetTask(ctx context.Context, id domain.ID) (*domain.Task, error) {
	return readChild(ctx, s, domain.FnNotesRead, id, "task", s.store.GetTask, taskParent, shapeTask)
}

// UpdateTask applies a partial update (title, due time, assignee, status).
//
// Authorization: notes.write, the customer in scope, write access to notes
// to change the title, and CreateTask's rule for a new assignee. Errors:
// invalid, forbidden, not found, conflict.
func (s *Service) UpdateTask(ctx context.Context, id domain.ID, p *domain.TaskPatch) (*domain.Task, error) {
	a, err := policy.Require(ctx, domain.FnNotesWrite)
	if err != nil {
		return nil, err
	}
	t, err := getChild(ctx, s, a, id, "task", "task.update", s.store.GetTask, taskParent)
	if err != nil {
		return nil, err
	}
	if t.Parent.Erased {
		return nil, errErased
	}
	prev := t.UpdatedAt
	changed, err := p.Apply(t)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.TaskFieldClass); err != nil {
		return nil, err
	}
	if contains(changed, "assignee_id") {
		if _, err := s.checkAssignee(ctx, a, "assignee_id", t.AssigneeID); err != nil {
			return nil, err
		}
	}
	now := s.stamp()
	if len(changed) > 0 {
		t.UpdatedAt = now
	}
	view := *t
	v := policy.NewView(a)
	v.Task(&view)
	err = s.saveChange(ctx, now, "task.update", "task", id, changed, v.Revealed, func(evs ...*domain.AuditEvent) error {
		return s.store.UpdateTask(ctx, t, prev, evs...)
	})
	if err != nil {
		return nil, err
	}
	return &view, nil
}

// DeleteTask deletes a task.
//
// Authorization: notes.write and the customer in scope.
func (s *Service) DeleteTask(ctx context.Context, id domain.ID) error {
	return deleteChild(ctx, s, domain.FnNotesWrite, id, "task", s.store.GetTask, taskParent, s.store.DeleteTask)
}

// ListTasks returns a page of tasks on customers in the caller's scope
// matching f.
//
// Authorization: notes.read; tasks on customers out of scope are never
// listed. Unmasked titles on the page are audited first.
func (s *Service) ListTasks(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Task], error) {
	var page domain.Page[*domain.Task]
	a, err := policy.Require(ctx, domain.FnNotesRead)
	if err != nil {
		return page, err
	}
	f.Scope = policy.RecordScope(a)
	if page, err = s.store.ListTasks(ctx, f); err != nil {
		return page, err
	}
	if err := auditPage(ctx, s, a, "task", page.Items, shapeTaskID); err != nil {
		return domain.Page[*domain.Task]{}, err
	}
	return page, nil
}
