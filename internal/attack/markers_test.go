package attack

import (
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func TestMarkerValuesAreValidAndUnique(t *testing.T) {
	g := newMarkerGen("abcd")
	seen := map[string]bool{}
	uniq := func(kind, v string) {
		t.Helper()
		if seen[v] {
			t.Errorf("%s %q generated twice", kind, v)
		}
		seen[v] = true
	}
	for i := 0; i < 200; i++ {
		phone := g.Phone()
		if _, err := domain.NormalizePhone("phone", phone, "CN"); err != nil {
			t.Fatalf("phone %q: %v", phone, err)
		}
		uniq("phone", phone)
		_, masked := phoneMarker(phone)
		uniq("masked phone", masked)
		email, secret := g.Email()
		if n, err := domain.NormalizeEmail("email", email); err != nil || n != email {
			t.Fatalf("email %q: %q %v", email, n, err)
		}
		if !strings.Contains(email, secret) || strings.Contains(policy.MaskEmail(email), secret) {
			t.Fatalf("email secret %q must be in %q and not in its mask", secret, email)
		}
		uniq("email", email)
		uniq("masked email", policy.MaskEmail(email))
		tax := g.TaxID()
		if _, err := domain.NormalizeUSCC("tax_id", tax); err != nil {
			t.Fatalf("tax id %q: %v", tax, err)
		}
		uniq("tax id secret", tax[:14])
		bank, bsecret := g.BankAccount()
		if _, err := domain.NormalizeBankAccount("bank_account", bank); err != nil {
			t.Fatalf("bank %q: %v", bank, err)
		}
		if strings.Contains(policy.MaskTail(bank), bsecret) {
			t.Fatalf("bank secret %q shows in the mask", bsecret)
		}
		uniq("bank secret", bsecret)
		pp := g.Passport()
		if _, err := domain.NormalizeDocumentNumber("id_number", pp); err != nil {
			t.Fatalf("passport %q: %v", pp, err)
		}
		name, nsecret := g.PersonName()
		if strings.Contains(policy.MaskPersonName(name), nsecret) {
			t.Fatalf("name secret %q shows in the mask %q", nsecret, policy.MaskPersonName(name))
		}
		uniq("name secret", nsecret)
		if _, err := domain.ParseAmount("amount", g.Amount(), "CNY"); err != nil {
			t.Fatalf("amount: %v", err)
		}
	}
}

func TestForbiddenNeedlesFollowAccess(t *testing.T) {
	roles := policy.BuiltinRoles()
	phone := newMarker("team", "customer", "phone", domain.ClassContact, "13912345678", nil, "139****5678")
	bank := newMarker("team", "customer", "bank_account", domain.ClassFinancial, "MKB12345678", []string{"MKB1234"}, "*******5678")
	other := newMarker("other", "customer", "phone", domain.ClassContact, "13987654321", nil, "139****4321")
	markers := []Marker{phone, bank, other}
	texts := func(role string, reach Visibility) map[string]bool {
		out := map[string]bool{}
		for _, n := range ForbiddenNeedles(roles[role], reach, markers) {
			out[n.Text] = true
		}
		return out
	}
	teamOnly := func(b string) bool { return b == "team" }
	all := func(string) bool { return true }

	// sales_manager: contact write (may see), financial masked (full and
	// secret forbidden, mask allowed), other team out of scope (all forms).
	got := texts("sales_manager", teamOnly)
	for _, want := range []string{"MKB12345678", "MKB1234", "13987654321", "139****4321"} {
		if !got[want] {
			t.Errorf("sales_manager: %q should be forbidden", want)
		}
	}
	for _, allowed := range []string{"13912345678", "*******5678"} {
		if got[allowed] {
			t.Errorf("sales_manager: %q should be allowed", allowed)
		}
	}
	// service: financial none: the masked form is forbidden too.
	if got := texts("service", all); !got["*******5678"] || !got["13912345678"] || got["139****5678"] {
		t.Errorf("service needles wrong: %v", got)
	}
	// auditor: no customers.read at all.
	if got := texts("auditor", all); len(got) != 7 {
		t.Errorf("auditor should be forbidden everything, got %v", got)
	}
	// anonymous.
	if n := ForbiddenNeedles(nil, all, markers); len(n) != 7 {
		t.Errorf("anonymous: %d needles", len(n))
	}
}

func TestScanLeaks(t *testing.T) {
	m := newMarker("team", "customer", "phone", domain.ClassContact, "13912345678", nil, "139****5678")
	needles := []Needle{{Text: m.Full, Marker: &m, Why: "masked access"}}
	if l := ScanLeaks([]byte(`{"phone":"+8613912345678"}`), needles, nil); len(l) != 1 || !strings.Contains(l[0].String(), "masked access") {
		t.Errorf("leak not found: %v", l)
	}
	if l := ScanLeaks([]byte(`{"phone":"139****5678"}`), needles, nil); len(l) != 0 {
		t.Errorf("masked value reported: %v", l)
	}
	if l := ScanLeaks([]byte(`{"value":"+8613912345678"}`), needles, []string{"+8613912345678"}); len(l) != 0 {
		t.Errorf("an allowed (revealed) value reported: %v", l)
	}
}

func TestLetters(t *testing.T) {
	if letters(0) != "aaa" || letters(27) != "abb" || len(letters(26*26*26)) != 4 {
		t.Errorf("letters: %q %q %q", letters(0), letters(27), letters(26*26*26))
	}
}
