package domain_test

import (
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
)

func TestInvalidUTF8At(t *testing.T) {
	for s, want := range map[string]int{
		"":                       -1,
		"plain ascii":            -1,
		"张伟 😀 \uFFFD":            -1,
		"\xff":                   0,
		"ab\xfe\xfe":             2,
		"张\xe4\xbd":              3, // truncated
		"ok \xc0\xaf":            3, // overlong '/'
		"x\xed\xa0\x80":          1, // an encoded surrogate
		"\xf4\x90\x80\x80":       0, // beyond U+10FFFF
		"é\x80":                  2,
		strings.Repeat("a", 100): -1,
	} {
		if got := domain.InvalidUTF8At(s); got != want {
			t.Errorf("InvalidUTF8At(%q) = %d, want %d", s, got, want)
		}
		if got := domain.InvalidUTF8AtBytes([]byte(s)); got != want {
			t.Errorf("InvalidUTF8AtBytes(%q) = %d, want %d", s, got, want)
		}
	}
}
