package domain

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Partial search (the q of a customer list) runs over sealed fields
// through blind-index tokens: the last 4 and 6 digits of a phone, every
// two-character run (bigram) of a Chinese, Japanese or Korean name, every
// prefix of a word of a Latin name, the local part of an email address,
// and a Chinese name's surname. This file says which tokens a customer
// holds, what a query means, which tokens it looks up, and how a
// candidate is confirmed once decrypted (tokens are truncated keyed
// hashes, so a token match is only a candidate).

// Search limits, in characters (digits for phone numbers).
const (
	// MaxSearchLen bounds q.
	MaxSearchLen = 64
	// MinSearchDigits is the fewest digits a phone search takes (the last
	// four digits of a number).
	MinSearchDigits = 4
	// MaxSearchDigits is the most digits of a phone number (E.164).
	MaxSearchDigits = 15
	// MaxPrefixLen bounds the prefixes of a word that are indexed: a
	// longer query word looks up its first MaxPrefixLen characters and is
	// confirmed whole.
	MaxPrefixLen = 12
	// maxSearchTokens bounds the tokens one query looks up; the rest of
	// a long query is checked when candidates are confirmed.
	maxSearchTokens = 8
)

// SearchIndex names the blind index a search token belongs to; each has
// its own key.
type SearchIndex int

// Search indexes.
const (
	// SearchSurname holds the surname of a person with a Chinese name.
	SearchSurname SearchIndex = iota + 1
	// SearchNameGram holds the bigrams of the CJK runs and the prefixes
	// (2 to MaxPrefixLen characters) of the words of a customer's name.
	SearchNameGram
	// SearchPhoneSuffix holds the last 4 and the last 6 digits of a phone.
	SearchPhoneSuffix
	// SearchEmailLocal holds the local part of an email address.
	SearchEmailLocal
)

// SearchToken is one token a customer holds in one index.
type SearchToken struct {
	Index SearchIndex
	Token string
}

// SearchKind says what a query searches.
type SearchKind string

// Search kinds.
const (
	// SearchPhone: the query is digits, matched against the end of phone
	// numbers.
	SearchPhone SearchKind = "phone"
	// SearchEmail: the query holds an @: an email address, or its local
	// part when nothing follows the @.
	SearchEmail SearchKind = "email"
	// SearchText: anything else, matched against names (persons and
	// companies) and, for a single word, email local parts.
	SearchText SearchKind = "text"
)

// SearchAlt is one way a customer can match: it holds every token of the
// alternative in its index.
type SearchAlt struct {
	Index  SearchIndex
	Tokens []string
}

// Search is a parsed query. Its text is personal data: it is never
// logged or audited (Fields names what it searched).
type Search struct {
	Kind SearchKind
	// Alts are the ways to match; a candidate holds all tokens of one.
	Alts []SearchAlt
	// CompaniesOnly restricts a text search to company names (set by the
	// service for callers who may not search personal fields).
	CompaniesOnly bool

	digits string   // phone: the digits to end with
	email  string   // email: the whole address, when given
	local  string   // email local part to equal ("" when not searched)
	terms  []string // text: CJK runs and words, all of which must match
	single bool     // text: one Chinese character, matched as a surname
}

// Fields names the customer fields the search reads (for authorization
// and the audit log).
func (s *Search) Fields() []string {
	switch s.Kind {
	case SearchPhone:
		return []string{"phone"}
	case SearchEmail:
		return []string{"email"}
	}
	if s.local != "" && !s.CompaniesOnly {
		return []string{"name", "email"}
	}
	return []string{"name"}
}

// PersonalFields reports whether the search reads contact data (a
// person's name, phone or email), as opposed to company names only.
func (s *Search) PersonalFields() bool {
	return !s.CompaniesOnly
}

// OnlyCompanies restricts a text search to company names: the email
// alternative goes. It returns false for phone and email searches, which
// read contact data only.
func (s *Search) OnlyCompanies() bool {
	if s.Kind != SearchText || s.single {
		return false
	}
	s.CompaniesOnly, s.local = true, ""
	alts := s.Alts[:0]
	for _, a := range s.Alts {
		if a.Index == SearchNameGram {
			alts = append(alts, a)
		}
	}
	s.Alts = alts
	return len(s.Alts) > 0
}

