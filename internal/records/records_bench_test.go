package records_test

import (
	"fmt"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// BenchmarkListVisits reads pages of 50 completed visits (notes and both
// locations opened, and the read audited) as their rep, on SQLite.
func BenchmarkListVisits(b *testing.B) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	ctx, _ := repWithCustomer(b, a)
	lat, lng := 22.5, 114.0
	notes := "店长同意增加陈列位 / shelf space agreed"
	for i := range 100 {
		c, err := a.Records.CreateCustomer(ctx, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: fmt.Sprintf("Store %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		v, err := a.Records.CreateVisit(ctx, &domain.VisitInput{CustomerID: c.ID, PlannedAt: "2026-06-01T02:00:00Z"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Records.CheckIn(ctx, v.ID, &domain.LocationInput{Lat: &lat, Lng: &lng}, domain.Precondition{}); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Records.CheckOut(ctx, v.ID, &domain.CheckOutInput{Lat: &lat, Lng: &lng, Notes: &notes}, domain.Precondition{}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		page, err := a.Records.ListVisits(ctx, domain.VisitFilter{Limit: 50})
		if err != nil || len(page.Items) != 50 {
			b.Fatalf("%d visits, %v", len(page.Items), err)
		}
	}
}

// BenchmarkGetContact reads one contact in full from parallel callers (each
// read audited, the audit events group-committed), on SQLite.
func BenchmarkGetContact(b *testing.B) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	ctx, c := repWithCustomer(b, a)
	ct, err := a.Records.CreateContact(ctx, c.ID, &domain.ContactInput{Name: "李娜", Phone: "13900139000", Email: "li.na@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got, err := a.Records.GetContact(ctx, ct.ID); err != nil || got.Name != "李娜" {
				b.Fatalf("%v %v", got, err)
			}
		}
	})
}

// BenchmarkCreateNote writes notes (sealed body, audit event in the same
// transaction) from parallel callers, on SQLite.
func BenchmarkCreateNote(b *testing.B) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	ctx, c := repWithCustomer(b, a)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Records.CreateNote(ctx, &domain.NoteInput{CustomerID: c.ID, Body: "客户偏好上午送货 / prefers mornings"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
