package jsonapi_test

import (
	"fmt"
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
)

// Rows of the endpoint table for the customer pool, duplicate transfer
// requests and the notification inbox. Pool customers are fresh
// customers of team East; their values are not among the fixture's
// sentinels (a claim shows the claimer their new customer in full).

func init() { endpointTable = append(endpointTable, poolRows...) }

// poolCustomer puts a fresh customer into team East's pool (made for the
// owner caller, then reclaimed by the system) and returns its id.
func (f *fixture) poolCustomer() string {
	id := f.ownedCustomer()
	if err := f.a.Pool.Reclaim(f.a.System(), domain.ID(id)); err != nil {
		f.t.Fatalf("reclaim into the pool: %v", err)
	}
	return id
}

// ownedCustomer creates a fresh customer owned by the owner caller.
func (f *fixture) ownedCustomer() string {
	n := f.next()
	c, err := f.a.Records.CreateCustomer(f.a.System(), &domain.CustomerInput{
		Name: fmt.Sprintf("Pool Person %c%c", 'a'+rune(n%26), 'a'+rune(n/26%26)), Phone: fmt.Sprintf("137%08d", n),
		Address: &domain.AddressInput{Province: "广东省", City: "深圳市"}, OwnerID: f.users[owner].ID,
	})
	if err != nil {
		f.t.Fatalf("create customer: %v", err)
	}
	return string(c.ID)
}

// reference returns a duplicate reference the caller got by creating a
// customer with the phone of a customer of team West, which they cannot
// see; callers who see everything get a well-formed reference no check
// handed out.
func (f *fixture) reference(c caller) string {
	const forged = "dr1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if c != owner && c != other && c != manager {
		return forged
	}
	if f.westRep == nil {
		west := f.a.CreateTeam(f.t, "West")
		f.westRep = f.a.CreateUser(f.t, "west.rep@x.example.com", domain.RoleSalesRep, west)
	}
	phone := fmt.Sprintf("136%08d", f.next())
	if _, err := f.a.Records.CreateCustomer(f.a.System(), &domain.CustomerInput{Name: "West Holder", Phone: phone,
		OwnerID: f.westRep.ID}); err != nil {
		f.t.Fatalf("create holder: %v", err)
	}
	r := f.s.Do(f.t, "POST", "/api/v1/customers", f.tokens[c], map[string]any{"name": "Second Entry", "phone": phone})
	var got struct {
		Duplicate struct {
			Reference string `json:"reference"`
		} `json:"duplicate"`
	}
	r.JSON(f.t, &got)
	if r.Status != http.StatusConflict || got.Duplicate.Reference == "" {
		f.t.Fatalf("duplicate as %s: %d %s", c, r.Status, r.Body)
	}
	return got.Duplicate.Reference
}

// roomyPool lifts team East's pool limits far above what the table does.
func (f *fixture) roomyPool() {
	n := func(v int) *int { return &v }
	if _, err := f.a.Pool.UpdateSettings(f.a.System(), f.team, &domain.PoolSettingsInput{DailyClaims: n(1000),
		MaxOwned: n(100000), ReturnDays: n(30), WarnDays: n(3)}); err != nil {
		f.t.Fatalf("pool settings: %v", err)
	}
}

// notification gives the owner caller a fresh notification (a customer
// reclaimed from them) and returns its id.
func (f *fixture) notification() string {
	f.poolCustomer()
	page, err := f.a.Store.Notifications.ListNotifications(f.t.Context(), domain.NotificationFilter{UserID: f.users[owner].ID, Limit: 1})
	if err != nil || len(page.Items) == 0 {
		f.t.Fatalf("the owner's notifications: %v %v", page.Items, err)
	}
	return string(page.Items[0].ID)
}

var poolRows = []endpointRow{
	{"GET /api/v1/pool/customers", func(f *fixture, c caller) request { f.poolCustomer(); return p("/api/v1/pool/customers", nil) },
		set(signedIn(200), finance, 403, service, 403, auditor, 403, narrow, 403)},
	{"POST /api/v1/pool/customers/{id}/claim", func(f *fixture, c caller) request {
		f.roomyPool() // the owner caller owns every fixture customer
		return p("/api/v1/pool/customers/"+f.poolCustomer()+"/claim", nil)
	}, set(signedIn(200), finance, 403, service, 403, auditor, 403, narrow, 403)},
	{"POST /api/v1/pool/customers/{id}/assign", func(f *fixture, c caller) request {
		return p("/api/v1/pool/customers/"+f.poolCustomer()+"/assign", map[string]string{"owner_id": string(f.users[other].ID)})
	}, set(expect(403), admin, 204, manager, 204)},
	{"POST /api/v1/customers/{id}/release", func(f *fixture, c caller) request {
		return p("/api/v1/customers/"+f.ownedCustomer()+"/release", nil)
	}, set(expect(404), owner, 204, finance, 403, service, 403, auditor, 403, narrow, 403)},
	{"POST /api/v1/customers/{id}/reclaim", func(f *fixture, c caller) request {
		return p("/api/v1/customers/"+f.ownedCustomer()+"/reclaim", nil)
	}, set(expect(403), admin, 204, manager, 204)},
	{"POST /api/v1/pool/transfer-requests", func(f *fixture, c caller) request {
		return p("/api/v1/pool/transfer-requests", map[string]string{"reference": f.reference(c)})
	}, set(expect(403), admin, 400, manager, 202, owner, 202, other, 202)},
	{"GET /api/v1/teams/{id}/pool-settings", func(f *fixture, c caller) request {
		return p("/api/v1/teams/"+string(f.team)+"/pool-settings", nil)
	}, set(expect(404), admin, 200, manager, 200, owner, 200, other, 200)},
	{"PUT /api/v1/teams/{id}/pool-settings", func(f *fixture, c caller) request {
		return p("/api/v1/teams/"+string(f.team)+"/pool-settings",
			map[string]int{"daily_claims": 50, "max_owned": 500, "return_days": 60, "warn_days": 5})
	}, set(expect(403), admin, 200, manager, 200)},
	{"GET /api/v1/notifications", func(f *fixture, c caller) request { return p("/api/v1/notifications", nil) }, signedIn(200)},
	{"POST /api/v1/notifications/{id}/read", func(f *fixture, c caller) request {
		return p("/api/v1/notifications/"+f.notification()+"/read", nil)
	}, set(expect(404), owner, 204)},
}
