package records

import (
	"context"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// CreateCustomer creates a customer from in.
//
// Authorization: customers.create, and write access to the class of every
// field set. The owner defaults to the caller; only roles whose scope goes
// beyond their own records may assign another owner, within their scope.
// A phone, email, ID number or tax id another customer holds, or the
// name of another company customer, is answered by a duplicate check
// (duplicates.go): a conflict carrying a *domain.DuplicateError that says
// what the caller may know of that customer; each costs a token of the
// caller's duplicate bucket, and while it is empty every create is
// refused (rate_limited). Errors: invalid (field named), forbidden,
// conflict, rate_limited, unavailable (audit).
func (s *Service) CreateCustomer(ctx context.Context, in *domain.CustomerInput) (*domain.Customer, error) {
	a, err := s.require(ctx, domain.FnCustomersCreate, "customer.create", "customer", "")
	if err != nil {
		return nil, err
	}
	c, changed, err := domain.NewCustomer(in)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.CustomerFieldClass(c.Kind)); err != nil {
		s.recordDenied(ctx, "customer.create", "customer", "", "may not write field "+domain.AsError(err).Field)
		return nil, err
	}
	if c.OwnerID == "" && !a.System {
		c.OwnerID = a.UserID
	}
	if err := s.assignOwner(ctx, a, c); err != nil {
		return nil, err
	}
	checked := checksDuplicates(a)
	if checked {
		if err := s.duplicateBudget(ctx, a, "create"); err != nil {
			return nil, err
		}
		if c.Kind == domain.CustomerCompany {
			holders, err := s.duplicates.CompanyNameHolders(ctx, c.Name)
			if err != nil {
				return nil, err
			}
			if len(holders) > 0 {
				return nil, s.duplicateAnswer(ctx, a, "name", holders)
			}
		}
	}
	now := s.now().UTC()
	c.ID = domain.NewIDAt(domain.KindCustomer, now)
	c.CreatedAt, c.UpdatedAt, c.Version = now, now, 1
	ev := domain.NewAuditEvent(ctx, now, "customer.create", "customer", string(c.ID))
	ev.Fields = changed
	if err := s.customers.CreateCustomer(ctx, c, ev); err != nil {
		if field := identifierConflict(err); field != "" && checked {
			return nil, s.identifierDuplicate(ctx, a, field, c, err)
		}
		return nil, err
	}
	policy.NewView(a).Customer(c)
	return c, nil
}

// assignOwner checks the owner the customer is given (see checkAssignee)
// and sets its team from the owner's team.
func (s *Service) assignOwner(ctx context.Context, a *domain.Actor, c *domain.Customer) error {
	if c.OwnerID == "" {
		c.TeamID = ""
		return nil
	}
	owner, err := s.checkAssignee(ctx, a, "owner_id", c.OwnerID)
	if err != nil {
		return err
	}
	c.TeamID = owner.TeamID
	return nil
}

// GetCustomer returns one customer as the caller may see it.
//
// Authorization: customers.read and the record in scope (else not found).
// Unmasked personal fields returned are audited first; if the audit event
// cannot be made durable, no data is returned (unavailable).
func (s *Service) GetCustomer(ctx context.Context, id domain.ID) (*domain.Customer, error) {
	a, err := s.require(ctx, domain.FnCustomersRead, "customer.read", "customer", id)
	if err != nil {
		return nil, err
	}
	c, err := s.customerInScope(ctx, a, id, "customer.read", hiddenClasses(a))
	if err != nil {
		return nil, err
	}
	if c.Unreadable != "" {
		return nil, s.unreadable(ctx, "customer.read", c)
	}
	v := policy.NewView(a)
	v.Customer(c)
	if err := s.recordRead(ctx, "customer.read", "customer", c.ID, nil, v.Revealed); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCustomer applies a partial update. With a precondition
// (If-Match) the customer must still be at a version the caller named;
// without one the change applies to the customer as it is (a change that
// loses a race to another is made again on the fresh record).
//
// Authorization: customers.update, the record in scope, and write access to
// the class of every field changed; owner changes follow CreateCustomer's
// rule. The update and the read of the returned record are audited in the
// same transaction. Errors: invalid, forbidden, not found, conflict (a
// unique value is taken, or the customer is erased), precondition_failed.
func (s *Service) UpdateCustomer(ctx context.Context, id domain.ID, p *domain.CustomerPatch, pre domain.Precondition) (*domain.Customer, error) {
	return retryStale(func() (*domain.Customer, error) { return s.updateCustomer(ctx, id, p, pre) })
}

func (s *Service) updateCustomer(ctx context.Context, id domain.ID, p *domain.CustomerPatch, pre domain.Precondition) (*domain.Customer, error) {
	a, err := s.require(ctx, domain.FnCustomersUpdate, "customer.update", "customer", id)
	if err != nil {
		return nil, err
	}
	c, err := s.customerInScope(ctx, a, id, "customer.update", openAll)
	if err != nil {
		return nil, err
	}
	if err := pre.Check("customer", c.Version); err != nil {
		return nil, err
	}
	if c.Unreadable != "" {
		return nil, s.unreadable(ctx, "customer.update", c)
	}
	if c.Erased {
		return nil, domain.Conflict("", "the customer has been erased")
	}
	changed, err := p.Apply(c)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.CustomerFieldClass(c.Kind)); err != nil {
		s.recordDenied(ctx, "customer.update", "customer", c.ID, "may not write field "+domain.AsError(err).Field)
		return nil, err
	}
	if contains(changed, "owner_id") {
		if err := s.assignOwner(ctx, a, c); err != nil {
			return nil, err
		}
	}
	if err := s.checkChangeDuplicates(ctx, a, c, changed); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	view := *c
	view.Tags = append([]string(nil), c.Tags...)
	v := policy.NewView(a)
	v.Customer(&view)
	if len(changed) == 0 {
		if err := s.recordRead(ctx, "customer.read", "customer", c.ID, nil, v.Revealed); err != nil {
			return nil, err
		}
		return &view, nil
	}
	c.UpdatedAt = now
	ev := domain.NewAuditEvent(ctx, now, "customer.update", "customer", string(c.ID))
	ev.Fields = changed
	var readEv *domain.AuditEvent
	if len(v.Revealed) > 0 {
		readEv = domain.NewAuditEvent(ctx, now, "customer.read", "customer", string(c.ID))
		readEv.Fields = v.Revealed
	}
	if err := s.customers.UpdateCustomer(ctx, c, changed, ev, readEv); err != nil {
		if field := identifierConflict(err); field != "" && checksDuplicates(a) {
			var holder domain.ID
			if h, herr := s.duplicates.IdentifierHolder(ctx, field, c.Identifier(field)); herr == nil && h != nil {
				holder = h.ID
			}
			return nil, s.changeDuplicate(ctx, a, string(field), holder, err)
		}
		return nil, err
	}
	view.UpdatedAt, view.Version = c.UpdatedAt, c.Version
	return &view, nil
}

