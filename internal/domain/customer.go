package domain

import "time"

// CustomerKind tells a person from a company.
type CustomerKind string

// Customer kinds.
const (
	CustomerPerson  CustomerKind = "person"
	CustomerCompany CustomerKind = "company"
)

// CustomerStatus is where a customer stands with the company.
type CustomerStatus string

// Customer statuses.
const (
	StatusLead     CustomerStatus = "lead"
	StatusProspect CustomerStatus = "prospect"
	StatusActive   CustomerStatus = "active"
	StatusInactive CustomerStatus = "inactive"
)

// ValidCustomerStatus reports whether s is a known status.
func ValidCustomerStatus(s CustomerStatus) bool {
	switch s {
	case StatusLead, StatusProspect, StatusActive, StatusInactive:
		return true
	}
	return false
}

// IDType tells which kind of identity document id_number holds.
type IDType string

// Identity document types.
const (
	IDCNResident IDType = "cn_resident" // 18-character PRC resident identity card
	IDPassport   IDType = "passport"
	IDOther      IDType = "other"
)

// Address is a postal address. Province, city and district are public
// (territory scoping and regional reports need them); the street line is
// contact PII and sealed.
type Address struct {
	Province string
	City     string
	District string
	Street   string
}

// IsZero reports whether no part of the address is set.
func (a Address) IsZero() bool {
	return a.Province == "" && a.City == "" && a.District == "" && a.Street == ""
}

// Customer is a person or a company the business sells to. Sensitive fields
// hold plaintext inside the service layer; the store seals them at its
// boundary. A Customer returned to a caller has fields the caller may not
// see cleared (and listed in Hidden) or masked (listed in Masked).
type Customer struct {
	ID          ID
	Kind        CustomerKind
	Name        string
	Phone       string // E.164, e.g. +8613800138000
	Email       string // lower-cased, IDNA domain
	Address     Address
	IDType      IDType
	IDNumber    string
	TaxID       string // unified social credit code for PRC companies
	BankAccount string
	Company     string // for a person: the organisation they belong to
	Industry    string
	Tags        []string
	OwnerID     ID
	TeamID      ID
	Status      CustomerStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
	// Erased is true after crypto-shredding: the personal fields are gone.
	Erased bool
	// Unreadable says why the customer's stored data failed its integrity
	// check ("" when it did not): every field but the id and what scope
	// checks need is then empty, and no caller is shown anything else.
	Unreadable UnreadableReason

	// View annotations set by the service for the caller.
	Masked []string
	Hidden []string
}

// CustomerFilter selects customers for a list. Scope fields are set by the
// service from the actor, never from input.
type CustomerFilter struct {
	// IDs restricts the list to these customers (at most a page).
	IDs          []ID
	OwnerID      ID
	Status       CustomerStatus
	Tag          string
	Kind         CustomerKind
	UpdatedSince time.Time
	// Search is the partial search of q (nil: none). Matches are
	// confirmed by decrypting, so a page may hold fewer than Limit
	// customers and still have a next cursor (MaxSearchExamined).
	Search *Search
	Cursor ID // list customers with ids below Cursor (newest first)
	Limit  int
	// Skip names field classes the caller may not see at all: the store
	// leaves them sealed (they come back empty).
	Skip map[FieldClass]bool

	Scope RecordScope
}

// RecordScope restricts queries to the records an actor may reach. The
// zero value reaches all records.
type RecordScope struct {
	OwnerID     ID   // own scope
	TeamID      ID   // team scope
	Territories []ID // territory scope
	Nothing     bool // reaches no records at all
}

// LookupField names a field with an exact-match blind index.
type LookupField string

// Exact-lookup fields.
const (
	LookupPhone    LookupField = "phone"
	LookupEmail    LookupField = "email"
	LookupIDNumber LookupField = "id_number"
	LookupTaxID    LookupField = "tax_id"
)

// LookupFields lists the exact-lookup fields: the identifiers no two
// customers share.
var LookupFields = []LookupField{LookupPhone, LookupEmail, LookupIDNumber, LookupTaxID}

// Identifier returns c's value of an exact-lookup field ("" for another
// field).
func (c *Customer) Identifier(f LookupField) string {
	switch f {
	case LookupPhone:
		return c.Phone
	case LookupEmail:
		return c.Email
	case LookupIDNumber:
		return c.IDNumber
	case LookupTaxID:
		return c.TaxID
	}
	return ""
}

// Page is one page of a cursor-paginated list.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// DefaultPageSize and MaxPageSize bound list requests.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)
