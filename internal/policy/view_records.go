package policy

import "github.com/custoscrm/custos/internal/domain"

// Contact shapes a contact in place for the actor.
func (v *View) Contact(c *domain.Contact) {
	c.Name = v.String(domain.FieldContactName, c.Name, MaskPersonName)
	c.Phone = v.String(domain.FieldContactPhone, c.Phone, MaskPhone)
	c.Email = v.String(domain.FieldContactEmail, c.Email, MaskEmail)
	v.finish(&c.Masked, &c.Hidden)
}

// Deal shapes a deal in place: the amount and its currency are cleared
// for roles without access to amounts.
func (v *View) Deal(d *domain.Deal) {
	if !v.Visible(domain.FieldDealAmount) {
		d.AmountMinor, d.Currency = 0, ""
		v.Hidden = append(v.Hidden, "currency")
	}
	var masked []string
	v.finish(&masked, &d.Hidden)
}

// Visit shapes a visit in place: planning and outcome notes by the note
// class, both check-in and check-out positions by the location class.
func (v *View) Visit(x *domain.Visit) {
	x.Notes = v.String(domain.FieldVisitNotes, x.Notes, MaskText)
	x.CheckOutNotes = v.String(domain.FieldVisitCheckOutNotes, x.CheckOutNotes, MaskText)
	x.CheckInLoc = v.Location(domain.FieldVisitLocation, x.CheckInLoc)
	x.CheckOutLoc = v.Location(domain.FieldVisitLocation, x.CheckOutLoc)
	v.finish(&x.Masked, &x.Hidden)
}

// Note shapes a note in place.
func (v *View) Note(n *domain.Note) {
	n.Body = v.String(domain.FieldNoteBody, n.Body, MaskText)
	v.finish(&n.Masked, &n.Hidden)
}

// Task shapes a task in place.
func (v *View) Task(t *domain.Task) {
	t.Title = v.String(domain.FieldTaskTitle, t.Title, MaskText)
	v.finish(&t.Masked, &t.Hidden)
}

// finish drops repeated names (two fields may share an API name, like a
// visit's two locations) and hands the lists to the record.
func (v *View) finish(masked, hidden *[]string) {
	v.Masked, v.Hidden, v.Revealed = uniq(v.Masked), uniq(v.Hidden), uniq(v.Revealed)
	*masked, *hidden = v.Masked, v.Hidden
}

func uniq(list []string) []string {
	out := list[:0]
	for i, s := range list {
		dup := false
		for _, t := range list[:i] {
			if s == t {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// fieldClasses returns a classOf function for CheckWrite from a table of
// the non-public fields of a record.
func fieldClasses(m map[string]domain.FieldClass) func(string) domain.FieldClass {
	return func(field string) domain.FieldClass {
		if c, ok := m[field]; ok {
			return c
		}
		return domain.ClassPublic
	}
}

// Field classes of the records that hang off a customer, by API field
// name, for CheckWrite.
var (
	ContactFieldClass = fieldClasses(map[string]domain.FieldClass{
		"name": domain.ClassContact, "phone": domain.ClassContact, "email": domain.ClassContact,
	})
	DealFieldClass = fieldClasses(map[string]domain.FieldClass{
		"amount": domain.ClassAmount, "currency": domain.ClassAmount,
	})
	VisitFieldClass = fieldClasses(map[string]domain.FieldClass{
		"notes": domain.ClassNote, "check_out_notes": domain.ClassNote, "location": domain.ClassLocation,
	})
	NoteFieldClass = fieldClasses(map[string]domain.FieldClass{"body": domain.ClassNote})
	TaskFieldClass = fieldClasses(map[string]domain.FieldClass{"title": domain.ClassNote})
)
