package crm

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Contacts are people at company customers. They are part of the customer
// record: reading them needs customers.read, changing them
// customers.update, and their name, phone and email are contact data.

func contactParent(c *domain.Contact) domain.ParentRef           { return c.Parent }
func shapeContact(v *policy.View, c *domain.Contact)             { v.Contact(c) }
func shapeContactID(v *policy.View, c *domain.Contact) domain.ID { v.Contact(c); return c.ID }

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
	c, err := s.customerInScope(ctx, a, customerID, "contact.create")
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
	ct.CustomerID, ct.CreatedAt, ct.UpdatedAt, ct.Parent = c.ID, now, now, refOf(c)
	ev := domain.NewAuditEvent(ctx, now, "contact.create", "contact", string(ct.ID))
	ev.Fields = changed
	if err := s.store.CreateContact(ctx, ct, ev); err != nil {
		return nil, err
	}
	policy.NewView(a).Contact(ct)
	return ct, nil
}

// GetContact returns one contact as the caller may see it.
//
// Authorization: customers.read and the customer in scope (else not
// found). Unmasked personal fields are audited first (fail-closed).
func (s *Service) GetContact(ctx context.Context, id domain.ID) (*domain.Contact, error) {
	return readChild(ctx, s, domain.FnCustomersRead, id, "contact", s.store.GetContact, contactParent, shapeContact)
}

// UpdateContact applies a partial update.
//
// Authorization: customers.update, the customer in scope, and write
// access to the class of every field changed. Errors: invalid, forbidden,
// not found, conflict (changed meanwhile, or the customer is erased).
func (s *Service) UpdateContact(ctx context.Context, id domain.ID, p *domain.ContactPatch) (*domain.Contact, error) {
	a, err := policy.Require(ctx, domain.FnCustomersUpdate)
	if err != nil {
		return nil, err
	}
	c, err := getChild(ctx, s, a, id, "contact", "contact.update", s.store.GetContact, contactParent)
	if err != nil {
		return nil, err
	}
	if c.Parent.Erased {
		return nil, errErased
	}
	prev := c.UpdatedAt
	changed, err := p.Apply(c)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.ContactFieldClass); err != nil {
		return nil, err
	}
	now := s.stamp()
	if len(changed) > 0 {
		c.UpdatedAt = now
	}
	view := *c
	v := policy.NewView(a)
	v.Contact(&view)
	err = s.saveChange(ctx, now, "contact.update", "contact", id, changed, v.Revealed, func(evs ...*domain.AuditEvent) error {
		return s.store.UpdateContact(ctx, c, prev, evs...)
	})
	if err != nil {
		return nil, err
	}
	return &view, nil
}

// DeleteContact deletes a contact.
//
// Authorization: customers.update and the customer in scope.
func (s *Service) DeleteContact(ctx context.Context, id domain.ID) error {
	return deleteChild(ctx, s, domain.FnCustomersUpdate, id, "contact", s.store.GetContact, contactParent, s.store.DeleteContact)
}

// ListContacts returns a page of the contacts of customer f.CustomerID.
//
// Authorization: customers.read and the customer in scope (else not
// found). Unmasked personal fields on the page are audited first.
func (s *Service) ListContacts(ctx context.Context, f domain.ContactFilter) (domain.Page[*domain.Contact], error) {
	var page domain.Page[*domain.Contact]
	a, err := policy.Require(ctx, domain.FnCustomersRead)
	if err != nil {
		return page, err
	}
	if _, err := s.customerInScope(ctx, a, f.CustomerID, "contact.list"); err != nil {
		return page, err
	}
	f.Scope = policy.RecordScope(a)
	if page, err = s.store.ListContacts(ctx, f); err != nil {
		return page, err
	}
	if err := auditPage(ctx, s, a, "contact", page.Items, shapeContactID); err != nil {
		return domain.Page[*domain.Contact]{}, err
	}
	return page, nil
}
