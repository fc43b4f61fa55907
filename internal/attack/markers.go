package attack

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// A Marker is a unique value seeded into one field of one record. The
// access matrix greps every response for markers the caller may not see:
// a marker's full value (or the part masking hides) where the caller's
// access is below read, and its masked form too where the caller may not
// see the field at all or not reach the record.
type Marker struct {
	Bundle string            // which seeded record set holds it
	Kind   string            // customer, contact, deal, visit, note, task
	Field  string            // API field name
	Class  domain.FieldClass // field class
	Full   string            // the value as the API returns it in full
	// Secrets are fragments only the full value shows (masking hides
	// them); none may appear when access is below read.
	Secrets []string
	// Masked is the masked form when it is distinctive ("" when masking
	// shows nothing recognisable, e.g. "****").
	Masked string
}

// readFunction is the function that reads records of kind.
func readFunction(kind string) domain.Function {
	switch kind {
	case "customer", "contact":
		return domain.FnCustomersRead
	case "deal":
		return domain.FnDealsRead
	case "visit":
		return domain.FnVisitsRead
	default: // note, task
		return domain.FnNotesRead
	}
}

// markerGen makes unique, valid marker values. tag makes a run's values
// unlike any other run's; n counts values within the run.
type markerGen struct {
	mu  sync.Mutex
	tag string // lower-case letters
	n   int
}

func newMarkerGen(tag string) *markerGen { return &markerGen{tag: strings.ToLower(tag)} }

