package domain

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// DefaultPhoneRegion is the region assumed for phone numbers written
// without a country code.
const DefaultPhoneRegion = "CN"

// Text limits, in characters.
const (
	MaxNameLen   = 200
	MaxShortText = 200
	MaxLongText  = 10000
	MaxTags      = 20
	MaxTagLen    = 50
)

// NormalizePhone parses a phone number in any common notation ("138 0013
// 8000", "+86-138-0013-8000", "008613800138000") and returns it in E.164
// form. Numbers without a country code are read as region.
func NormalizePhone(field, s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid(field, "phone number is empty")
	}
	if len(s) > 40 {
		return "", Invalid(field, "phone number is too long")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !strings.ContainsRune(" +-().", r) {
			return "", Invalid(field, "phone number may contain only digits, spaces, + - ( ) .")
		}
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	// Fast path for mainland mobiles (see phone_fast.go); exactly what
	// libphonenumber would answer, without its regular expressions.
	if national, ok := strings.CutPrefix(s, "+86"); ok {
		if e164, ok := cnMobileFast(digitsOnly(national)); ok {
			return e164, nil
		}
	} else if region == "CN" && !strings.HasPrefix(s, "+") {
		if e164, ok := cnMobileFast(digitsOnly(s)); ok {
			return e164, nil
		}
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", Invalid(field, "not a valid phone number")
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", Invalid(field, "not a valid phone number")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// NormalizeEmail validates an email address and returns it lower-cased
// with its domain in IDNA ASCII form. Display names ("Ann <a@b.c>") are
// refused: the field holds an address only.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid(field, "email is empty")
	}
	if len(s) > 254 {
		return "", Invalid(field, "email is too long")
	}
	if !utf8.ValidString(s) {
		return "", Invalid(field, "email is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "", Invalid(field, "not a valid email address")
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", Invalid(field, "not a valid email address")
	}
	// Lower-case before checking lengths: case mapping can change a
	// string's byte length, and the output must pass these checks again.
	local, dom := strings.ToLower(s[:at]), s[at+1:]
	if len(local) > 64 || strings.ContainsAny(local, " \t\r\n<>\"\\,;:") {
		return "", Invalid(field, "not a valid email address")
	}
	ascii, err := idna.Lookup.ToASCII(strings.ToLower(dom))
	if err != nil || !strings.Contains(ascii, ".") || strings.HasSuffix(ascii, ".") {
		return "", Invalid(field, "not a valid email domain")
	}
	addr := local + "@" + ascii
	if len(addr) > 254 {
		return "", Invalid(field, "email is too long")
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" {
		return "", Invalid(field, "not a valid email address")
	}
	return addr, nil
}

// cnIDWeights are the ISO 7064 MOD 11-2 weights of GB 11643.
var cnIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// NormalizeCNResidentID validates an 18-character PRC resident identity
// number (GB 11643: region, birth date, sequence, check character) and
// returns it with an upper-case X.
func NormalizeCNResidentID(field, s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return "", Invalid(field, "a resident ID number has 18 characters")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return "", Invalid(field, "a resident ID number has 17 digits and a check character")
		}
		sum += int(c-'0') * cnIDWeights[i]
	}
	check := "10X98765432"[sum%11]
	if s[17] != check {
		return "", Invalid(field, "the resident ID number's check character is wrong")
	}
	if !validBirthDate(s[6:14]) {
		return "", Invalid(field, "the resident ID number holds no valid birth date")
	}
	return s, nil
}

func validBirthDate(d string) bool {
	y := atoi(d[:4])
	m := atoi(d[4:6])
	day := atoi(d[6:8])
	if y < 1880 || y > 2100 || m < 1 || m > 12 || day < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[2] = 29
	}
	return day <= days[m]
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// NormalizeUSCC validates an 18-character unified social credit code (GB
// 32100) including its check character and returns it upper-cased.
func NormalizeUSCC(field, s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return "", Invalid(field, "a unified social credit code has 18 characters")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, s[i])
		if v < 0 {
			return "", Invalid(field, "a unified social credit code uses digits and A-Y without I, O, S, V, Z")
		}
		sum += v * usccWeights[i]
	}
	check := usccChars[(31-sum%31)%31]
	if s[17] != check {
		return "", Invalid(field, "the unified social credit code's check character is wrong")
	}
	return s, nil
}

