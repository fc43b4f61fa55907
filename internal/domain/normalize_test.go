package domain_test

import (
	"errors"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
)

func TestNormalizePhone(t *testing.T) {
	ok := map[string]string{
		"13800138000":       "+8613800138000",
		"138 0013 8000":     "+8613800138000",
		"138-0013-8000":     "+8613800138000",
		"+86 138 0013 8000": "+8613800138000",
		"008613800138000":   "+8613800138000",
		"(010) 6552 9988":   "+861065529988",
		"+1 (415) 555-0132": "+14155550132",
		"+44 20 7946 0958":  "+442079460958",
	}
	for in, want := range ok {
		got, err := domain.NormalizePhone("phone", in, domain.DefaultPhoneRegion)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12345", "1380013800", "138001380001", "phone me", "+86 000 0000 0000", "13800138000 ext 5", "１３８００１３８０００"} {
		if _, err := domain.NormalizePhone("phone", in, domain.DefaultPhoneRegion); err == nil {
			t.Errorf("NormalizePhone(%q) accepted", in)
		} else if de := domain.AsError(err); de.Field != "phone" || de.Code != domain.CodeInvalid {
			t.Errorf("NormalizePhone(%q) error %v does not name the field", in, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	ok := map[string]string{
		"Zhang.Wei@Example.COM":    "zhang.wei@example.com",
		"  a@b.cn ":                "a@b.cn",
		"user+tag@sub.example.org": "user+tag@sub.example.org",
		"li@例子.中国":                 "li@xn--fsqu00a.xn--fiqs8s",
	}
	for in, want := range ok {
		got, err := domain.NormalizeEmail("email", in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "plain", "@example.com", "a@", "a@localhost", "Ann <a@b.cn>", "a b@c.cn", "a@b..cn", "a@b.cn.", "a\"b@c.cn"} {
		if _, err := domain.NormalizeEmail("email", in); err == nil {
			t.Errorf("NormalizeEmail(%q) accepted", in)
		}
	}
}

func TestNormalizeCNResidentID(t *testing.T) {
	// 11010519491231002X is the standard's worked example.
	for in, want := range map[string]string{"11010519491231002x": "11010519491231002X", "110105194912310029": ""} {
		got, err := domain.NormalizeCNResidentID("id_number", in)
		if want == "" {
			if err == nil {
				t.Errorf("accepted %q with a wrong check character", in)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizeCNResidentID(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1101051949123100", "A1010519491231002X", "110105194913310028", "110105194902300028"} {
		if _, err := domain.NormalizeCNResidentID("id_number", in); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestNormalizeUSCC(t *testing.T) {
	if got, err := domain.NormalizeUSCC("tax_id", "91350100m000100y43"); err != nil || got != "91350100M000100Y43" {
		t.Fatalf("valid code refused: %q %v", got, err)
	}
	for _, in := range []string{"91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43", ""} {
		if _, err := domain.NormalizeUSCC("tax_id", in); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestNormalizeTextRefusesControlAndBidi(t *testing.T) {
	for _, in := range []string{"a\x00b", "evil\u202eegassem", "line\u2028break", "x\x1b[31m"} {
		if _, err := domain.NormalizeText("note", in, 100, true); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
	if got, err := domain.NormalizeText("note", "  two\nlines\t ", 100, true); err != nil || got != "two\nlines" {
		t.Errorf("multiline text: %q %v", got, err)
	}
	if _, err := domain.NormalizeText("name", string([]byte{0xff, 0xfe}), 100, false); err == nil {
		t.Error("accepted invalid UTF-8")
	}
}

func TestErrorsIsByCode(t *testing.T) {
	err := domain.NotFound("customer")
	if !errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict) {
		t.Fatal("errors.Is does not match by code")
	}
	wrapped := domain.Internal(errors.New("disk on fire"))
	if domain.ErrorCode(wrapped) != domain.CodeInternal || domain.ErrorCode(nil) != "" {
		t.Fatal("ErrorCode")
	}
}

func TestIDs(t *testing.T) {
	id := domain.NewID(domain.KindCustomer)
	if !domain.ValidID(domain.KindCustomer, string(id)) || domain.ValidID(domain.KindDeal, string(id)) {
		t.Fatalf("id %s validity wrong", id)
	}
	if id.Kind() != "cus" {
		t.Fatalf("Kind() = %q", id.Kind())
	}
	if _, err := domain.ParseID(domain.KindDeal, "deal_id", string(id)); domain.AsError(err).Field != "deal_id" {
		t.Fatal("a customer id passed as a deal id is not refused naming the field")
	}
	for _, bad := range []string{"", "cus_", "cus_0000000000000000000000000", "cus_8zzzzzzzzzzzzzzzzzzzzzzzzz", "cus_0000000000000000000000000i", "CUS_00000000000000000000000000"} {
		if domain.ValidID(domain.KindCustomer, bad) {
			t.Errorf("ValidID accepted %q", bad)
		}
	}
}
