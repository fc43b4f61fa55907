package domain

import (
	"bytes"
	"encoding/json"
	"sort"
)

// AddressInput is an address as clients send it: either an object with
// province, city, district and street, or a single string, which is kept
// as the street line.
type AddressInput struct {
	Province string `json:"province"`
	City     string `json:"city"`
	District string `json:"district"`
	Street   string `json:"street"`
}

// UnmarshalJSON accepts an object (unknown keys refused) or a string.
func (a *AddressInput) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return Invalid("address", "address must be a string or an object")
		}
		*a = AddressInput{Street: s}
		return nil
	}
	type plain AddressInput
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return Invalid("address", "address must be a string or an object with province, city, district and street (strings)")
	}
	*a = AddressInput(p)
	return nil
}

// CustomerInput is everything a client may set when creating a customer.
// Fields not listed here (id, team, timestamps, version) are never taken
// from input.
type CustomerInput struct {
	Kind        CustomerKind   `json:"kind"`
	Name        string         `json:"name"`
	Phone       string         `json:"phone"`
	Email       string         `json:"email"`
	Address     *AddressInput  `json:"address"`
	IDType      IDType         `json:"id_type"`
	IDNumber    string         `json:"id_number"`
	TaxID       string         `json:"tax_id"`
	BankAccount string         `json:"bank_account"`
	Company     string         `json:"company"`
	Industry    string         `json:"industry"`
	Tags        []string       `json:"tags"`
	OwnerID     ID             `json:"owner_id"`
	Status      CustomerStatus `json:"status"`
}

// CustomerPatch is a partial update: nil fields stay as they are, an empty
// string clears an optional field.
type CustomerPatch struct {
	Name        *string         `json:"name"`
	Phone       *string         `json:"phone"`
	Email       *string         `json:"email"`
	Address     *AddressInput   `json:"address"`
	IDType      *IDType         `json:"id_type"`
	IDNumber    *string         `json:"id_number"`
	TaxID       *string         `json:"tax_id"`
	BankAccount *string         `json:"bank_account"`
	Company     *string         `json:"company"`
	Industry    *string         `json:"industry"`
	Tags        *[]string       `json:"tags"`
	OwnerID     *ID             `json:"owner_id"`
	Status      *CustomerStatus `json:"status"`
}

// ToPatch turns a create input into a patch over an empty customer, so
// create and update share one validation path.
func (in *CustomerInput) ToPatch() *CustomerPatch {
	p := &CustomerPatch{Address: in.Address, Tags: &in.Tags}
	set := func(dst **string, v string) {
		if v != "" {
			*dst = &v
		}
	}
	set(&p.Name, in.Name)
	set(&p.Phone, in.Phone)
	set(&p.Email, in.Email)
	set(&p.IDNumber, in.IDNumber)
	set(&p.TaxID, in.TaxID)
	set(&p.BankAccount, in.BankAccount)
	set(&p.Company, in.Company)
	set(&p.Industry, in.Industry)
	if in.IDType != "" {
		t := in.IDType
		p.IDType = &t
	}
	if in.OwnerID != "" {
		o := in.OwnerID
		p.OwnerID = &o
	}
	if in.Status != "" {
		s := in.Status
		p.Status = &s
	}
	if in.Tags == nil {
		p.Tags = nil
	}
	return p
}

