package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// A database that cannot grow (SQLite's answer on a full disk) refuses
// writes with store_unavailable and a Retry-After, changes nothing, and
// reports not ready until a write succeeds again.
func TestFullDatabaseAnswersStoreUnavailable(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	ctx := a.System()
	g := demo.NewGenerator(5)
	if _, err := a.Records.CreateCustomer(ctx, g.Customer(0)); err != nil {
		t.Fatal(err)
	}
	raw := testkit.RawDB(t, a)
	before := raw.Int(t, `SELECT COUNT(*) FROM customers`)

	store.SetMaxPageCount(t, a.Store, store.PageCount(t, a.Store))
	var err error
	for i := 1; i < 200 && err == nil; i++ { // until a write needs a page the database may not take
		_, err = a.Records.CreateCustomer(ctx, g.Customer(i))
	}
	de := domain.AsError(err)
	if de.Code != domain.CodeStoreUnavailable || de.RetryAfter <= 0 {
		t.Fatalf("create on a full database: %v (code %s, retry after %v)", err, de.Code, de.RetryAfter)
	}
	if err := a.Store.Ready(context.Background()); err == nil {
		t.Fatal("ready while writes fail")
	}
	stored := raw.Int(t, `SELECT COUNT(*) FROM customers`)
	if stored < before {
		t.Fatalf("customers went from %d to %d", before, stored)
	}
	// The refused write left nothing behind: every stored customer opens.
	page, err := a.Records.ListCustomers(ctx, domain.CustomerFilter{Limit: 500})
	if err != nil || int64(len(page.Items)) != stored {
		t.Fatalf("list after the refused write: %d of %d, %v", len(page.Items), stored, err)
	}

	store.SetMaxPageCount(t, a.Store, 0)
	waitReady(t, a.Store)
	if _, err := a.Records.CreateCustomer(ctx, g.Customer(500)); err != nil {
		t.Fatalf("create once space is back: %v", err)
	}
}

// Below the disk reserve the guard refuses writes (the audit queue too, so
// reads of personal data fail closed), and takes them again once the free
// space is back.
func TestDiskGuardRefusesWritesBelowTheReserve(t *testing.T) {
	var free freeSpace
	free.set(10 << 30)
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{FreeSpace: free.get})
	ctx := a.System()
	g := demo.NewGenerator(6)
	team := a.CreateTeam(t, "north")
	a.CreateUser(t, "manager@example.com", domain.RoleSalesManager, team)
	mgr := a.ActAs(t, "manager@example.com")
	c, err := a.Records.CreateCustomer(mgr, g.Customer(0))
	if err != nil {
		t.Fatal(err)
	}

	free.set(1 << 20)                  // 1 MiB, under the 64 MiB default reserve
	time.Sleep(300 * time.Millisecond) // past the guard's cached reading
	if _, err := a.Records.CreateCustomer(ctx, g.Customer(1)); domain.ErrorCode(err) != domain.CodeStoreUnavailable {
		t.Fatalf("create below the reserve: %v", err)
	}
	if _, err := a.Records.GetCustomer(mgr, c.ID); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("an unmasked read that cannot be audited: %v", err)
	}
	if err := a.Store.Ready(context.Background()); err == nil {
		t.Fatal("ready below the reserve")
	}

	free.set(10 << 30)
	waitReady(t, a.Store)
	if _, err := a.Records.GetCustomer(mgr, c.ID); err != nil {
		t.Fatalf("read with space back: %v", err)
	}
	if _, err := a.Records.CreateCustomer(ctx, g.Customer(2)); err != nil {
		t.Fatalf("create with space back: %v", err)
	}
}

func waitReady(t *testing.T, st *store.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := st.Ready(context.Background())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready again: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeSpace is a settable reading of the data volume's free space.
type freeSpace struct{ v atomic.Uint64 }

func (f *freeSpace) set(n uint64) { f.v.Store(n) }
func (f *freeSpace) get(string) (uint64, error) {
	n := f.v.Load()
	if n == 0 {
		return 0, errors.New("no reading")
	}
	return n, nil
}
