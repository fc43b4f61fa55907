package domain

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CompanyNameKey folds a company's name for duplicate detection: NFKC
// (full-width letters, digits and brackets become their ASCII forms),
// lower case, and every space, punctuation mark and symbol dropped. So
// "恒信商贸（深圳）有限公司" and "恒信商贸(深圳)有限公司", or "Northwind
// Foods, Inc." and "NORTHWIND FOODS INC", have one key. Legal forms are
// kept ("有限公司" and "股份有限公司" are different registrations), and
// nothing else is guessed: the key matches names written the same way,
// not companies that might be the same. "" when nothing is left.
func CompanyNameKey(name string) string {
	// Bytes that are not UTF-8 go first: NFKC passes an invalid
	// sequence through with what follows it unnormalized.
	s := norm.NFKC.String(strings.ToValidUTF8(name, ""))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsSymbol(r), unicode.IsControl(r),
			unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r):
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
