package domain_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
)

// FuzzCustomerInput decodes arbitrary JSON into the create input and
// validates it: no panics, every error is an application error, and a
// customer that validates normalizes to a fixed point (validating its own
// output changes nothing).
func FuzzCustomerInput(f *testing.F) {
	for _, s := range []string{
		`{"name":"张伟","phone":"138 0013 8000","email":"A@B.cn","address":{"province":"广东省","street":"x"}}`,
		`{"kind":"company","name":"Acme","tax_id":"91350100M000100Y43","tags":["VIP"," vip "]}`,
		`{"name":"a","address":"just a street","id_number":"11010519491231002x"}`,
		`{"name":"","phone":null}`, `[]`, `{"name":1}`, `{"address":{"zip":"1"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in domain.CustomerInput
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return
		}
		c, _, err := domain.NewCustomer(&in)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("validation error with code %q: %v", domain.ErrorCode(err), err)
			}
			return
		}
		for _, s := range []string{c.Name, c.Phone, c.Email, c.Address.Street, c.IDNumber, c.TaxID, c.Company} {
			if !utf8.ValidString(s) {
				t.Fatalf("normalized value is not UTF-8: %q", s)
			}
		}
		again := &domain.CustomerInput{
			Kind: c.Kind, Name: c.Name, Phone: c.Phone, Email: c.Email, IDType: c.IDType, IDNumber: c.IDNumber,
			TaxID: c.TaxID, BankAccount: c.BankAccount, Company: c.Company, Industry: c.Industry, Tags: c.Tags,
			OwnerID: c.OwnerID, Status: c.Status,
			Address: &domain.AddressInput{Province: c.Address.Province, City: c.Address.City, District: c.Address.District, Street: c.Address.Street},
		}
		c2, _, err := domain.NewCustomer(again)
		if err != nil {
			t.Fatalf("normalized customer does not validate: %v", err)
		}
		if c2.Name != c.Name || c2.Phone != c.Phone || c2.Email != c.Email || c2.IDNumber != c.IDNumber ||
			c2.TaxID != c.TaxID || c2.BankAccount != c.BankAccount || c2.Address != c.Address {
			t.Fatalf("normalization is not a fixed point:\n%+v\n%+v", c, c2)
		}
	})
}

// FuzzNormalizePhone checks the phone normalizer never panics and that
// its output is E.164 and normalizes to itself.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+1 415 555 0132", "00861065529988", "+", "()", "+8613800138000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := domain.NormalizePhone("phone", s, domain.DefaultPhoneRegion)
		if err != nil {
			return
		}
		if len(out) < 3 || out[0] != '+' || len(out) > 16 {
			t.Fatalf("%q normalized to non-E.164 %q", s, out)
		}
		again, err := domain.NormalizePhone("phone", out, domain.DefaultPhoneRegion)
		if err != nil || again != out {
			t.Fatalf("not a fixed point: %q -> %q -> %q (%v)", s, out, again, err)
		}
	})
}

// FuzzNormalizeEmail checks the email normalizer never panics and is
// idempotent.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.cn", "A@例子.中国", "x@@y", "\"q\"@x.io", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := domain.NormalizeEmail("email", s)
		if err != nil {
			return
		}
		again, err := domain.NormalizeEmail("email", out)
		if err != nil || again != out {
			t.Fatalf("not a fixed point: %q -> %q -> %q (%v)", s, out, again, err)
		}
	})
}
