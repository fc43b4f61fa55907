package records

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Tasks go with notes: the notes functions govern them, and their titles
// are of the note class.

func (s *Service) tasks() records[*domain.Task] {
	return records[*domain.Task]{
		s: s, kind: "task", sealed: true, owns: domain.ClassNote, classOf: policy.TaskFieldClass, shape: (*policy.View).Task,
		get: s.activities.GetTask, del: s.activities.DeleteTask,
		parent:  func(t *domain.Task) domain.ParentRef { return t.Parent },
		id:      func(t *domain.Task) domain.ID { return t.ID },
		clone:   func(t *domain.Task) *domain.Task { x := *t; return &x },
		touch:   func(t *domain.Task, now time.Time) { t.UpdatedAt = now; t.Version++ },
		version: func(t *domain.Task) int64 { return t.Version },
		save: func(ctx context.Context, t, before *domain.Task, evs ...*domain.AuditEvent) error {
			return s.activities.UpdateTask(ctx, t, before.Version, evs...)
		},
	}
}

// CreateTask creates a follow-up for a customer.
//
// Authorization: notes.write, the customer in scope (an unknown or
// unreachable customer is invalid customer_id), and write access to notes
// for the title. The assignee defaults to the caller; roles limited to
// their own records may name only themselves. Errors: invalid (field
// named), forbidden, conflict (erased customer).
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
	if t.AssigneeID, err = s.assignee(ctx, a, "assignee_id", t.AssigneeID, c); err != nil {
		return nil, err
	}
	now := s.stamp()
	t.ID = domain.NewIDAt(domain.KindTask, now)
	t.CreatedAt, t.UpdatedAt, t.Version, t.Parent = now, now, 1, refOf(c)
	return s.tasks().created(ctx, a, t, now, changed, s.activities.CreateTask)
}

// GetTask returns one task as the caller may see it.
//
// Authorization: notes.read and the customer in scope (else not found).
// An unmasked title is audited first (fail-closed).
func (s *Service) GetTask(ctx context.Context, id domain.ID) (*domain.Task, error) {
	return s.tasks().read(ctx, domain.FnNotesRead, id)
}

// UpdateTask applies a partial update (title, due time, assignee, status),
// to the version pre names if it names any (If-Match).
//
// Authorization: notes.write, the customer in scope, write access to notes
// to change the title, and CreateTask's rule for a new assignee. Errors:
// invalid, forbidden, not found, conflict (the customer is erased),
// precondition_failed.
func (s *Service) UpdateTask(ctx context.Context, id domain.ID, p *domain.TaskPatch, pre domain.Precondition) (*domain.Task, error) {
	return s.tasks().update(ctx, domain.FnNotesWrite, id, "task.update", pre,
		func(a *domain.Actor, t *domain.Task, _ time.Time) ([]string, error) {
			changed, err := p.Apply(t)
			if err != nil {
				return nil, err
			}
			return changed, s.reassigned(ctx, a, changed, "assignee_id", t.AssigneeID)
		})
}

// DeleteTask deletes a task.
//
// Authorization: notes.write and the customer in scope.
func (s *Service) DeleteTask(ctx context.Context, id domain.ID) error {
	return s.tasks().remove(ctx, domain.FnNotesWrite, id)
}

// ListTasks returns a page of tasks on customers in the caller's scope
// matching f.
//
// Authorization: notes.read; tasks on customers out of scope are never
// listed. Unmasked titles on the page are audited first.
func (s *Service) ListTasks(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Task], error) {
	return s.tasks().list(ctx, domain.FnNotesRead, func(sc domain.RecordScope) (domain.Page[*domain.Task], error) {
		f.Scope = sc
		return s.activities.ListTasks(ctx, f)
	})
}