// ParseSearch reads q (field names it in errors): "" is no search (nil).
// Digits (with spaces, + - ( ) .) search the end of phone numbers, at
// least MinSearchDigits of them; text with an @ searches email addresses
// (the local part alone when nothing follows the @); anything else
// searches names — every two-character run of Chinese text, every word
// as the start of a word — and, when it is one word, email local parts.
// A single Chinese character searches surnames. Nothing in q is a
// wildcard: %, _ and * are punctuation, which separates words.
func ParseSearch(field, q string) (*Search, error) {
	s, err := NormalizeText(field, q, MaxSearchLen, false)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	if strings.ContainsRune(s, '@') {
		return parseEmailSearch(field, s)
	}
	if phoneLike(s) {
		return parsePhoneSearch(field, s)
	}
	return parseTextSearch(field, s)
}

func phoneLike(s string) bool {
	digits := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case strings.ContainsRune(" +-().", r):
		default:
			return false
		}
	}
	return digits
}

func parsePhoneSearch(field, s string) (*Search, error) {
	d := digitsOnly(s)
	if len(d) > MaxSearchDigits+2 || (len(d) > MaxSearchDigits && !strings.HasPrefix(d, "00")) {
		return nil, Invalid(field, "a phone number has at most %d digits", MaxSearchDigits)
	}
	if len(d) > 12 && strings.HasPrefix(d, "00") {
		d = d[2:] // 0086…: the international call prefix, not part of the number
	}
	if len(d) < MinSearchDigits {
		return nil, Invalid(field, "give at least %d digits to search the end of phone numbers", MinSearchDigits)
	}
	return &Search{Kind: SearchPhone, digits: d, Alts: []SearchAlt{{Index: SearchPhoneSuffix, Tokens: []string{phoneSuffixToken(d)}}}}, nil
}

// phoneSuffixToken is the token a query of digits d looks up: its last 6
// digits when it has 6 or more, else its last 4.
func phoneSuffixToken(d string) string {
	if len(d) >= 6 {
		return "6:" + d[len(d)-6:]
	}
	return "4:" + d[len(d)-4:]
}

func parseEmailSearch(field, s string) (*Search, error) {
	at := strings.LastIndexByte(s, '@')
	local, dom := strings.ToLower(s[:at]), s[at+1:]
	if local == "" {
		return nil, Invalid(field, "an email search needs the part before the @")
	}
	if strings.ContainsAny(local, " \t<>\"\\,;:@") || len(local) > 64 {
		return nil, Invalid(field, "not an email address or the start of one")
	}
	out := &Search{Kind: SearchEmail, local: local}
	if dom != "" {
		full, err := NormalizeEmail(field, s)
		if err != nil {
			return nil, err
		}
		out.email = full
		out.local = full[:strings.LastIndexByte(full, '@')]
	}
	out.Alts = []SearchAlt{{Index: SearchEmailLocal, Tokens: []string{"l:" + out.local}}}
	return out, nil
}

func parseTextSearch(field, s string) (*Search, error) {
	key := NameSearchKey(s)
	segs := nameSegments(key)
	if len(segs) == 0 {
		return nil, Invalid(field, "give at least 2 letters of a word, 2 Chinese characters or %d digits (%%, _ and * match themselves only)", MinSearchDigits)
	}
	out := &Search{Kind: SearchText}
	for _, g := range segs {
		out.terms = append(out.terms, g.text)
	}
	if len(segs) == 1 && segs[0].cjk && utf8.RuneCountInString(segs[0].text) == 1 {
		out.single = true
		out.Alts = []SearchAlt{{Index: SearchSurname, Tokens: []string{"s:" + segs[0].text}}}
		return out, nil
	}
	var even, odd []string
	seen := map[string]bool{}
	add := func(list *[]string, t string) {
		if !seen[t] {
			seen[t] = true
			*list = append(*list, t)
		}
	}
	for _, g := range segs {
		r := []rune(g.text)
		switch {
		case g.cjk:
			// Non-overlapping bigrams first: they cover every character.
			for i := 0; i+1 < len(r); i++ {
				if i%2 == 0 || i == len(r)-2 {
					add(&even, "b:"+string(r[i:i+2]))
				} else {
					add(&odd, "b:"+string(r[i:i+2]))
				}
			}
		case len(r) >= 2:
			add(&even, "p:"+string(r[:min(len(r), MaxPrefixLen)]))
		}
	}
	toks := append(even, odd...)
	if len(toks) == 0 {
		return nil, Invalid(field, "give at least 2 letters of a word or 2 Chinese characters")
	}
	if len(toks) > maxSearchTokens {
		toks = toks[:maxSearchTokens]
	}
	out.Alts = []SearchAlt{{Index: SearchNameGram, Tokens: toks}}
	if local := strings.ToLower(s); !strings.ContainsFunc(local, unicode.IsSpace) && utf8.RuneCountInString(local) >= 2 && len(local) <= 64 {
		out.local = local
		out.Alts = append(out.Alts, SearchAlt{Index: SearchEmailLocal, Tokens: []string{"l:" + local}})
	}
	return out, nil
}

