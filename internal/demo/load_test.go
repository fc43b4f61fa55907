package demo_test

import (
	"math"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/wiring"
)

func TestLoadCreatesActivity(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		users, err := demo.Load(a.System(), a.DemoServices(), wiring.GeneratePassword, demo.Options{Customers: 40})
		if err != nil {
			t.Fatal(err)
		}
		raw := testkit.RawDB(t, a)
		for table, least := range map[string]int64{"customers": 40, "deals": 20, "visits": 20, "notes": 10, "tasks": 10, "contacts": 1} {
			if n := raw.Int(t, "SELECT COUNT(*) FROM "+table); n < least {
				t.Errorf("%d %s, want at least %d", n, table, least)
			}
		}
		if n := raw.Int(t, "SELECT COUNT(*) FROM deals WHERE currency <> 'CNY' OR amount_minor <= 0"); n != 0 {
			t.Errorf("%d deals without a CNY amount", n)
		}
		if n := raw.Int(t, "SELECT COUNT(*) FROM contacts x JOIN customers c ON c.id = x.customer_id WHERE c.kind <> 'company'"); n != 0 {
			t.Errorf("%d contacts of persons", n)
		}

		// Completed visits were checked in and out near the customer's
		// city, with outcome notes.
		if len(users) != 7 {
			t.Fatalf("%d demo users", len(users))
		}
		ctx := a.System()
		page, err := a.Records.ListVisits(ctx, domain.VisitFilter{Status: domain.VisitCompleted, Limit: 200})
		if err != nil || len(page.Items) == 0 {
			t.Fatalf("completed visits: %d, %v", len(page.Items), err)
		}
		for _, v := range page.Items {
			c, err := a.Records.GetCustomer(ctx, v.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if v.CheckOutNotes == "" || v.CheckInLoc == nil || v.CheckOutLoc == nil || v.CheckOutAt.Before(v.CheckInAt) {
				t.Fatalf("completed visit %+v", v)
			}
			if !nearCity(c.Address.City, v.CheckInLoc) {
				t.Errorf("visit to a customer in %s checked in at %v", c.Address.City, v.CheckInLoc)
			}
			if v.PlannedAt.After(time.Now()) {
				t.Errorf("completed visit planned in the future: %v", v.PlannedAt)
			}
		}
	})
}

// nearCity reports whether l is within about 10 km of one of the demo
// cities, and of the right one when the city is known.
func nearCity(city string, l *domain.Location) bool {
	centers := map[string][2]float64{"北京市": {39.90, 116.41}, "上海市": {31.23, 121.47}, "深圳市": {22.54, 114.06}, "广州市": {23.13, 113.26}}
	c, ok := centers[city]
	if !ok {
		return l.Lat > 18 && l.Lat < 54 && l.Lng > 73 && l.Lng < 135 // somewhere in China
	}
	return math.Abs(l.Lat-c[0]) < 0.1 && math.Abs(l.Lng-c[1]) < 0.1
}
