package policy

import (
	"github.com/custoscrm/custos/internal/domain"
)

// View shapes one record for one actor: each field is kept, masked or
// cleared according to the actor's access to its class. It collects the
// names of masked, hidden and unmasked personal fields for the response
// and the audit log.
type View struct {
	actor *domain.Actor
	// ceiling, when set, caps the access to every class but public (see
	// NewPoolView).
	ceiling domain.Access
	// Masked and Hidden list field names as the API shows them.
	Masked []string
	Hidden []string
	// Revealed lists personal fields shown in full (to be audited).
	Revealed []string
}

// NewView starts a view for actor a.
func NewView(a *domain.Actor) *View { return &View{actor: a} }

// access is the actor's access to class, under the view's ceiling.
func (v *View) access(class domain.FieldClass) domain.Access {
	acc := FieldAccess(v.actor, class)
	if v.ceiling != domain.AccessNone && class != domain.ClassPublic && acc > v.ceiling {
		return v.ceiling
	}
	return acc
}

// String applies access to a string field: it returns the value to show.
func (v *View) String(f domain.Field, value string, mask func(string) string) string {
	if value == "" {
		return ""
	}
	switch v.access(f.Class) {
	case domain.AccessNone:
		v.Hidden = append(v.Hidden, f.Name)
		return ""
	case domain.AccessMasked:
		v.Masked = append(v.Masked, f.Name)
		return mask(value)
	default:
		if f.Personal {
			v.Revealed = append(v.Revealed, f.Name)
		}
		return value
	}
}

// Location applies access to a location field.
func (v *View) Location(f domain.Field, l *domain.Location) *domain.Location {
	if l == nil {
		return nil
	}
	switch v.access(f.Class) {
	case domain.AccessNone:
		v.Hidden = append(v.Hidden, f.Name)
		return nil
	case domain.AccessMasked:
		v.Masked = append(v.Masked, f.Name)
		return MaskLocation(l)
	default:
		if f.Personal {
			v.Revealed = append(v.Revealed, f.Name)
		}
		return l
	}
}

// Visible reports whether the actor sees class at all (for non-string
// fields such as amounts).
func (v *View) Visible(f domain.Field) bool {
	if v.access(f.Class) == domain.AccessNone {
		v.Hidden = append(v.Hidden, f.Name)
		return false
	}
	return true
}

// Customer shapes c in place for the actor.
func (v *View) Customer(c *domain.Customer) {
	nameField := domain.CustomerNameField(c.Kind)
	c.Name = v.String(nameField, c.Name, MaskPersonName)
	c.Phone = v.String(domain.FieldCustomerPhone, c.Phone, MaskPhone)
	c.Email = v.String(domain.FieldCustomerEmail, c.Email, MaskEmail)
	street := c.Address.Street
	c.Address.Street = v.String(domain.FieldCustomerStreet, street, MaskStreet)
	if street != "" && v.access(domain.ClassContact) < domain.AccessRead {
		// A masked or hidden address keeps only province and city.
		c.Address.District = ""
	}
	c.IDNumber = v.String(domain.FieldCustomerIDNumber, c.IDNumber, MaskIDNumber)
	if c.IDNumber == "" {
		c.IDType = ""
	}
	c.TaxID = v.String(domain.FieldCustomerTaxID, c.TaxID, MaskTail)
	c.BankAccount = v.String(domain.FieldCustomerBankAccount, c.BankAccount, MaskTail)
	c.Masked, c.Hidden = v.Masked, v.Hidden
}

// CheckWrite returns a forbidden error naming the first changed field the
// actor may not write.
func CheckWrite(a *domain.Actor, changed []string, classOf func(field string) domain.FieldClass) error {
	for _, f := range changed {
		if FieldAccess(a, classOf(f)) < domain.AccessWrite {
			return domain.ForbiddenField(f)
		}
	}
	return nil
}

// CustomerFieldClass returns the class of a customer field by its API
// name, for a customer of kind.
func CustomerFieldClass(kind domain.CustomerKind) func(string) domain.FieldClass {
	return func(field string) domain.FieldClass {
		switch field {
		case "name":
			return domain.CustomerNameField(kind).Class
		case "phone", "email", "address.street":
			return domain.ClassContact
		case "id_number", "id_type":
			return domain.ClassIdentity
		case "tax_id", "bank_account":
			return domain.ClassFinancial
		}
		return domain.ClassPublic
	}
}
