package domain_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/custoscrm/custos/internal/domain"
)

// FuzzDuplicateReferenceHash reads arbitrary references: no panics, a
// refusal is always invalid on the named field, and only the exact form
// a duplicate check hands out ("dr1." and 43 base64url characters) is
// accepted — a fresh reference always is, and hashes to 32 bytes.
func FuzzDuplicateReferenceHash(f *testing.F) {
	ref, _ := domain.NewDuplicateReference()
	for _, s := range []string{ref, "", "dr1.", "dr1." + strings.Repeat("A", 43), "dr1." + strings.Repeat("=", 43),
		"dr2." + strings.Repeat("A", 43), "dr1." + strings.Repeat("A", 44), "dr1.\x00", strings.Repeat("dr1.", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := domain.DuplicateReferenceHash("reference", s)
		if err != nil {
			if e := domain.AsError(err); e.Code != domain.CodeInvalid || e.Field != "reference" {
				t.Fatalf("refusal %v", err)
			}
			if len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("the refusal repeats the input: %v", err)
			}
			return
		}
		if len(h) != 32 || !strings.HasPrefix(s, "dr1.") || len(s) != 47 {
			t.Fatalf("accepted %q (hash of %d bytes)", s, len(h))
		}
	})
}

// FuzzCompanyNameKey folds arbitrary names: no panics, the key holds no
// space, punctuation or symbol and is lower case, and folding is a fixed
// point (a key folds to itself).
func FuzzCompanyNameKey(f *testing.F) {
	for _, s := range []string{"恒信商贸（深圳）有限公司", "Northwind Foods, Inc.", "ＡＢＣ　Ltd", "", " ", "a\u0301", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := domain.CompanyNameKey(s)
		for _, r := range k {
			if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
				t.Fatalf("key %q of %q holds %q", k, s, r)
			}
		}
		if again := domain.CompanyNameKey(k); again != k {
			t.Fatalf("not a fixed point: %q → %q → %q", s, k, again)
		}
	})
}

// FuzzPoolSettingsInput decodes arbitrary JSON into the settings input:
// no panics, refusals are invalid and name a field, and accepted settings
// lie within their bounds.
func FuzzPoolSettingsInput(f *testing.F) {
	for _, s := range []string{
		`{"daily_claims":20,"max_owned":300,"return_days":30,"warn_days":3}`,
		`{"daily_claims":0,"max_owned":1,"return_days":0,"warn_days":0}`,
		`{"daily_claims":-1,"max_owned":300,"return_days":30,"warn_days":3}`,
		`{"daily_claims":20,"max_owned":300,"return_days":3,"warn_days":3}`, `{"daily_claims":1e9}`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in domain.PoolSettingsInput
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return
		}
		p, err := in.Settings("tea_01jq0000000000000000000000")
		if err != nil {
			if e := domain.AsError(err); e.Code != domain.CodeInvalid || e.Field == "" {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		if p.DailyClaims < 0 || p.DailyClaims > domain.MaxPoolDailyClaims || p.MaxOwned < 1 || p.MaxOwned > domain.MaxPoolMaxOwned ||
			p.ReturnDays < 0 || p.ReturnDays > domain.MaxPoolReturnDays || p.WarnDays < 0 ||
			(p.WarnDays > 0 && p.WarnDays >= p.ReturnDays) {
			t.Fatalf("accepted %+v", p)
		}
	})
}
