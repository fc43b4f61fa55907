package keylifecycle_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/testkit"
)

// oldForm rewrites what an earlier version of Custos stored: a company's
// name in name_public, a person's employer in company, contact and deal
// titles in their clear columns, and no partial-search entries.
func oldForm(t *testing.T, a *testkit.TestApp, raw *testkit.Raw) {
	t.Helper()
	ctx := context.Background()
	rows, err := raw.Query(`SELECT id FROM customers`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	_ = rows.Close()
	for _, id := range ids {
		c, err := a.Store.Customers.GetCustomer(ctx, domain.ID(id), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind == domain.CustomerCompany {
			raw.Exec(t, `UPDATE customers SET name_public = ?, name_sealed = NULL WHERE id = ?`, c.Name, id)
		}
		if c.Company != "" {
			raw.Exec(t, `UPDATE customers SET company = ?, company_sealed = NULL WHERE id = ?`, c.Company, id)
		}
	}
	raw.Exec(t, `DELETE FROM blind_index WHERE field IN (6, 7, 8)`)
	for _, table := range []string{"contacts", "deals"} {
		rows, err := raw.Query(`SELECT id FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		_ = rows.Close()
		for _, id := range ids {
			var title string
			if table == "contacts" {
				x, err := a.Store.Activities.GetContact(ctx, domain.ID(id))
				if err != nil {
					t.Fatal(err)
				}
				title = x.Title
			} else {
				x, err := a.Store.Activities.GetDeal(ctx, domain.ID(id))
				if err != nil {
					t.Fatal(err)
				}
				title = x.Title
			}
			raw.Exec(t, `UPDATE `+table+` SET title = ?, title_sealed = NULL WHERE id = ?`, title, id)
		}
	}
}

// TestSealAtRestOnline stores data as an earlier version did (company
// names, employers and titles in clear, no partial-search entries), then
// seals it with custos data seal's service while customers keep being
// changed: the run is interrupted once and resumed; reads return the same
// values in either form throughout; afterwards nothing is left in clear,
// the database file or dump holds none of the clear values, every
// customer is found by partial search, and running it again does nothing.
func TestSealAtRestOnline(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: fastKeys})
		sys := a.System()
		ctx := context.Background()
		want := seed(t, a, 0, 120)
		secrets := []string{"Zyxquorp Sole Trader", "Qwylthen Holdings", "Plonkwise chief buyer", "Vexmor shop fit-out"}
		co, err := a.Records.CreateCustomer(sys, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: secrets[0]})
		if err != nil {
			t.Fatal(err)
		}
		want[co.ID] = co
		p, err := a.Records.CreateCustomer(sys, &domain.CustomerInput{Name: "李娜", Company: secrets[1], Phone: "13912344321"})
		if err != nil {
			t.Fatal(err)
		}
		want[p.ID] = p
		if _, err := a.Records.CreateContact(sys, co.ID, &domain.ContactInput{Name: "王经理", Title: secrets[2]}); err != nil {
			t.Fatal(err)
		}
		deal, err := a.Records.CreateDeal(sys, &domain.DealInput{CustomerID: co.ID, Title: secrets[3]})
		if err != nil {
			t.Fatal(err)
		}
		raw := testkit.RawDB(t, a)
		oldForm(t, a, raw)
		stored := testkit.StoredBytes(t, a)
		for _, s := range secrets {
			if !bytes.Contains(stored, []byte(s)) {
				t.Fatalf("%q is not in the stored bytes in its old clear form: the scan proves nothing", s)
			}
		}
		st, err := a.Keys.SealStatus(sys)
		if err != nil || st.Last != nil || st.ClearValues < 4 {
			t.Fatalf("status before: %+v %v", st, err)
		}
		if found := search(t, a, "4321", p.ID); found {
			t.Fatal("a customer stored before partial search is found without its entries")
		}
		checkAll(t, a, want)

		// Interrupted after 30 customers.
		cctx, cancel := context.WithCancel(sys)
		_, err = a.Keys.SealAtRest(cctx, keylifecycle.SealOptions{BatchSize: 10, Progress: func(phase domain.SealPhase, done, total int64) {
			if done >= 30 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted seal run: %v", err)
		}
		st, err = a.Keys.SealStatus(sys)
		if err != nil || st.Last == nil || !st.Last.FinishedAt.IsZero() || st.Last.Phase != domain.SealCustomers || st.Last.Done < 30 || st.Running {
			t.Fatalf("status after the interruption: %+v %v", st, err)
		}
		checkAll(t, a, want) // half sealed, half clear: both read

		// Resumed while customers keep changing.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				for id := range want {
					status := domain.StatusActive
					if i%2 == 0 {
						status = domain.StatusLead
					}
					if _, err := a.Records.UpdateCustomer(sys, id, &domain.CustomerPatch{Status: &status}, domain.Precondition{}); err != nil && domain.ErrorCode(err) != domain.CodeConflict {
						t.Errorf("update during the seal run: %v", err)
						return
					}
					break
				}
			}
		}()
		run, err := a.Keys.SealAtRest(sys, keylifecycle.SealOptions{BatchSize: 10})
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("resumed seal run: %v", err)
		}
		if run.FinishedAt.IsZero() || run.Done < int64(len(want)) || run.Sealed < 2 {
			t.Fatalf("run %+v", run)
		}
		st, err = a.Keys.SealStatus(sys)
		if err != nil || st.ClearValues != 0 {
			t.Fatalf("status after: %+v %v", st, err)
		}
		checkAll(t, a, want)
		if got, err := a.Store.Activities.GetDeal(ctx, deal.ID); err != nil || got.Title != secrets[3] {
			t.Fatalf("deal after sealing: %+v %v", got, err)
		}
		for id, c := range want {
			if c.Phone == "" {
				continue
			}
			q := c.Phone[len(c.Phone)-6:]
			if !search(t, a, q, id) {
				t.Fatalf("customer %s is not found by the end of its phone after sealing", id)
			}
		}
		if !search(t, a, "Zyxquorp", co.ID) {
			t.Fatal("a sealed company name is not found")
		}

		stored = testkit.StoredBytes(t, a)
		for _, s := range secrets {
			if bytes.Contains(stored, []byte(s)) {
				t.Errorf("%q is still stored in clear after sealing", s)
			}
		}
		// Nothing left: running again does nothing; a rescan seals nothing.
		again, err := a.Keys.SealAtRest(sys, keylifecycle.SealOptions{})
		if err != nil || again.ID != run.ID {
			t.Fatalf("run again: %+v %v", again, err)
		}
		rescan, err := a.Keys.SealAtRest(sys, keylifecycle.SealOptions{Rescan: true})
		if err != nil || rescan.ID == run.ID || rescan.Sealed != 0 || rescan.FinishedAt.IsZero() {
			t.Fatalf("rescan: %+v %v", rescan, err)
		}
		evs, err := a.Store.AuditLog.ListAudit(ctx, domain.AuditFilter{Action: "data.seal.finish", Limit: 10})
		if err != nil || len(evs) != 2 {
			t.Fatalf("%d seal runs finished on the audit log: %v", len(evs), err)
		}
	})
}

// search reports whether a system search for q finds id.
func search(t *testing.T, a *testkit.TestApp, q string, id domain.ID) bool {
	t.Helper()
	s, err := domain.ParseSearch("q", q)
	if err != nil {
		t.Fatal(err)
	}
	f := domain.CustomerFilter{Search: s, Limit: domain.MaxPageSize}
	for {
		page, err := a.Records.ListCustomers(a.System(), f)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, c := range page.Items {
			if c.ID == id {
				return true
			}
		}
		if page.NextCursor == "" {
			return false
		}
		f.Cursor = domain.ID(page.NextCursor)
	}
}
