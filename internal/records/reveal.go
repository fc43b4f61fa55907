package records

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Reveal reason limits, in characters.
const (
	MinRevealReason = 3
	MaxRevealReason = 500
)

// revealable lists the customer fields a reveal can show, with how to
// read each from a customer.
var revealable = map[string]func(c *domain.Customer) (domain.Field, string){
	"name":           func(c *domain.Customer) (domain.Field, string) { return domain.CustomerNameField(c.Kind), c.Name },
	"phone":          func(c *domain.Customer) (domain.Field, string) { return domain.FieldCustomerPhone, c.Phone },
	"email":          func(c *domain.Customer) (domain.Field, string) { return domain.FieldCustomerEmail, c.Email },
	"address.street": func(c *domain.Customer) (domain.Field, string) { return domain.FieldCustomerStreet, c.Address.Street },
	"id_number":      func(c *domain.Customer) (domain.Field, string) { return domain.FieldCustomerIDNumber, c.IDNumber },
	"tax_id":         func(c *domain.Customer) (domain.Field, string) { return domain.FieldCustomerTaxID, c.TaxID },
	"bank_account":   func(c *domain.Customer) (domain.Field, string) { return domain.FieldCustomerBankAccount, c.BankAccount },
}

// RevealedField is one field of one record shown in full.
type RevealedField struct {
	CustomerID domain.ID
	Field      string
	Value      string
}

// RevealCustomerField returns one field of one customer unmasked, for a
// stated reason (a customer on the phone, a tax filing). The reveal is on
// the audit log, with the reason, before the value is returned; if the
// event cannot be made durable, nothing is returned.
//
// Authorization: fields.reveal; a fresh authentication (step-up); the
// record in scope (else not found); at least masked access to the field's
// class (a class the role may not see at all stays hidden). Errors:
// invalid (field, reason), forbidden, step_up_required, not_found,
// unavailable (audit).
func (s *Service) RevealCustomerField(ctx context.Context, id domain.ID, field, reason string) (*RevealedField, error) {
	a, err := policy.Require(ctx, domain.FnReveal)
	if err != nil {
		return nil, err
	}
	get, ok := revealable[field]
	if !ok {
		return nil, domain.Invalid("field", "field must be one of name, phone, email, address.street, id_number, tax_id, bank_account")
	}
	reason, err = checkReason(reason)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if _, err := policy.RequireFresh(ctx, now, s.stepUp); err != nil {
		return nil, err
	}
	c, err := s.customerInScope(ctx, a, id, "customer.reveal", openAll)
	if err != nil {
		return nil, err
	}
	if c.Unreadable != "" {
		return nil, s.unreadable(ctx, "customer.reveal", c)
	}
	if c.Erased {
		return nil, domain.Conflict("", "the customer has been erased")
	}
	f, value := get(c)
	if policy.FieldAccess(a, f.Class) == domain.AccessNone {
		s.recordDenied(ctx, "customer.reveal", "customer", id, "no access to "+string(f.Class)+" fields")
		return nil, &domain.Error{Code: domain.CodeForbidden, Field: "field", Message: "your role may not see " + field + " at all"}
	}
	ev := domain.NewAuditEvent(ctx, now, "customer.reveal", "customer", string(id))
	ev.Fields = []string{field}
	ev.Reason = reason
	if err := s.audit.Record(ctx, ev); err != nil {
		return nil, errAuditUnavailable
	}
	return &RevealedField{CustomerID: id, Field: field, Value: value}, nil
}

// checkReason requires a short, printable reason.
func checkReason(reason string) (string, error) {
	if !utf8.ValidString(reason) {
		return "", domain.Invalid("reason", "reason is not valid UTF-8")
	}
	reason = strings.TrimSpace(reason)
	n := utf8.RuneCountInString(reason)
	if n < MinRevealReason {
		return "", domain.Invalid("reason", "state why you need to see this (at least %d characters)", MinRevealReason)
	}
	if n > MaxRevealReason {
		return "", domain.Invalid("reason", "reason must have at most %d characters", MaxRevealReason)
	}
	if strings.IndexFunc(reason, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return "", domain.Invalid("reason", "reason must not contain control characters")
	}
	return reason, nil
}