// DeleteCustomer deletes a customer with its contacts, notes and tasks.
// A customer with deals or visits is refused (conflict) unless cascade is
// set, which deletes those too.
//
// Authorization: customers.delete and the record in scope.
func (s *Service) DeleteCustomer(ctx context.Context, id domain.ID, cascade bool) error {
	a, err := s.require(ctx, domain.FnCustomersDelete, "customer.delete", "customer", id)
	if err != nil {
		return err
	}
	if _, err := s.customerInScope(ctx, a, id, "customer.delete", openNone); err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, s.now(), "customer.delete", "customer", string(id))
	if cascade {
		ev.Reason = "cascade"
	}
	if err := s.customers.DeleteCustomer(ctx, id, cascade, ev); err != nil {
		return err
	}
	s.shred(ctx)
	return nil
}

// ListCustomers returns a page of customers in the caller's scope matching
// f. A search (f.Search, the q of the API) matches partial names, phone
// endings and email local parts through the blind index (see
// domain.ParseSearch); a page of search results may hold fewer than the
// limit and still have a next cursor.
//
// Authorization: customers.read; records outside scope are never listed.
// A search reads contact data (a person's name, phone, email) only for a
// role that may look customers up by contact data (domain.Role.Lookup):
// one that sees contact data masked draws each search from the same
// per-user budget as its exact lookups (rate_limited, Retry-After), and
// one that may not look up by contact data searches company names only
// (forbidden, field q, for a phone or email search). Unmasked personal
// fields on the page, and every search (the fields searched, never the
// query), are audited before the page is returned.
func (s *Service) ListCustomers(ctx context.Context, f domain.CustomerFilter) (domain.Page[*domain.Customer], error) {
	var page domain.Page[*domain.Customer]
	a, err := s.require(ctx, domain.FnCustomersRead, "customer.list", "customer", "")
	if err != nil {
		return page, err
	}
	if f.Search != nil {
		if err := s.allowSearch(ctx, a, &f); err != nil {
			return page, err
		}
	}
	f.Scope, f.Skip = policy.RecordScope(a), hiddenClasses(a)
	page, err = s.customers.ListCustomers(ctx, f)
	if err != nil {
		return page, err
	}
	var ids, fields []string
	for _, c := range page.Items {
		if c.Unreadable != "" {
			s.reportUnreadable(ctx, "customer.list", c)
			continue
		}
		v := policy.NewView(a)
		v.Customer(c)
		if len(v.Revealed) > 0 {
			ids = append(ids, string(c.ID))
			fields = mergeFields(fields, v.Revealed)
		}
	}
	action := "customer.list"
	if f.Search != nil {
		action = domain.ActionCustomerSearch
		fields = mergeFields(f.Search.Fields(), fields)
		ids = nil
		for _, c := range page.Items {
			ids = append(ids, string(c.ID))
		}
	}
	if err := s.recordRead(ctx, action, "customer", "", ids, fields); err != nil {
		return domain.Page[*domain.Customer]{}, err
	}
	return page, nil
}

