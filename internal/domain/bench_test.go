package domain_test

import (
	"testing"

	"github.com/custoscrm/custos/internal/domain"
)

func BenchmarkNormalizePhone(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := domain.NormalizePhone("phone", "138 0013 8000", domain.DefaultPhoneRegion); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeEmail(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := domain.NormalizeEmail("email", "Zhang.Wei@Example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewCustomer(b *testing.B) {
	in := &domain.CustomerInput{Name: "张伟", Phone: "13800138000", Email: "zw@example.com", IDNumber: "11010519491231002X",
		Address: &domain.AddressInput{Province: "广东省", City: "深圳市", Street: "科技园路1号"}, Tags: []string{"vip"}}
	for i := 0; i < b.N; i++ {
		if _, _, err := domain.NewCustomer(in); err != nil {
			b.Fatal(err)
		}
	}
}
