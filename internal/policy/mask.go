package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
)

// Masks keep enough of a value to recognise it on the phone with the
// customer, and not enough to use it.

// MaskPhone masks an E.164 number. Mainland mobiles show as national
// numbers with the middle four digits hidden (138****5678); others keep
// the country code, the first three and the last four digits.
func MaskPhone(e164 string) string {
	if e164 == "" {
		return ""
	}
	if strings.HasPrefix(e164, "+86") && len(e164) == 14 {
		n := e164[3:]
		return n[:3] + "****" + n[7:]
	}
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) <= 7 {
		return strings.Repeat("*", len(digits))
	}
	return "+" + digits[:3] + strings.Repeat("*", len(digits)-7) + digits[len(digits)-4:]
}

// MaskEmail keeps the first character of the local part and the domain
// (z***@example.com).
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return maskAll(email)
	}
	r, _ := utf8.DecodeRuneInString(email)
	return string(r) + "***" + email[at:]
}

// MaskIDNumber keeps the first three and last four characters.
func MaskIDNumber(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 7 {
		return maskAll(s)
	}
	r := []rune(s)
	return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
}

// MaskTail keeps only the last four characters (bank accounts, tax ids).
func MaskTail(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 4 {
		return maskAll(s)
	}
	r := []rune(s)
	return strings.Repeat("*", n-4) + string(r[n-4:])
}

// MaskPersonName keeps the surname: a Chinese name keeps its surname
// character(s) and hides the given name (张*); a Latin name keeps its last
// word and shortens the others to an initial (Z*** Wei).
func MaskPersonName(name string) string {
	if name == "" {
		return ""
	}
	if domain.IsCJKName(name) {
		sur := domain.ChineseSurname(name)
		if sur == "" {
			return maskAll(name)
		}
		return sur + strings.Repeat("*", utf8.RuneCountInString(name)-utf8.RuneCountInString(sur))
	}
	words := strings.Fields(name)
	initial := func(w string) string {
		r, _ := utf8.DecodeRuneInString(w)
		return string(r) + "***"
	}
	if len(words) == 1 {
		return initial(words[0])
	}
	for i := 0; i < len(words)-1; i++ {
		words[i] = initial(words[i])
	}
	return strings.Join(words, " ")
}

// MaskStreet hides a street line entirely.
func MaskStreet(s string) string {
	if s == "" {
		return ""
	}
	return "****"
}

// MaskText hides free text entirely.
func MaskText(s string) string {
	if s == "" {
		return ""
	}
	return "****"
}

// MaskLocation rounds a location to two decimal places (about 1 km).
func MaskLocation(l *domain.Location) *domain.Location {
	if l == nil {
		return nil
	}
	round := func(f float64) float64 {
		if f < 0 {
			return -float64(int64(-f*100+0.5)) / 100
		}
		return float64(int64(f*100+0.5)) / 100
	}
	return &domain.Location{Lat: round(l.Lat), Lng: round(l.Lng)}
}

func maskAll(s string) string {
	return strings.Repeat("*", utf8.RuneCountInString(s))
}
