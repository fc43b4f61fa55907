package store_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/vault"
)

// TestMigrationBelowNewestIsApplied: versions need not be contiguous, and
// one numbered below a version already applied still runs, once.
func TestMigrationBelowNewestIsApplied(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ms, err := store.Migrations(a.Store.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		latest := ms[len(ms)-1].Version
		later := store.Migration{Version: latest + 2, Name: "later", SQL: `CREATE TABLE gap_later (id INTEGER)`}
		earlier := store.Migration{Version: latest + 1, Name: "earlier", SQL: `CREATE TABLE gap_earlier (id INTEGER)`}
		for _, m := range []store.Migration{later, earlier, earlier, later} {
			if err := store.ApplyMigration(a.Store, m, latest+2); err != nil {
				t.Fatalf("apply %04d: %v", m.Version, err)
			}
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM gap_earlier`) + raw.Int(t, `SELECT COUNT(*) FROM gap_later`); n != 0 {
			t.Fatalf("%d rows", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM schema_migrations WHERE version > ?`, latest); n != 2 {
			t.Fatalf("%d versions recorded above %d, want 2", n, latest)
		}
	})
}

// TestCompanyNameBackfill: company customers stored before the
// company-name index, their names still in clear, get their entries at
// the next start, once.
func TestCompanyNameBackfill(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := context.Background()
		if _, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "恒信商贸（深圳）有限公司"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "恒信商贸（深圳）有限公司"}); err != nil { // a person: not a company name
			t.Fatal(err)
		}
		holders := func() int {
			hs, err := a.Store.Customers.CompanyNameHolders(ctx, "恒信商贸 (深圳) 有限公司")
			if err != nil {
				t.Fatal(err)
			}
			return len(hs)
		}
		if n := holders(); n != 1 {
			t.Fatalf("%d holders of the company name, want 1", n)
		}
		raw := testkit.RawDB(t, a)
		// An older row: the company's name in clear, no entry.
		raw.Exec(t, `DELETE FROM blind_index WHERE field = `+strconv.Itoa(vault.IndexCompanyName.Code))
		raw.Exec(t, `UPDATE customers SET name_public = '恒信商贸（深圳）有限公司' WHERE kind = 'company'`)
		raw.Exec(t, `INSERT INTO pending_backfills (name) VALUES ('company_name_index')`)
		if n := holders(); n != 0 {
			t.Fatalf("%d holders without entries", n)
		}
		for range 2 {
			if err := a.Store.Customers.RunBackfills(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := holders(); n != 1 {
			t.Fatalf("%d holders after the backfill, want 1", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM pending_backfills`); n != 0 {
			t.Fatalf("%d backfills still pending", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM blind_index WHERE field = `+strconv.Itoa(vault.IndexCompanyName.Code)); n != 1 {
			t.Fatalf("%d company-name entries, want 1", n)
		}
	})
}
