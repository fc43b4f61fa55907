package records

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Contacts are people at company customers. They are part of the customer
// record: reading them needs customers.read, changing them
// customers.update, and their name, phone and email are contact data.

func (s *Service) contacts() records[*domain.Contact] {
	return records[*domain.Contact]{
		s: s, kind: "contact", sealed: true, owns: domain.ClassContact, classOf: policy.ContactFieldClass, shape: (*policy.View).Contact,
		get: s.activities.GetContact, del: s.activities.DeleteContact,
		parent:  func(c *domain.Contact) domain.ParentRef { return c.Parent },
		id:      func(c *domain.Contact) domain.ID { return c.ID },
		clone:   func(c *domain.Contact) *domain.Contact { x := *c; return &x },
		touch:   func(c *domain.Contact, t time.Time) { c.UpdatedAt = t; c.Version++ },
		version: func(c *domain.Contact) int64 { return c.Version },
		save: func(ctx context.Context, c, before *domain.Contact, evs ...*domain.AuditEvent) error {
			return s.activities.UpdateContact(ctx, c, before.Version, evs...)
		},
	}
}

// CreateContact adds a contact to company customer customerID.
//
// Authorization: customers.update, the customer in scope (else not
// found), and write access to contact data for name, phone and email.
// Errors: invalid (field named; only companies have contacts), forbidden,
// not found, conflict (the customer is erased).
func (s *Service) CreateContact(ctx context.Context, customerID domain.ID, in *domain.ContactInput) (*domain.Contact, error) {
	a, err := policy.Require(ctx, domain.FnCustomersUpdate)
	if err != nil {
		return nil, err
	}
	c, err := s.customerInScope(ctx, a, customerID, "contact.create", openNone)
	if err != nil {
		return nil, err
	}
	if c.Erased {
		return nil, errErased
	}
	if c.Kind != domain.CustomerCompany {
		return nil, domain.Invalid("customer_id", "only company customers have contacts")
	}
	ct, changed, err := domain.NewContact(in)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.ContactFieldClass); err != nil {
		return nil, err
	}
	now := s.stamp()
	ct.ID = domain.NewIDAt(domain.KindContact, now)
	ct.CustomerID, ct.CreatedAt, ct.UpdatedAt, ct.Version, ct.Parent = c.ID, now, now, 1, refOf(c)
	return s.contacts().created(ctx, a, ct, now, changed, s.activities.CreateContact)
}

// GetContact returns one contact as the caller may see it.
//
// Authorization: customers.read and the customer in scope (else not
// found). Unmasked personal fields are audited first (fail-closed).
func (s *Service) GetContact(ctx context.Context, id domain.ID) (*domain.Contact, error) {
	return s.contacts().read(ctx, domain.FnCustomersRead, id)
}

// UpdateContact applies a partial update, to the version pre names if it
// names any (If-Match).
//
// Authorization: customers.update, the customer in scope, and write
// access to the class of every field changed. Errors: invalid, forbidden,
// not found, conflict (the customer is erased), precondition_failed.
func (s *Service) UpdateContact(ctx context.Context, id domain.ID, p *domain.ContactPatch, pre domain.Precondition) (*domain.Contact, error) {
	return s.contacts().update(ctx, domain.FnCustomersUpdate, id, "contact.update", pre,
		func(_ *domain.Actor, c *domain.Contact, _ time.Time) ([]string, error) { return p.Apply(c) })
}

// DeleteContact deletes a contact.
//
// Authorization: customers.update and the customer in scope.
func (s *Service) DeleteContact(ctx context.Context, id domain.ID) error {
	return s.contacts().remove(ctx, domain.FnCustomersUpdate, id)
}

// ListContacts returns a page of the contacts of customer f.CustomerID.
//
// Authorization: customers.read and the customer in scope (else not
// found). Unmasked personal fields on the page are audited first.
func (s *Service) ListContacts(ctx context.Context, f domain.ContactFilter) (domain.Page[*domain.Contact], error) {
	a, err := policy.Require(ctx, domain.FnCustomersRead)
	if err != nil {
		return domain.Page[*domain.Contact]{}, err
	}
	if _, err := s.customerInScope(ctx, a, f.CustomerID, "contact.list", openNone); err != nil {
		return domain.Page[*domain.Contact]{}, err
	}
	return s.contacts().list(ctx, domain.FnCustomersRead, func(sc domain.RecordScope) (domain.Page[*domain.Contact], error) {
		f.Scope = sc
		return s.activities.ListContacts(ctx, f)
	})
}
