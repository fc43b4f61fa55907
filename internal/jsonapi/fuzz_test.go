package jsonapi_test

import (
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jsonapi"
)

// FuzzDecodeStrict feeds arbitrary bodies to the strict decoder used by
// every endpoint: it never panics, and every refusal is a 400-class
// application error naming no more than a short field.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"name":"a"}`, `{"name":1}`, `{"x":1}`, `{} {}`, `{"address":"s"}`, `{"address":{"zip":1}}`, `[`, ``, `{"tags":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in domain.CustomerPatch
		err := jsonapi.DecodeStrict(b, &in)
		if err == nil {
			return
		}
		e := domain.AsError(err)
		if e.Code != domain.CodeInvalid {
			t.Fatalf("decode error with code %q: %v", e.Code, err)
		}
		if len(e.Field) > 70 {
			t.Fatalf("field name of %d bytes echoed", len(e.Field))
		}
	})
}