// Matches reports whether c, decrypted, matches the search: what confirms
// a candidate that shares the query's truncated tokens.
func (s *Search) Matches(c *Customer) bool {
	if s.CompaniesOnly && c.Kind != CustomerCompany {
		return false
	}
	switch s.Kind {
	case SearchPhone:
		return c.Phone != "" && strings.HasSuffix(digitsOnly(c.Phone), s.digits)
	case SearchEmail:
		if s.email != "" {
			return c.Email == s.email
		}
		return s.local != "" && emailLocal(c.Email) == s.local
	}
	if s.local != "" && emailLocal(c.Email) == s.local {
		return true
	}
	return s.nameMatches(c)
}

func (s *Search) nameMatches(c *Customer) bool {
	key := NameSearchKey(c.Name)
	if key == "" {
		return false
	}
	if s.single {
		return c.Kind != CustomerCompany && IsCJKName(key) && ChineseSurname(key) == s.terms[0]
	}
	segs := nameSegments(key)
	for _, t := range s.terms {
		if !termMatches(segs, t) {
			return false
		}
	}
	return true
}

// termMatches: a CJK run is found inside a CJK run of the name, a word is
// the start of a word of the name.
func termMatches(segs []nameSegment, t string) bool {
	r, _ := utf8.DecodeRuneInString(t)
	cjk := isCJK(r)
	for _, g := range segs {
		if g.cjk != cjk {
			continue
		}
		if cjk && strings.Contains(g.text, t) || !cjk && strings.HasPrefix(g.text, t) {
			return true
		}
	}
	return false
}

func emailLocal(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return ""
	}
	return email[:at]
}

// nameSegment is a run of CJK characters or a word of letters and digits
// of a name folded by NameSearchKey.
type nameSegment struct {
	text string
	cjk  bool
}

// isCJK reports Han, kana and Hangul: scripts written without spaces,
// searched by bigrams.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// nameSegments splits a folded name into CJK runs and words; anything
// else (spaces, punctuation, symbols, % _ *) separates them.
func nameSegments(key string) []nameSegment {
	var out []nameSegment
	start, cur := -1, false
	flush := func(end int) {
		if start >= 0 {
			out = append(out, nameSegment{text: key[start:end], cjk: cur})
			start = -1
		}
	}
	for i, r := range key {
		switch c := isCJK(r); {
		case c || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start >= 0 && c != cur {
				flush(i)
			}
			if start < 0 {
				start, cur = i, c
			}
		default:
			flush(i)
		}
	}
	flush(len(key))
	return out
}

// CustomerSearchTokens returns the partial-search tokens of c: its
// surname (a person with a Chinese name), the bigrams and word prefixes
// of its name, the last 4 and 6 digits of its phone and its email's local
// part. Each is distinct.
func CustomerSearchTokens(c *Customer) []SearchToken {
	var out []SearchToken
	seen := map[string]bool{}
	add := func(ix SearchIndex, t string) {
		k := strconv.Itoa(int(ix)) + "\x00" + t
		if !seen[k] {
			seen[k] = true
			out = append(out, SearchToken{Index: ix, Token: t})
		}
	}
	key := NameSearchKey(c.Name)
	if c.Kind != CustomerCompany && IsCJKName(key) {
		if s := ChineseSurname(key); s != "" {
			add(SearchSurname, "s:"+s)
		}
	}
	for _, g := range nameSegments(key) {
		r := []rune(g.text)
		if g.cjk {
			for i := 0; i+1 < len(r); i++ {
				add(SearchNameGram, "b:"+string(r[i:i+2]))
			}
			continue
		}
		for n := 2; n <= min(len(r), MaxPrefixLen); n++ {
			add(SearchNameGram, "p:"+string(r[:n]))
		}
	}
	if d := digitsOnly(c.Phone); len(d) >= 4 {
		add(SearchPhoneSuffix, "4:"+d[len(d)-4:])
		if len(d) >= 6 {
			add(SearchPhoneSuffix, "6:"+d[len(d)-6:])
		}
	}
	if l := emailLocal(c.Email); l != "" {
		add(SearchEmailLocal, "l:"+l)
	}
	return out
}

// MaxSearchExamined bounds the candidates one page of a search decrypts
// to confirm: past it, the page ends early, with a cursor to go on.
const MaxSearchExamined = 1000
