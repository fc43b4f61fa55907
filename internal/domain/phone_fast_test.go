package domain_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/custoscrm/custos/internal/domain"
)

// reference is NormalizePhone without the fast path: libphonenumber alone.
func reference(s, region string) (string, bool) {
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// TestCNMobileFastPathAgreesWithLibphonenumber checks, over random numbers
// in every common notation, that the mainland mobile fast path answers
// exactly what libphonenumber does.
func TestCNMobileFastPathAgreesWithLibphonenumber(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	formats := []func(string) string{
		func(d string) string { return d },
		func(d string) string { return "+86" + d },
		func(d string) string { return "+86 " + d[:3] + " " + d[3:7] + " " + d[7:] },
		func(d string) string { return "0086" + d },
		func(d string) string { return d[:3] + "-" + d[3:7] + "-" + d[7:] },
		func(d string) string { return "(" + d[:3] + ") " + d[3:] },
		func(d string) string { return "+1 " + d[1:] }, // a foreign number that looks like a mobile
		func(d string) string { return "+44" + d },
	}
	n := 60000
	if testing.Short() {
		n = 5000
	}
	for i := 0; i < n; i++ {
		d := fmt.Sprintf("1%010d", r.Int64N(10_000_000_000))
		in := formats[i%len(formats)](d)
		got, err := domain.NormalizePhone("phone", in, "CN")
		want, ok := reference(in, "CN")
		if ok != (err == nil) || got != want {
			t.Fatalf("%q: fast path gives %q (%v), libphonenumber %q (valid %v)", in, got, err, want, ok)
		}
	}
}