// allowSearch decides whether and how a may run f's search (see
// ListCustomers), narrowing it to company names or taking a token from
// the caller's masked-lookup budget.
func (s *Service) allowSearch(ctx context.Context, a *domain.Actor, f *domain.CustomerFilter) error {
	if a.System {
		return nil
	}
	allowed, limited := a.Role.Lookup(domain.ClassContact)
	if !allowed {
		if !f.Search.OnlyCompanies() || f.Kind == domain.CustomerPerson {
			s.recordDenied(ctx, domain.ActionCustomerSearch, "customer", "", "may not search contact data")
			return &domain.Error{Code: domain.CodeForbidden, Field: "q",
				Message: "your role may search company names only, not phone numbers, emails or the names of people"}
		}
		return nil
	}
	if !limited || f.Kind == domain.CustomerCompany && f.Search.OnlyCompanies() {
		return nil // company names are public: no lookup budget
	}
	ok, wait, err := s.limiter.Take(ctx, "lookup:"+string(a.UserID), s.maskedLookup)
	if err != nil {
		return err
	}
	if !ok {
		s.recordDenied(ctx, domain.ActionCustomerSearch, "customer", "", "masked searches over the rate limit")
		return domain.RateLimited(wait, "too many searches and lookups by values your role sees masked; try again later")
	}
	return nil
}

// hiddenClasses names the sealed field classes a may not see at all: the
// store leaves them sealed, so they are never decrypted for a.
func hiddenClasses(a *domain.Actor) map[domain.FieldClass]bool {
	skip := map[domain.FieldClass]bool{}
	for _, c := range []domain.FieldClass{domain.ClassContact, domain.ClassIdentity, domain.ClassFinancial} {
		if policy.FieldAccess(a, c) == domain.AccessNone {
			skip[c] = true
		}
	}
	return skip
}

// lookupClass is the field class of each exact-lookup field.
var lookupClass = map[domain.LookupField]domain.FieldClass{
	domain.LookupPhone:    domain.ClassContact,
	domain.LookupEmail:    domain.ClassContact,
	domain.LookupIDNumber: domain.ClassIdentity,
	domain.LookupTaxID:    domain.ClassFinancial,
}

// FindCustomers looks customers up by an exact identifier (phone, email,
// id_number, tax_id), normalizing value first.
//
// Authorization: customers.read, and a role that may look up by the
// field's class (domain.Role.Lookup): read or write access to it, or
// masked access where the role's masked_lookup names the class — an
// exact match confirms that a value belongs to some customer, so such
// lookups are rate-limited per user (Options.MaskedLookupRate). The
// lookup is audited with the field name, never the value; a refused one
// as denied. Errors: invalid, forbidden, rate_limited (Retry-After).
func (s *Service) FindCustomers(ctx context.Context, field domain.LookupField, value string) ([]*domain.Customer, error) {
	a, err := s.require(ctx, domain.FnCustomersRead, domain.ActionCustomerLookup, "customer", "")
	if err != nil {
		return nil, err
	}
	class, ok := lookupClass[field]
	if !ok {
		return nil, domain.Invalid(string(field), "cannot look customers up by this field")
	}
	allowed, limited := true, false
	if !a.System {
		allowed, limited = a.Role.Lookup(class)
	}
	if !allowed {
		s.recordDenied(ctx, domain.ActionCustomerLookup, "customer", "", "may not look up by "+string(field))
		return nil, &domain.Error{Code: domain.CodeForbidden, Field: string(field),
			Message: "your role may not look customers up by " + string(field)}
	}
	norm, err := normalizeLookup(field, value)
	if err != nil {
		return nil, err
	}
	if limited {
		ok, wait, err := s.limiter.Take(ctx, "lookup:"+string(a.UserID), s.maskedLookup)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.recordDenied(ctx, domain.ActionCustomerLookup, "customer", "", "masked lookups over the rate limit")
			return nil, domain.RateLimited(wait, "too many lookups by values your role sees masked; try again later")
		}
	}
	found, err := s.customers.FindCustomers(ctx, field, norm, policy.RecordScope(a))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(found))
	fields := []string{string(field)}
	for _, c := range found {
		v := policy.NewView(a)
		v.Customer(c)
		ids = append(ids, string(c.ID))
		fields = mergeFields(fields, v.Revealed)
	}
	if err := s.recordRead(ctx, domain.ActionCustomerLookup, "customer", "", ids, fields); err != nil {
		return nil, err
	}
	return found, nil
}

// normalizeLookup normalizes a value to look customers up by field, as
// the field is stored.
func normalizeLookup(field domain.LookupField, value string) (string, error) {
	switch field {
	case domain.LookupPhone:
		return domain.NormalizePhone("phone", value, domain.DefaultPhoneRegion)
	case domain.LookupEmail:
		return domain.NormalizeEmail("email", value)
	case domain.LookupIDNumber:
		norm, err := domain.NormalizeCNResidentID("id_number", value)
		if err != nil {
			norm, err = domain.NormalizeDocumentNumber("id_number", value)
		}
		return norm, err
	case domain.LookupTaxID:
		return domain.NormalizeUSCC("tax_id", value)
	}
	return "", domain.Invalid(string(field), "cannot look customers up by this field")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s || strings.HasPrefix(v, s+".") {
			return true
		}
	}
	return false
}
