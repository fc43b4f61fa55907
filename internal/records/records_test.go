package records_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/testkit"
)

// repWithCustomer makes a sales rep owning a company customer and returns
// the rep's context and the customer.
func repWithCustomer(t testing.TB, a *testkit.TestApp) (context.Context, *domain.Customer) {
	t.Helper()
	a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	ctx := a.ActAs(t, "rep@x.example.com")
	c, err := a.Records.CreateCustomer(ctx, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "Harbor Foods"})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, c
}

func TestAmountNeedsWriteAccess(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		repCtx, c := repWithCustomer(t, a)
		amount := domain.AmountInput("100.00")
		deal, err := a.Records.CreateDeal(repCtx, &domain.DealInput{CustomerID: c.ID, Title: "order", Amount: &amount})
		if err != nil {
			t.Fatal(err)
		}
		// A clerk who works deals but may only read amounts.
		clerk := *policy.BuiltinRoles()[domain.RoleFinance] // session policy and all
		clerk.Name, clerk.Builtin, clerk.Scope = "deal_clerk", false, domain.ScopeAll
		clerk.Functions = map[domain.Function]bool{domain.FnDealsRead: true, domain.FnDealsWrite: true, domain.FnCustomersRead: true}
		clerk.Fields = map[domain.FieldClass]domain.Access{domain.ClassPublic: domain.AccessWrite, domain.ClassAmount: domain.AccessRead}
		if err := a.Store.Users.CreateRole(context.Background(), &clerk); err != nil {
			t.Fatal(err)
		}
		a.CreateUser(t, "clerk@x.example.com", "deal_clerk", "")
		ctx := a.ActAs(t, "clerk@x.example.com")

		more := domain.AmountInput("999")
		jpy, title := "JPY", "renamed"
		for name, call := range map[string]func() error{
			"create with amount": func() error {
				_, err := a.Records.CreateDeal(ctx, &domain.DealInput{CustomerID: c.ID, Title: "x", Amount: &more})
				return err
			},
			"patch amount": func() error {
				_, err := a.Records.UpdateDeal(ctx, deal.ID, &domain.DealPatch{Amount: &more}, domain.Precondition{})
				return err
			},
			"patch currency": func() error {
				_, err := a.Records.UpdateDeal(ctx, deal.ID, &domain.DealPatch{Currency: &jpy, Amount: &more}, domain.Precondition{})
				return err
			},
		} {
			err := call()
			if de := domain.AsError(err); de.Code != domain.CodeForbidden || (de.Field != "amount" && de.Field != "currency") {
				t.Errorf("%s: %v", name, err)
			}
		}
		got, err := a.Records.GetDeal(ctx, deal.ID)
		if err != nil || got.AmountMinor != 10000 || got.Currency != "CNY" {
			t.Fatalf("stored deal: %+v %v", got, err)
		}
		page, err := a.Records.ListDeals(ctx, domain.DealFilter{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("a refused create stored a deal: %v %v", page.Items, err)
		}
		// Everything else about a deal stays writable.
		if _, err := a.Records.UpdateDeal(ctx, deal.ID, &domain.DealPatch{Title: &title}, domain.Precondition{}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Records.CreateDeal(ctx, &domain.DealInput{CustomerID: c.ID, Title: "no amount"}); err != nil {
			t.Fatal(err)
		}
		// A role without amount access sees neither amount nor currency.
		a.UpdateRole(t, "deal_clerk", func(r *domain.Role) { r.Fields[domain.ClassAmount] = domain.AccessNone })
		ctx = a.ActAs(t, "clerk@x.example.com") // the change applies from the next request
		hidden, err := a.Records.GetDeal(ctx, deal.ID)
		if err != nil || hidden.Currency != "" || hidden.AmountMinor != 0 || len(hidden.Hidden) != 2 {
			t.Fatalf("hidden amount: %+v %v", hidden, err)
		}
	})
}

type failingAuditor struct{}

func (failingAuditor) Record(context.Context, *domain.AuditEvent) error {
	return errors.New("audit log down")
}

func TestReadsFailClosed(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx, c := repWithCustomer(t, a)
		ct, err := a.Records.CreateContact(ctx, c.ID, &domain.ContactInput{Name: "李娜", Phone: "13900139000"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := a.Records.CreateNote(ctx, &domain.NoteInput{CustomerID: c.ID, Body: "prefers mornings"})
		if err != nil {
			t.Fatal(err)
		}
		deal, err := a.Records.CreateDeal(ctx, &domain.DealInput{CustomerID: c.ID, Title: "order"})
		if err != nil {
			t.Fatal(err)
		}
		blind := a.RecordsWithAuditor(failingAuditor{})
		if got, err := blind.GetContact(ctx, ct.ID); got != nil || domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Fatalf("contact read without audit: %v %v", got, err)
		}
		if page, err := blind.ListNotes(ctx, domain.ActivityFilter{}); len(page.Items) != 0 || domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Fatalf("note list without audit: %v %v", page.Items, err)
		}
		if got, err := blind.GetNote(ctx, n.ID); got != nil || domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Fatalf("note read without audit: %v %v", got, err)
		}
		// Reads that reveal no personal data need no audit event.
		if _, err := blind.GetDeal(ctx, deal.ID); err != nil {
			t.Fatalf("deal read: %v", err)
		}
		// Changes carry their audit events in their own transaction.
		body := "evenings now"
		if _, err := blind.UpdateNote(ctx, n.ID, &domain.NotePatch{Body: &body}, domain.Precondition{}); err != nil {
			t.Fatalf("update: %v", err)
		}
	})
}

func TestConcurrentCheckIns(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx, c := repWithCustomer(t, a)
		v, err := a.Records.CreateVisit(ctx, &domain.VisitInput{CustomerID: c.ID, PlannedAt: "2026-06-01T02:00:00Z"})
		if err != nil {
			t.Fatal(err)
		}
		lat, lng := 22.5, 114.0
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, conflicts := 0, 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := a.Records.CheckIn(ctx, v.ID, &domain.LocationInput{Lat: &lat, Lng: &lng}, domain.Precondition{})
				mu.Lock()
				defer mu.Unlock()
				switch domain.ErrorCode(err) {
				case "":
					won++
				case domain.CodeConflict:
					conflicts++
				default:
					t.Errorf("check-in: %v", err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || conflicts != 7 {
			t.Fatalf("%d check-ins succeeded, %d conflicted", won, conflicts)
		}
	})
}

func TestViewsOfRecords(t *testing.T) {
	roles := policy.BuiltinRoles()
	actor := func(role string) *domain.Actor { return &domain.Actor{UserID: "usr_x", Role: roles[role]} }
	loc := &domain.Location{Lat: 22.54321, Lng: 114.05791, Accuracy: 8}
	for _, tc := range []struct {
		role              string
		wantLoc, wantNote bool
	}{
		{domain.RoleSalesRep, true, true}, {domain.RoleSalesManager, true, true},
		{domain.RoleFinance, false, true}, {domain.RoleService, false, true},
	} {
		v := &domain.Visit{Notes: "outcome", CheckInLoc: loc, CheckOutLoc: loc}
		view := policy.NewView(actor(tc.role))
		view.Visit(v)
		if (v.CheckInLoc != nil) != tc.wantLoc || (v.Notes == "outcome") != tc.wantNote {
			t.Errorf("%s: %+v", tc.role, v)
		}
		if tc.wantLoc && len(view.Revealed) != 2 {
			t.Errorf("%s: revealed %v, want notes and location once each", tc.role, view.Revealed)
		}
	}
}