// letters spells n in base 26 with a-z (at least 3 letters).
func letters(n int) string {
	var b []byte
	for i := 0; i < 3 || n > 0; i++ {
		b = append([]byte{byte('a' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

func (g *markerGen) next() (int, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return g.n, g.tag + letters(g.n)
}

// Phone returns a mainland mobile number unique within the run (national
// 11 digits; the API shows it as +86 and those digits).
func (g *markerGen) Phone() (national string) {
	n, _ := g.next()
	return fmt.Sprintf("139%08d", (tagDigits(g.tag)*7919+n)%100000000)
}

func tagDigits(tag string) int {
	h := 0
	for _, c := range tag {
		h = (h*31 + int(c)) % 100000
	}
	return h
}

// PersonName returns a Latin two-word name: masking keeps the last word
// and hides the first, which is the secret.
func (g *markerGen) PersonName() (full, secret string) {
	_, t := g.next()
	first := "Mk" + t
	return first + " Zq" + t, first
}

// Email returns a unique address; masking keeps the first letter and the
// domain, so the local part is the secret.
func (g *markerGen) Email() (full, secret string) {
	_, t := g.next()
	local := "u" + t + "x"
	return local + "@d" + t + ".example.com", local + "@"
}

// Street returns a unique street line (masked entirely).
func (g *markerGen) Street() string {
	_, t := g.next()
	return "Markerstreet " + t + " Road"
}

// Passport returns a unique passport number.
func (g *markerGen) Passport() string {
	n, t := g.next()
	return "P" + strings.ToUpper(t) + fmt.Sprintf("%05d", n)
}

// BankAccount returns a unique account number; masking keeps the last
// four characters, so the rest is the secret.
func (g *markerGen) BankAccount() (full, secret string) {
	n, t := g.next()
	head := "MKB" + strings.ToUpper(t)
	return head + fmt.Sprintf("%08d", n), head
}

// usccChars and usccWeights are GB 32100's alphabet and weights.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// TaxID returns a valid unified social credit code unique within the run.
func (g *markerGen) TaxID() string {
	n, _ := g.next()
	// The counter comes first so that the part masking hides (all but the
	// last four characters) is unique too.
	body := fmt.Sprintf("91%04d%05d000000", n%10000, tagDigits(g.tag)%100000)
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccChars, body[i]) * usccWeights[i]
	}
	return body + string(usccChars[(31-sum%31)%31])
}

// Company returns a unique company name (public class).
func (g *markerGen) Company() string {
	_, t := g.next()
	return "Markco " + t + " Ltd"
}

// Text returns unique free text (notes, task titles, visit notes).
func (g *markerGen) Text(what string) string {
	_, t := g.next()
	return what + " marker " + t + " text"
}

// Amount returns a unique deal amount in CNY as the API returns it.
func (g *markerGen) Amount() string {
	n, _ := g.next()
	return fmt.Sprintf("7%04d%03d.%02d", tagDigits(g.tag)%10000, n%1000, 11+n%88)
}

// Coordinate returns a unique coordinate with six decimals (the last one
// never zero, so it prints as generated), within [base, base+1).
func (g *markerGen) Coordinate(base int) float64 {
	n, _ := g.next()
	micro := (tagDigits(g.tag)*7919 + n*104729) % 1000000
	if micro%10 == 0 {
		micro++
	}
	v, _ := strconv.ParseFloat(fmt.Sprintf("%d.%06d", base, micro), 64)
	return v
}

// Marker constructors: each knows how the API shows its field in full and
// masked.

func phoneMarker(national string) (full, masked string) {
	e164 := "+86" + national
	return national, policy.MaskPhone(e164)
}

func newMarker(bundle, kind, field string, class domain.FieldClass, full string, secrets []string, masked string) Marker {
	return Marker{Bundle: bundle, Kind: kind, Field: field, Class: class, Full: full, Secrets: secrets, Masked: masked}
}

// Needle is a string that must not appear in a response, and why.
type Needle struct {
	Text   string
	Marker *Marker
	Why    string
}

// Visibility says how far a caller reaches a bundle.
type Visibility func(bundle string) bool

// ForbiddenNeedles lists what role (nil: anonymous) must never be shown,
// given which bundles it reaches. allow holds values a cell may show on
// purpose (a reveal).
func ForbiddenNeedles(role *domain.Role, reaches Visibility, markers []Marker) []Needle {
	var out []Needle
	for i := range markers {
		m := &markers[i]
		access := domain.AccessNone
		reason := ""
		switch {
		case role == nil:
			reason = "anonymous caller"
		case !role.Can(readFunction(m.Kind)):
			reason = "role may not read " + m.Kind + "s"
		case !reaches(m.Bundle):
			reason = "record outside the role's scope"
		default:
			access = role.FieldAccess(m.Class)
			reason = fmt.Sprintf("%s access to %s fields", access, m.Class)
		}
		if access >= domain.AccessRead {
			continue
		}
		out = append(out, Needle{Text: m.Full, Marker: m, Why: reason})
		for _, s := range m.Secrets {
			out = append(out, Needle{Text: s, Marker: m, Why: reason})
		}
		if access == domain.AccessNone && m.Masked != "" {
			out = append(out, Needle{Text: m.Masked, Marker: m, Why: reason + " (masked form)"})
		}
	}
	return out
}

// Leak is a forbidden value found in a response.
type Leak struct {
	Needle Needle
}

func (l Leak) String() string {
	m := l.Needle.Marker
	return fmt.Sprintf("%s %s.%s (%s class, bundle %s) shown as %q: %s",
		m.Kind, m.Kind, m.Field, m.Class, m.Bundle, l.Needle.Text, l.Needle.Why)
}

// ScanLeaks returns the needles found in body, except values in allow.
func ScanLeaks(body []byte, needles []Needle, allow []string) []Leak {
	var out []Leak
	s := string(body)
	for _, n := range needles {
		if n.Text == "" || !strings.Contains(s, n.Text) {
			continue
		}
		allowed := false
		for _, a := range allow {
			if a != "" && strings.Contains(a, n.Text) {
				allowed = true
				break
			}
		}
		if !allowed {
			out = append(out, Leak{Needle: n})
		}
	}
	return out
}

// markerMask masks a full value the way the API does, by field name.
type markerMask struct{}

func (markerMask) mask(field, full string) (string, bool) {
	switch field {
	case "name":
		return policy.MaskPersonName(full), true
	case "phone":
		return policy.MaskPhone(full), true
	case "email":
		return policy.MaskEmail(full), true
	}
	return "", false
}
