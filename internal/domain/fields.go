package domain

// FieldClass groups fields that share a sensitivity. Roles grant access per
// class; the store seals every field of a sealed class.
type FieldClass string

// Field classes.
const (
	// ClassPublic holds business data that identifies no one on its own:
	// company names, industry, tags, status, region, owner.
	ClassPublic FieldClass = "public"
	// ClassContact holds contact PII: a person's name, phone, email, street
	// address, and the same for contacts at companies.
	ClassContact FieldClass = "contact"
	// ClassIdentity holds identity documents: national ID numbers, passports.
	ClassIdentity FieldClass = "identity"
	// ClassFinancial holds financial identifiers: bank accounts, tax ids.
	ClassFinancial FieldClass = "financial"
	// ClassAmount holds commercial amounts (deal values). They are stored in
	// clear so reports can aggregate them, and access is still per role.
	ClassAmount FieldClass = "amount"
	// ClassNote holds free text that may mention anything about a person:
	// notes, visit outcomes, task titles.
	ClassNote FieldClass = "note"
	// ClassLocation holds where a rep was: visit check-in and check-out
	// coordinates.
	ClassLocation FieldClass = "location"
)

// AllFieldClasses lists every class in a stable order.
var AllFieldClasses = []FieldClass{
	ClassPublic, ClassContact, ClassIdentity, ClassFinancial, ClassAmount, ClassNote, ClassLocation,
}

// Sealed reports whether values of the class are encrypted at rest.
func (c FieldClass) Sealed() bool {
	switch c {
	case ClassContact, ClassIdentity, ClassFinancial, ClassNote, ClassLocation:
		return true
	}
	return false
}

// ValidFieldClass reports whether c names a class.
func ValidFieldClass(c FieldClass) bool {
	for _, k := range AllFieldClasses {
		if k == c {
			return true
		}
	}
	return false
}

// Field describes one field of a record as the API names it.
type Field struct {
	Name  string
	Class FieldClass
	// Personal is true for fields whose unmasked read is personal data and
	// must be audited.
	Personal bool
}

// Customer fields. A person's name is contact PII; a company's name is
// public (customerNameClass picks).
var (
	FieldCustomerName        = Field{Name: "name", Class: ClassContact, Personal: true}
	FieldCustomerCompanyName = Field{Name: "name", Class: ClassPublic}
	FieldCustomerPhone       = Field{Name: "phone", Class: ClassContact, Personal: true}
	FieldCustomerEmail       = Field{Name: "email", Class: ClassContact, Personal: true}
	FieldCustomerStreet      = Field{Name: "address.street", Class: ClassContact, Personal: true}
	FieldCustomerIDNumber    = Field{Name: "id_number", Class: ClassIdentity, Personal: true}
	FieldCustomerTaxID       = Field{Name: "tax_id", Class: ClassFinancial, Personal: true}
	FieldCustomerBankAccount = Field{Name: "bank_account", Class: ClassFinancial, Personal: true}

	FieldContactName  = Field{Name: "name", Class: ClassContact, Personal: true}
	FieldContactPhone = Field{Name: "phone", Class: ClassContact, Personal: true}
	FieldContactEmail = Field{Name: "email", Class: ClassContact, Personal: true}

	FieldDealAmount = Field{Name: "amount", Class: ClassAmount}

	FieldVisitNotes         = Field{Name: "notes", Class: ClassNote, Personal: true}
	FieldVisitCheckOutNotes = Field{Name: "check_out_notes", Class: ClassNote, Personal: true}
	FieldVisitLocation      = Field{Name: "location", Class: ClassLocation, Personal: true}

	FieldNoteBody  = Field{Name: "body", Class: ClassNote, Personal: true}
	FieldTaskTitle = Field{Name: "title", Class: ClassNote, Personal: true}
)

// CustomerNameField returns the field spec of a customer's name by kind.
func CustomerNameField(kind CustomerKind) Field {
	if kind == CustomerCompany {
		return FieldCustomerCompanyName
	}
	return FieldCustomerName
}
