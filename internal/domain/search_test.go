package domain_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
)

func TestParseSearchKinds(t *testing.T) {
	cases := []struct {
		q     string
		kind  domain.SearchKind
		index domain.SearchIndex
		token string
	}{
		{"4321", domain.SearchPhone, domain.SearchPhoneSuffix, "4:4321"},
		{"54321", domain.SearchPhone, domain.SearchPhoneSuffix, "4:4321"},
		{"654321", domain.SearchPhone, domain.SearchPhoneSuffix, "6:654321"},
		{"138 0013 8000", domain.SearchPhone, domain.SearchPhoneSuffix, "6:138000"},
		{"+86 (138) 0013-8000", domain.SearchPhone, domain.SearchPhoneSuffix, "6:138000"},
		{"zhang.wei@Example.COM", domain.SearchEmail, domain.SearchEmailLocal, "l:zhang.wei"},
		{"Zhang.Wei@", domain.SearchEmail, domain.SearchEmailLocal, "l:zhang.wei"},
		{"恒信", domain.SearchText, domain.SearchNameGram, "b:恒信"},
		{"小明", domain.SearchText, domain.SearchNameGram, "b:小明"},
		{"Smith", domain.SearchText, domain.SearchNameGram, "p:smith"},
		{"Northwind Fo", domain.SearchText, domain.SearchNameGram, "p:northwind"},
		{"王", domain.SearchText, domain.SearchSurname, "s:王"},
		{"ＳＭＩＴＨ", domain.SearchText, domain.SearchNameGram, "p:smith"}, // full-width folds (NFKC)
	}
	for _, c := range cases {
		s, err := domain.ParseSearch("q", c.q)
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if s.Kind != c.kind || s.Alts[0].Index != c.index || !slices.Contains(s.Alts[0].Tokens, c.token) {
			t.Errorf("%q: kind %s, alts %+v; want %s with %s in index %d", c.q, s.Kind, s.Alts, c.kind, c.token, c.index)
		}
	}
	if s, err := domain.ParseSearch("q", "  "); s != nil || err != nil {
		t.Errorf("blank q: %v %v", s, err)
	}
}

func TestParseSearchRefuses(t *testing.T) {
	for _, q := range []string{
		"4", "43", "432", "(12) 3", // too few digits
		"1234567890123456789",                        // more digits than any phone number
		"j", "%", "_", "*", "%_*", "% _", "a b", "·", // no word of 2 letters or 2 CJK characters
		"@example.com", "a b@example.com", "x@not a domain",
		strings.Repeat("张", domain.MaxSearchLen+1), strings.Repeat("a", 65),
		"a\x00b", "tab\there", "bidi\u202ename",
	} {
		_, err := domain.ParseSearch("q", q)
		if domain.ErrorCode(err) != domain.CodeInvalid || domain.AsError(err).Field != "q" {
			t.Errorf("%q: got %v, want invalid naming q", q, err)
		}
	}
}

func TestSearchMatches(t *testing.T) {
	person := func(name, phone, email string) *domain.Customer {
		return &domain.Customer{Kind: domain.CustomerPerson, Name: name, Phone: phone, Email: email}
	}
	company := &domain.Customer{Kind: domain.CustomerCompany, Name: "深圳恒信冷链物流有限公司", Phone: "+8675588881234", Email: "contact@hengxin.example.cn"}
	zhang := person("张伟", "+8613800134321", "zhang.wei@example.com")
	english := person("Mary-Jane O'Brien", "+14155550123", "mj@example.org")
	cases := []struct {
		q     string
		c     *domain.Customer
		match bool
	}{
		{"4321", zhang, true},
		{"134321", zhang, true},
		{"34321", zhang, true},
		{"1234", zhang, false},
		{"13800134321", zhang, true},
		{"+86 138 0013 4321", zhang, true},
		{"恒信", company, true},
		{"恒信冷链", company, true},
		{"信冷", company, true},
		{"恒冷", company, false}, // both bigrams absent as a run
		{"深圳 物流", company, true},
		{"物流深圳", company, false},
		{"张伟", zhang, true},
		{"张", zhang, true},
		{"伟", zhang, false}, // one character is a surname search
		{"张", company, false},
		{"mary", english, true},
		{"JANE", english, true},
		{"ja", english, true},
		{"rien", english, false}, // prefixes only, not the middle of a word
		{"o'brien", english, true},
		{"brien mary", english, true},
		{"mary smith", english, false},
		{"zhang.wei", zhang, true}, // the email local part
		{"zhang.wei@example.com", zhang, true},
		{"zhang.wei@example.org", zhang, false},
		{"zhang.wei@", zhang, true},
		{"zhang", zhang, false}, // a person with a Chinese name: no Latin word
		{"contact", company, true},
		{"恒信 contact", company, false}, // two words: names only
		{"%恒信%", company, true},        // % separates; it is no wildcard
		{"恒_信", company, false},
		{"*", company, false},
	}
	for _, c := range cases {
		s, err := domain.ParseSearch("q", c.q)
		if err != nil {
			if c.match {
				t.Errorf("%q: %v", c.q, err)
			}
			continue
		}
		if got := s.Matches(c.c); got != c.match {
			t.Errorf("%q on %q: got %v, want %v", c.q, c.c.Name, got, c.match)
		}
		if s.Matches(c.c) && !tokensCover(s, c.c) {
			t.Errorf("%q on %q: matches, but the customer's tokens miss every alternative", c.q, c.c.Name)
		}
	}
}

