package policy_test

import (
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func TestMasks(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"mainland mobile", policy.MaskPhone, "+8613812345678", "138****5678"},
		{"foreign phone", policy.MaskPhone, "+14155550132", "+141****0132"},
		{"email", policy.MaskEmail, "zhang.wei@example.com", "z***@example.com"},
		{"chinese email local part", policy.MaskEmail, "张伟@example.cn", "张***@example.cn"},
		{"id number", policy.MaskIDNumber, "11010519491231002X", "110***********002X"},
		{"bank account", policy.MaskTail, "6222021234567890", "************7890"},
		{"chinese name", policy.MaskPersonName, "张伟", "张*"},
		{"compound surname", policy.MaskPersonName, "欧阳娜娜", "欧阳**"},
		{"latin name keeps surname", policy.MaskPersonName, "Zhang Wei", "Z*** Wei"},
		{"three-word name", policy.MaskPersonName, "Mary Ann Smith", "M*** A*** Smith"},
		{"single word", policy.MaskPersonName, "Madonna", "M***"},
		{"street", policy.MaskStreet, "科技园路1号", "****"},
		{"empty stays empty", policy.MaskPhone, "", ""},
	}
	for _, c := range cases {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("%s: %q → %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestCustomerViewByRole(t *testing.T) {
	roles := policy.BuiltinRoles()
	full := domain.Customer{
		Kind: domain.CustomerPerson, Name: "张伟", Phone: "+8613812345678", Email: "zw@example.com",
		Address: domain.Address{Province: "广东省", City: "深圳市", District: "南山区", Street: "科技园路1号"},
		IDType:  domain.IDCNResident, IDNumber: "11010519491231002X", BankAccount: "6222021234567890",
	}
	view := func(role string) (domain.Customer, *policy.View) {
		c := full
		v := policy.NewView(&domain.Actor{UserID: "u", Role: roles[role]})
		v.Customer(&c)
		return c, v
	}
	rep, v := view(domain.RoleSalesRep)
	if rep.Phone != full.Phone || rep.Name != full.Name || rep.IDNumber != "110***********002X" || rep.BankAccount != "" {
		t.Errorf("sales rep view: %+v", rep)
	}
	if len(v.Revealed) == 0 {
		t.Error("sales rep read unmasked personal fields but nothing is marked for audit")
	}
	svc, v := view(domain.RoleService)
	if svc.Phone != "138****5678" || svc.Name != "张*" || svc.Address.Street != "****" || svc.Address.District != "" || svc.Address.City != "深圳市" {
		t.Errorf("service view: %+v", svc)
	}
	if len(v.Revealed) != 0 {
		t.Errorf("service saw only masked data but fields %v are marked revealed", v.Revealed)
	}
	fin, _ := view(domain.RoleFinance)
	if fin.BankAccount != full.BankAccount || fin.Phone != "138****5678" {
		t.Errorf("finance view: %+v", fin)
	}
	adm, _ := view(domain.RoleAdmin)
	if adm.Phone == full.Phone || adm.IDNumber == full.IDNumber || adm.BankAccount == full.BankAccount {
		t.Errorf("admin sees personal data unmasked: %+v", adm)
	}
	aud, _ := view(domain.RoleAuditor)
	if aud.Name != "" || aud.Phone != "" || aud.Email != "" || aud.IDNumber != "" || aud.Address.Street != "" {
		t.Errorf("auditor sees personal data: %+v", aud)
	}
}
