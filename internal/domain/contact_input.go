package domain

// ContactInput is everything a client may set when adding a contact to a
// company customer.
type ContactInput struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	Title string `json:"title"`
}

// ContactPatch is a partial update of a contact: nil fields stay as they
// are, an empty string clears an optional field.
type ContactPatch struct {
	Name  *string `json:"name"`
	Phone *string `json:"phone"`
	Email *string `json:"email"`
	Title *string `json:"title"`
}

// Apply validates and normalizes the patch onto c and returns the names of
// the fields it changed. On error c is unchanged.
func (p *ContactPatch) Apply(c *Contact) ([]string, error) {
	next := *c
	var ch changes
	ch.text("name", p.Name, &next.Name, requiredName)
	ch.text("phone", p.Phone, &next.Phone, optionalPhone)
	ch.text("email", p.Email, &next.Email, optionalEmail)
	ch.text("title", p.Title, &next.Title, shortText)
	if ch.err != nil {
		return nil, ch.err
	}
	*c = next
	return ch.names, nil
}

// NewContact validates a create input and returns the contact it
// describes (without ids or timestamps) and the fields it sets.
func NewContact(in *ContactInput) (*Contact, []string, error) {
	if in.Name == "" {
		return nil, nil, Invalid("name", "name is required")
	}
	c := &Contact{}
	changed, err := (&ContactPatch{Name: &in.Name, Phone: given(in.Phone), Email: given(in.Email), Title: given(in.Title)}).Apply(c)
	if err != nil {
		return nil, nil, err
	}
	return c, changed, nil
}