func TestSearchCompaniesOnly(t *testing.T) {
	s, _ := domain.ParseSearch("q", "恒信")
	if !s.OnlyCompanies() || s.Matches(&domain.Customer{Kind: domain.CustomerPerson, Name: "恒信"}) ||
		!s.Matches(&domain.Customer{Kind: domain.CustomerCompany, Name: "恒信商贸"}) {
		t.Fatal("a companies-only search must match company names only")
	}
	if slices.Contains(s.Fields(), "email") {
		t.Fatal("a companies-only search reads no email")
	}
	for _, q := range []string{"4321", "a@b.cn", "王"} {
		s, _ := domain.ParseSearch("q", q)
		if s.OnlyCompanies() {
			t.Errorf("%q narrowed to company names", q)
		}
	}
}

func TestCustomerSearchTokens(t *testing.T) {
	c := &domain.Customer{Kind: domain.CustomerPerson, Name: "欧阳娜娜", Phone: "+8613800134321", Email: "nana@example.com"}
	got := map[string]bool{}
	for _, tok := range domain.CustomerSearchTokens(c) {
		got[tok.Token] = true
	}
	for _, want := range []string{"s:欧阳", "b:欧阳", "b:阳娜", "b:娜娜", "4:4321", "6:134321", "l:nana"} {
		if !got[want] {
			t.Errorf("missing token %s in %v", want, got)
		}
	}
	long := &domain.Customer{Kind: domain.CustomerPerson, Name: "Wolfeschlegelsteinhausen"}
	n := 0
	for _, tok := range domain.CustomerSearchTokens(long) {
		if strings.HasPrefix(tok.Token, "p:") {
			n++
		}
	}
	if n != domain.MaxPrefixLen-1 {
		t.Errorf("a long word has %d prefixes, want %d (2 to %d characters)", n, domain.MaxPrefixLen-1, domain.MaxPrefixLen)
	}
	s, _ := domain.ParseSearch("q", "wolfeschlegelstein")
	if !s.Matches(long) || !tokensCover(s, long) {
		t.Error("a word longer than the indexed prefixes is not found")
	}
	s, _ = domain.ParseSearch("q", "wolfeschlegelsteiX")
	if s.Matches(long) {
		t.Error("a long word is confirmed only on its indexed prefix")
	}
}

// tokensCover reports whether c holds every token of one of s's
// alternatives: the index finds every customer the search matches.
func tokensCover(s *domain.Search, c *domain.Customer) bool {
	have := map[domain.SearchToken]bool{}
	for _, t := range domain.CustomerSearchTokens(c) {
		have[t] = true
	}
	for _, a := range s.Alts {
		all := true
		for _, t := range a.Tokens {
			all = all && have[domain.SearchToken{Index: a.Index, Token: t}]
		}
		if all {
			return true
		}
	}
	return false
}

// FuzzSearch parses arbitrary queries and matches them against arbitrary
// names, emails and phones: no panics, every refusal is invalid input
// naming q, and whatever a search matches, the blind index finds (the
// customer holds every token of one of its alternatives) — otherwise a
// match would be silently missing from results.
func FuzzSearch(f *testing.F) {
	for _, s := range [][3]string{
		{"恒信", "深圳恒信冷链物流有限公司", "a@b.cn"}, {"4321", "张伟", "x@y.cn"}, {"jam smi", "James Smith", "j@s.com"},
		{"zhang.wei", "Zhang Wei", "zhang.wei@example.com"}, {"王", "王小明", ""}, {"%_*", "a", ""},
		{"Ｍａｒｙ", "mary", ""}, {"ß", "STRASSE", ""}, {"İstanbul", "istanbul", "i@x.tr"},
	} {
		f.Add(s[0], s[1], s[2], "+8613800134321", false)
	}
	f.Fuzz(func(t *testing.T, q, name, email, phone string, company bool) {
		s, err := domain.ParseSearch("q", q)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid || domain.AsError(err).Field != "q" {
				t.Fatalf("%q: error %v", q, err)
			}
			return
		}
		if s == nil {
			return
		}
		c := &domain.Customer{Kind: domain.CustomerPerson, Name: name}
		if company {
			c.Kind = domain.CustomerCompany
		}
		if e, err := domain.NormalizeEmail("email", email); err == nil {
			c.Email = e
		}
		if p, err := domain.NormalizePhone("phone", phone, domain.DefaultPhoneRegion); err == nil {
			c.Phone = p
		}
		if n, err := domain.NormalizeName("name", name); err == nil {
			c.Name = n
		} else {
			return
		}
		if s.Matches(c) && !tokensCover(s, c) {
			t.Fatalf("q %q matches %+v but its tokens %v miss every alternative %+v", q, c, domain.CustomerSearchTokens(c), s.Alts)
		}
	})
}