// NormalizeDocumentNumber validates a passport or other document number:
// 4 to 32 letters, digits or dashes, upper-cased.
func NormalizeDocumentNumber(field, s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 4 || len(s) > 32 {
		return "", Invalid(field, "a document number has 4 to 32 characters")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !(r >= 'A' && r <= 'Z') && r != '-' {
			return "", Invalid(field, "a document number may contain only letters, digits and dashes")
		}
	}
	return s, nil
}

// NormalizeBankAccount validates a bank account number or IBAN: 8 to 34
// letters and digits once spaces and dashes are removed.
func NormalizeBankAccount(field, s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, strings.TrimSpace(s))
	if len(s) < 8 || len(s) > 34 {
		return "", Invalid(field, "a bank account number has 8 to 34 letters and digits")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !(r >= 'A' && r <= 'Z') {
			return "", Invalid(field, "a bank account number may contain only letters and digits")
		}
	}
	return s, nil
}

// NormalizeText cleans free text: NFC, no control characters except tab
// and newline (when multiline), trimmed, at most max characters. Empty
// input is allowed; required fields check separately.
func NormalizeText(field, s string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", Invalid(field, "is not valid UTF-8")
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	n := 0
	for _, r := range s {
		n++
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return "", Invalid(field, "contains a control character")
		}
		if r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return "", Invalid(field, "contains a line separator or bidirectional control")
		}
	}
	if n > max {
		return "", Invalid(field, "is longer than %d characters", max)
	}
	return s, nil
}

// NormalizeName cleans a person's or company's name: NormalizeText on one
// line, inner runs of white space collapsed to one space.
func NormalizeName(field, s string) (string, error) {
	s, err := NormalizeText(field, s, MaxNameLen, false)
	if err != nil {
		return "", err
	}
	return strings.Join(strings.Fields(s), " "), nil
}

// NormalizeTag cleans a tag: lower-case, 1–50 characters of letters,
// digits, spaces, '-', '_' or '.'.
func NormalizeTag(field, s string) (string, error) {
	s, err := NormalizeText(field, s, MaxTagLen, false)
	if err != nil {
		return "", err
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if s == "" {
		return "", Invalid(field, "tag is empty")
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -_.", r) {
			return "", Invalid(field, "tag may contain letters, digits, spaces, - _ .")
		}
	}
	return s, nil
}

// NameSearchKey folds a name for blind-index matching: NFKC, lower case,
// single spaces.
func NameSearchKey(s string) string {
	s = norm.NFKC.String(s)
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// compoundSurnames are two-character Chinese surnames; anything else is
// read as a one-character surname.
var compoundSurnames = map[string]bool{
	"欧阳": true, "司马": true, "上官": true, "诸葛": true, "东方": true, "皇甫": true,
	"尉迟": true, "公孙": true, "慕容": true, "长孙": true, "宇文": true, "司徒": true,
	"夏侯": true, "轩辕": true, "令狐": true, "钟离": true, "闾丘": true, "澹台": true,
	"公冶": true, "宗政": true, "濮阳": true, "淳于": true, "单于": true, "太叔": true,
	"申屠": true, "赫连": true, "端木": true, "百里": true, "呼延": true, "南宫": true,
	"独孤": true, "拓跋": true, "司空": true, "万俟": true, "西门": true, "第五": true,
}

// IsCJKName reports whether a name is written in Han characters (with no
// spaces), the way Chinese names are.
func IsCJKName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) && r != '·' {
			return false
		}
	}
	return true
}

// ChineseSurname returns the surname of a Chinese name (the first
// character, or the first two for compound surnames).
func ChineseSurname(name string) string {
	r := []rune(name)
	if len(r) >= 3 && compoundSurnames[string(r[:2])] {
		return string(r[:2])
	}
	if len(r) >= 2 {
		return string(r[:1])
	}
	return ""
}