// Apply validates and normalizes the patch onto c and returns the names of
// the fields it changed, in a stable order. On error c is unchanged.
func (p *CustomerPatch) Apply(c *Customer) ([]string, error) {
	next := *c
	next.Tags = append([]string(nil), c.Tags...)
	var changed []string
	mark := func(name string, differs bool) {
		if differs {
			changed = append(changed, name)
		}
	}

	if p.Name != nil {
		v, err := NormalizeName("name", *p.Name)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, Invalid("name", "name is required")
		}
		mark("name", v != next.Name)
		next.Name = v
	}
	if p.Phone != nil {
		v := ""
		if *p.Phone != "" {
			var err error
			if v, err = NormalizePhone("phone", *p.Phone, DefaultPhoneRegion); err != nil {
				return nil, err
			}
		}
		mark("phone", v != next.Phone)
		next.Phone = v
	}
	if p.Email != nil {
		v := ""
		if *p.Email != "" {
			var err error
			if v, err = NormalizeEmail("email", *p.Email); err != nil {
				return nil, err
			}
		}
		mark("email", v != next.Email)
		next.Email = v
	}
	if p.Address != nil {
		a, err := normalizeAddress(p.Address)
		if err != nil {
			return nil, err
		}
		mark("address.province", a.Province != next.Address.Province)
		mark("address.city", a.City != next.Address.City)
		mark("address.district", a.District != next.Address.District)
		mark("address.street", a.Street != next.Address.Street)
		next.Address = a
	}
	if p.IDType != nil {
		switch *p.IDType {
		case IDCNResident, IDPassport, IDOther:
		case "":
		default:
			return nil, Invalid("id_type", "must be cn_resident, passport or other")
		}
		mark("id_type", *p.IDType != next.IDType)
		next.IDType = *p.IDType
	}
	if p.IDNumber != nil || p.IDType != nil {
		raw := next.IDNumber
		if p.IDNumber != nil {
			raw = *p.IDNumber
		}
		v := ""
		if raw != "" {
			if next.Kind == CustomerCompany {
				return nil, Invalid("id_number", "companies have a tax_id, not an id_number")
			}
			if next.IDType == "" {
				next.IDType = IDCNResident
			}
			var err error
			if next.IDType == IDCNResident {
				v, err = NormalizeCNResidentID("id_number", raw)
			} else {
				v, err = NormalizeDocumentNumber("id_number", raw)
			}
			if err != nil {
				return nil, err
			}
		}
		mark("id_number", v != next.IDNumber)
		next.IDNumber = v
		if v == "" {
			next.IDType = ""
		}
	}
	if p.TaxID != nil {
		v := ""
		if *p.TaxID != "" {
			if next.Kind != CustomerCompany {
				return nil, Invalid("tax_id", "only companies have a tax_id")
			}
			var err error
			if v, err = NormalizeUSCC("tax_id", *p.TaxID); err != nil {
				return nil, err
			}
		}
		mark("tax_id", v != next.TaxID)
		next.TaxID = v
	}
	if p.BankAccount != nil {
		v := ""
		if *p.BankAccount != "" {
			var err error
			if v, err = NormalizeBankAccount("bank_account", *p.BankAccount); err != nil {
				return nil, err
			}
		}
		mark("bank_account", v != next.BankAccount)
		next.BankAccount = v
	}
	if p.Company != nil {
		v, err := NormalizeName("company", *p.Company)
		if err != nil {
			return nil, err
		}
		mark("company", v != next.Company)
		next.Company = v
	}
	if p.Industry != nil {
		v, err := NormalizeText("industry", *p.Industry, MaxShortText, false)
		if err != nil {
			return nil, err
		}
		mark("industry", v != next.Industry)
		next.Industry = v
	}
	if p.Tags != nil {
		tags, err := normalizeTags(*p.Tags)
		if err != nil {
			return nil, err
		}
		mark("tags", !equalStrings(tags, next.Tags))
		next.Tags = tags
	}
	if p.OwnerID != nil {
		id, err := ParseID(KindUser, "owner_id", string(*p.OwnerID))
		if err != nil {
			return nil, err
		}
		mark("owner_id", id != next.OwnerID)
		next.OwnerID = id
	}
	if p.Status != nil {
		if !ValidCustomerStatus(*p.Status) {
			return nil, Invalid("status", "must be lead, prospect, active or inactive")
		}
		mark("status", *p.Status != next.Status)
		next.Status = *p.Status
	}
	*c = next
	return changed, nil
}

// NewCustomer validates a create input and returns the customer it
// describes (without id, owner defaults or timestamps).
func NewCustomer(in *CustomerInput) (*Customer, []string, error) {
	c := &Customer{Kind: in.Kind, Status: StatusLead}
	switch c.Kind {
	case "":
		c.Kind = CustomerPerson
	case CustomerPerson, CustomerCompany:
	default:
		return nil, nil, Invalid("kind", "must be person or company")
	}
	if in.Name == "" {
		return nil, nil, Invalid("name", "name is required")
	}
	changed, err := in.ToPatch().Apply(c)
	if err != nil {
		return nil, nil, err
	}
	return c, changed, nil
}

func normalizeAddress(in *AddressInput) (Address, error) {
	var a Address
	var err error
	if a.Province, err = NormalizeText("address.province", in.Province, 50, false); err != nil {
		return a, err
	}
	if a.City, err = NormalizeText("address.city", in.City, 50, false); err != nil {
		return a, err
	}
	if a.District, err = NormalizeText("address.district", in.District, 50, false); err != nil {
		return a, err
	}
	if a.Street, err = NormalizeText("address.street", in.Street, MaxShortText, false); err != nil {
		return a, err
	}
	return a, nil
}

func normalizeTags(in []string) ([]string, error) {
	if len(in) > MaxTags {
		return nil, Invalid("tags", "at most %d tags", MaxTags)
	}
	seen := map[string]bool{}
	out := []string{}
	for _, t := range in {
		v, err := NormalizeTag("tags", t)
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out, nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
