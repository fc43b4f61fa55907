package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// newCustomers returns customers from..from+n-1 of a demo generator,
// ready for an import.
func newCustomers(t *testing.T, g *demo.Generator, from, n int) []*domain.Customer {
	t.Helper()
	var cs []*domain.Customer
	for i := from; i < from+n; i++ {
		in := g.Customer(i)
		in.OwnerID = ""
		c, _, err := domain.NewCustomer(in)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		c.ID, c.CreatedAt, c.UpdatedAt, c.Version = domain.NewIDAt(domain.KindCustomer, now), now, now, 1
		cs = append(cs, c)
	}
	return cs
}

// An import's blind-index entries are written in key order when enough
// have gathered and when it finishes: before that its customers are not
// found by phone, afterwards all are; a phone taken by another customer
// before the entries are written makes the write a conflict, and the
// aborted import leaves nothing behind.
func TestImportIndexEntriesAreWrittenInFlushes(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		st := a.Store
		ctx := context.Background()
		g := demo.NewGenerator(11)
		found := func(c *domain.Customer) bool {
			t.Helper()
			got, err := st.Customers.FindCustomers(ctx, domain.LookupPhone, c.Phone, domain.RecordScope{})
			if err != nil {
				t.Fatal(err)
			}
			return len(got) == 1 && got[0].ID == c.ID
		}
		begin := func() domain.ID {
			id := domain.NewID(domain.KindImport)
			now := time.Now()
			if err := st.Imports.CreateImport(ctx, &domain.Import{ID: id, Kind: domain.ImportCustomers, State: domain.ImportRunning,
				Phase: domain.PhaseWrite, StartedAt: now}); err != nil {
				t.Fatal(err)
			}
			return id
		}

		// Default threshold: nothing is written before the import finishes.
		id := begin()
		var all []*domain.Customer
		for b := range 3 {
			cs := newCustomers(t, g, 10*b, 10)
			if err := st.Customers.InsertCustomers(ctx, id, cs); err != nil {
				t.Fatal(err)
			}
			all = append(all, cs...)
		}
		if found(all[0]) || found(all[29]) {
			t.Fatal("entries were written before the threshold or the finish")
		}
		if err := st.Customers.FinishImport(ctx, id, len(all), time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			if !found(c) {
				t.Fatalf("customer %s not found by phone after the import finished", c.ID)
			}
		}

		// A threshold of one entry: every batch is written right away.
		store.SetImportIndexFlushRows(st, 1)
		id = begin()
		cs := newCustomers(t, g, 50, 10)
		if err := st.Customers.InsertCustomers(ctx, id, cs); err != nil {
			t.Fatal(err)
		}
		if !found(cs[0]) || !found(cs[9]) {
			t.Fatal("a batch past the threshold was not written")
		}
		if err := st.Customers.FinishImport(ctx, id, len(cs), time.Now()); err != nil {
			t.Fatal(err)
		}
		store.SetImportIndexFlushRows(st, 0)

		// A phone taken before the entries are written fails the finish.
		id = begin()
		cs = newCustomers(t, g, 100, 10)
		if err := st.Customers.InsertCustomers(ctx, id, cs); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "Racer", Phone: cs[3].Phone}); err != nil {
			t.Fatal(err)
		}
		if err := st.Customers.FinishImport(ctx, id, len(cs), time.Now()); domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("finish over a taken phone: %v", err)
		}
		if err := st.Customers.AbortImport(ctx, id, time.Now()); err != nil {
			t.Fatal(err)
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM customers WHERE import_id = ?`, string(id)); n != 0 {
			t.Fatalf("%d customers of the failed import left", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM blind_index b WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = b.customer_id)`); n != 0 {
			t.Fatalf("%d orphaned blind-index entries", n)
		}
	})
}
