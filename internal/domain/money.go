package domain

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// DefaultCurrency is the currency of a deal created without one.
const DefaultCurrency = "CNY"

// MaxAmountMajor bounds amounts: at most ten trillion units of any
// currency (in minor units this stays far inside int64).
const MaxAmountMajor = 10_000_000_000_000

// nonMonetary lists ISO 4217 codes that are not money one sells in:
// precious metals, IMF and development-bank units, testing and "no
// currency".
var nonMonetary = map[string]bool{
	"XAU": true, "XAG": true, "XPT": true, "XPD": true, "XDR": true, "XSU": true, "XUA": true,
	"XBA": true, "XBB": true, "XBC": true, "XBD": true, "XTS": true, "XXX": true,
}

// NormalizeCurrency checks that s is an ISO 4217 currency code (any case)
// and returns it in upper case.
func NormalizeCurrency(field, s string) (string, error) {
	if len(s) != 3 {
		return "", Invalid(field, "must be a three-letter ISO 4217 currency code such as CNY")
	}
	for i := 0; i < 3; i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return "", Invalid(field, "must be a three-letter ISO 4217 currency code such as CNY")
		}
	}
	code := strings.ToUpper(s)
	if nonMonetary[code] {
		return "", Invalid(field, "%s is not a currency deals can be in", code)
	}
	if _, err := currency.ParseISO(code); err != nil {
		return "", Invalid(field, "%s is not an ISO 4217 currency code", code)
	}
	return code, nil
}

// CurrencyDigits returns how many fraction digits amounts in a currency
// have (CNY, USD, EUR 2; JPY 0; KWD 3), by CLDR's standard rounding.
// code must already be normalized.
func CurrencyDigits(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// AmountInput is an amount as a client sends it: a JSON string
// ("12345.67") or a JSON number (12345.67). It keeps the text exactly;
// ParseAmount turns it into minor units once the currency is known, so no
// binary floating point ever touches money.
type AmountInput string

// UnmarshalJSON accepts a string or a number.
func (m *AmountInput) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return Invalid("amount", "amount must be a decimal string such as \"12345.67\" or a number")
		}
		*m = AmountInput(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*m = AmountInput(b)
	default:
		return Invalid("amount", "amount must be a decimal string such as \"12345.67\" or a number")
	}
	return nil
}

// ParseAmount parses a non-negative decimal amount in the currency with
// code (normalized) into minor units: "12345.67" CNY is 1234567 fen. It
// refuses signs, exponents, separators, more fraction digits than the
// currency has, and amounts over MaxAmountMajor.
func ParseAmount(field, s, code string) (int64, error) {
	if s == "" {
		return 0, Invalid(field, "%s is empty", field)
	}
	if s[0] == '-' {
		return 0, Invalid(field, "%s must not be negative", field)
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, Invalid(field, "%s must be a plain decimal number such as 12345.67", field)
	}
	digits := CurrencyDigits(code)
	if len(frac) > digits {
		if digits == 0 {
			return 0, Invalid(field, "%s amounts are whole numbers", code)
		}
		return 0, Invalid(field, "%s amounts have at most %d decimal places", code, digits)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > len(strconv.Itoa(MaxAmountMajor)) {
		return 0, Invalid(field, "%s must be at most %d", field, MaxAmountMajor)
	}
	w, err := strconv.ParseInt("0"+whole, 10, 64)
	if err != nil || w > MaxAmountMajor || (w == MaxAmountMajor && strings.Trim(frac, "0") != "") {
		return 0, Invalid(field, "%s must be at most %d", field, MaxAmountMajor)
	}
	f, _ := strconv.ParseInt("0"+frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	return w*pow10(digits) + f, nil
}

// FormatAmount renders minor units in the currency with code as a plain
// decimal string with exactly the currency's fraction digits.
func FormatAmount(minor int64, code string) string {
	digits := CurrencyDigits(code)
	if digits == 0 {
		return strconv.FormatInt(minor, 10)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	p := pow10(digits)
	frac := strconv.FormatInt(minor%p, 10)
	return sign + strconv.FormatInt(minor/p, 10) + "." + strings.Repeat("0", digits-len(frac)) + frac
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
