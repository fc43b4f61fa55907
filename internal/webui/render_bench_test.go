package webui

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// benchRequest is a signed-in manager's request for the customer card,
// with everything the services would have answered already in hand.
func benchRequest(b *testing.B, u *UI) (*request, *domain.Customer) {
	b.Helper()
	role := policy.BuiltinRoles()[domain.RoleSalesManager]
	in := demo.NewGenerator(1).Customer(7)
	c := &domain.Customer{ID: "cus_0123456789abcdefghjkmnpqrs", Kind: in.Kind, Name: in.Name, Phone: "+8613800138000",
		Email: in.Email, Company: in.Company, Industry: in.Industry, Tags: in.Tags, Status: domain.StatusActive,
		Address:   domain.Address{Province: "广东省", City: "深圳市", District: "南山区", Street: "科技园路1号"},
		UpdatedAt: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), Masked: []string{"bank_account", "tax_id"}}
	r := httptest.NewRequestWithContext(context.Background(), "GET", "/customers/"+string(c.ID), nil)
	user := &domain.User{ID: "usr_0123456789abcdefghjkmnpqrs", DisplayName: "陈经理 Manager Chen", Locale: "zh-CN", TimeZone: "Asia/Shanghai"}
	actor := &domain.Actor{UserID: user.ID, Role: role, SessionID: "ses_0123456789abcdefghjkmnpqrs"}
	return &request{w: httptest.NewRecorder(), r: r, ctx: r.Context(), actor: actor, user: user,
		loc: u.i18n.localeFor(r, user), csrf: csrfFor("x")}, c
}

// BenchmarkRenderCustomerCard is the web UI's own cost of a customer
// card: the locale, the view and the template (the services excluded).
func BenchmarkRenderCustomerCard(b *testing.B) {
	u, err := New(Deps{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	rq, c := benchRequest(b, u)
	b.ReportAllocs()
	for b.Loop() {
		rq.w = httptest.NewRecorder()
		rq.loc = u.i18n.localeFor(rq.r, rq.user)
		u.render(rq, 200, "customer", newCustomerCardView(u.newBase(rq, "customer.title"), c))
	}
}
