package records

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func (s *Service) notes() records[*domain.Note] {
	return records[*domain.Note]{
		s: s, kind: "note", sealed: true, owns: domain.ClassNote, classOf: policy.NoteFieldClass, shape: (*policy.View).Note,
		get: s.activities.GetNote, del: s.activities.DeleteNote,
		parent:  func(n *domain.Note) domain.ParentRef { return n.Parent },
		id:      func(n *domain.Note) domain.ID { return n.ID },
		clone:   func(n *domain.Note) *domain.Note { x := *n; return &x },
		touch:   func(n *domain.Note, t time.Time) { n.UpdatedAt = t; n.Version++ },
		version: func(n *domain.Note) int64 { return n.Version },
		save: func(ctx context.Context, n, before *domain.Note, evs ...*domain.AuditEvent) error {
			return s.activities.UpdateNote(ctx, n, before.Version, evs...)
		},
	}
}

// CreateNote writes a note about a customer; the caller is its author.
//
// Authorization: notes.write, the customer in scope (an unknown or
// unreachable customer is invalid customer_id), and write access to notes.
// Errors: invalid (field named), forbidden, conflict (erased customer).
func (s *Service) CreateNote(ctx context.Context, in *domain.NoteInput) (*domain.Note, error) {
	a, err := policy.Require(ctx, domain.FnNotesWrite)
	if err != nil {
		return nil, err
	}
	n, changed, err := domain.NewNote(in)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.NoteFieldClass); err != nil {
		return nil, err
	}
	c, err := s.parentFor(ctx, a, n.CustomerID, "note.create")
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	n.ID = domain.NewIDAt(domain.KindNote, now)
	n.CreatedAt, n.UpdatedAt, n.Version, n.Parent = now, now, 1, refOf(c)
	if !a.System {
		n.AuthorID = a.UserID
	}
	return s.notes().created(ctx, a, n, now, changed, s.activities.CreateNote)
}

// GetNote returns one note as the caller may see it.
//
// Authorization: notes.read and the customer in scope (else not found).
// An unmasked body is audited first (fail-closed).
func (s *Service) GetNote(ctx context.Context, id domain.ID) (*domain.Note, error) {
	return s.notes().read(ctx, domain.FnNotesRead, id)
}

// UpdateNote rewrites a note's body, at the version pre names if it names
// any (If-Match).
//
// Authorization: notes.write, the customer in scope, and write access to
// notes. Errors: invalid, forbidden, not found, conflict (the customer is
// erased), precondition_failed.
func (s *Service) UpdateNote(ctx context.Context, id domain.ID, p *domain.NotePatch, pre domain.Precondition) (*domain.Note, error) {
	return s.notes().update(ctx, domain.FnNotesWrite, id, "note.update", pre,
		func(_ *domain.Actor, n *domain.Note, _ time.Time) ([]string, error) { return p.Apply(n) })
}

// DeleteNote deletes a note.
//
// Authorization: notes.write and the customer in scope.
func (s *Service) DeleteNote(ctx context.Context, id domain.ID) error {
	return s.notes().remove(ctx, domain.FnNotesWrite, id)
}

// ListNotes returns a page of notes on customers in the caller's scope
// matching f.
//
// Authorization: notes.read; notes on customers out of scope are never
// listed. Unmasked bodies on the page are audited first.
func (s *Service) ListNotes(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Note], error) {
	return s.notes().list(ctx, domain.FnNotesRead, func(sc domain.RecordScope) (domain.Page[*domain.Note], error) {
		f.Scope = sc
		return s.activities.ListNotes(ctx, f)
	})
}
