package jsonapi

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
)

// FuzzQueryString checks the query validation every route runs against
// url.ParseQuery, which handlers read the query through: a query accepted
// is one ParseQuery reads whole, with every name and value valid UTF-8
// and no name twice; a query refused is one of which that is not true.
// Refusals are 400 invalid naming a short field, in UTF-8.
func FuzzQueryString(f *testing.F) {
	for _, s := range []string{
		"status=inactive", "status=inactive%zz", "phone=1370000432%zz", "status=inactive%", "status=%2", "%zz=1",
		"a=1;b=2", "a=1&a=2", "status=%ff", "%ff=1", "q=%E5%BC%A0", "q=%E5%BC", "q=%ED%A0%80", "q=a+b&limit=5",
		"&&=&", "=1", "a", "a=%C0%AF", "x=\xff", "cursor=abc&limit=10&updated_since=2026-01-02T15:04:05Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := checkQueryString(raw)
		q, perr := url.ParseQuery(raw)
		sound := perr == nil
		for k, vs := range q {
			if !utf8.ValidString(k) || len(vs) > 1 {
				sound = false
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					sound = false
				}
			}
		}
		if sound != (err == nil) {
			t.Fatalf("checkQueryString(%q) = %v, but ParseQuery: %v, %v", raw, err, q, perr)
		}
		if err != nil {
			e := domain.AsError(err)
			if e.Code != domain.CodeInvalid || e.Field == "" || len(e.Field) > 70 || !utf8.ValidString(e.Field) || !utf8.ValidString(e.Message) {
				t.Fatalf("refusal %v (field %q)", err, e.Field)
			}
		}
	})
}
