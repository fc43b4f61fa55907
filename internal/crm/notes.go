package crm

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func noteParent(n *domain.Note) domain.ParentRef           { return n.Parent }
func shapeNote(v *policy.View, n *domain.Note)             { v.Note(n) }
func shapeNoteID(v *policy.View, n *domain.Note) domain.ID { v.Note(n); return n.ID }

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
	n.CreatedAt, n.UpdatedAt, n.Parent = now, now, refOf(c)
	if !a.System {
		n.AuthorID = a.UserID
	}
	ev := domain.NewAuditEvent(ctx, now, "note.create", "note", string(n.ID))
	ev.Fields = changed
	if err := s.store.CreateNote(ctx, n, ev); err != nil {
		return nil, err
	}
	policy.NewView(a).Note(n)
	return n, nil
}

// GetNote returns one note as the caller may see it.
//
// Authorization: notes.read and the customer in scope (else not found).
// An unmasked body is audited first (fail-closed).
func (s *Service) GetNote(ctx context.Context, id domain.ID) (*domain.Note, error) {
	return readChild(ctx, s, domain.FnNotesRead, id, "note", s.store.GetNote, noteParent, shapeNote)
}

// UpdateNote rewrites a note's body.
//
// Authorization: notes.write, the customer in scope, and write access to
// notes. Errors: invalid, forbidden, not found, conflict.
func (s *Service) UpdateNote(ctx context.Context, id domain.ID, p *domain.NotePatch) (*domain.Note, error) {
	a, err := policy.Require(ctx, domain.FnNotesWrite)
	if err != nil {
		return nil, err
	}
	n, err := getChild(ctx, s, a, id, "note", "note.update", s.store.GetNote, noteParent)
	if err != nil {
		return nil, err
	}
	if n.Parent.Erased {
		return nil, errErased
	}
	prev := n.UpdatedAt
	changed, err := p.Apply(n)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.NoteFieldClass); err != nil {
		return nil, err
	}
	now := s.stamp()
	if len(changed) > 0 {
		n.UpdatedAt = now
	}
	view := *n
	v := policy.NewView(a)
	v.Note(&view)
	err = s.saveChange(ctx, now, "note.update", "note", id, changed, v.Revealed, func(evs ...*domain.AuditEvent) error {
		return s.store.UpdateNote(ctx, n, prev, evs...)
	})
	if err != nil {
		return nil, err
	}
	return &view, nil
}

// DeleteNote deletes a note.
//
// Authorization: notes.write and the customer in scope.
func (s *Service) DeleteNote(ctx context.Context, id domain.ID) error {
	return deleteChild(ctx, s, domain.FnNotesWrite, id, "note", s.store.GetNote, noteParent, s.store.DeleteNote)
}

// ListNotes returns a page of notes on customers in the caller's scope
// matching f.
//
// Authorization: notes.read; notes on customers out of scope are never
// listed. Unmasked bodies on the page are audited first.
func (s *Service) ListNotes(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Note], error) {
	var page domain.Page[*domain.Note]
	a, err := policy.Require(ctx, domain.FnNotesRead)
	if err != nil {
		return page, err
	}
	f.Scope = policy.RecordScope(a)
	if page, err = s.store.ListNotes(ctx, f); err != nil {
		return page, err
	}
	if err := auditPage(ctx, s, a, "note", page.Items, shapeNoteID); err != nil {
		return domain.Page[*domain.Note]{}, err
	}
	return page, nil
}
