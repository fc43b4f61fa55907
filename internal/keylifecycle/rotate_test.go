package keylifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestRotateMasterWhileServing rotates the master key while writers and
// readers hammer the API, kills the rotation midway (its context is
// cancelled between batches, as a crash would stop it) and runs it again.
// Afterwards every customer decrypts, none is lost, and the old version
// is retired and can be destroyed.
func TestRotateMasterWhileServing(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: fastKeys})
		srv := testkit.Serve(t, a)
		team := a.CreateTeam(t, "north")
		a.CreateUser(t, "manager@x.example.com", domain.RoleSalesManager, team)
		tok := srv.LoginAs(t, "manager@x.example.com")
		mctx := a.ActAs(t, "manager@x.example.com")

		gen := demo.NewGenerator(11)
		// What a sales manager may write: no identity or financial fields.
		customer := func(i int) *domain.CustomerInput {
			in := gen.Customer(i)
			in.IDType, in.IDNumber, in.TaxID, in.BankAccount = "", "", "", ""
			return in
		}
		want := map[domain.ID]string{} // id → phone, as the manager sees it unmasked
		var mu sync.Mutex
		for i := range 400 {
			c, err := a.Records.CreateCustomer(mctx, customer(i))
			if err != nil {
				t.Fatal(err)
			}
			want[c.ID] = c.Phone
		}

		stop := make(chan struct{})
		var wg sync.WaitGroup
		var writes, reads atomic.Int64
		failures := make(chan string, 100)
		report := func(format string, args ...any) {
			select {
			case failures <- fmt.Sprintf(format, args...):
			default:
			}
		}
		// The readers read the customers created before the writers start;
		// take them before the writers add to want.
		ids := make([]domain.ID, 0, len(want))
		for id := range want {
			ids = append(ids, id)
		}
		for w := range 2 { // writers
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1000 + w; ; i += 2 {
					select {
					case <-stop:
						return
					default:
					}
					in := customer(i)
					r := srv.Do(t, "POST", "/api/v1/customers", tok, in)
					if r.Status != http.StatusCreated {
						report("create: %d %s", r.Status, r.Body)
						return
					}
					m := r.Map(t)
					mu.Lock()
					want[domain.ID(m["id"].(string))] = m["phone"].(string)
					mu.Unlock()
					writes.Add(1)
				}
			}()
		}
		for w := range 3 { // readers of unmasked personal data
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := ids[i%len(ids)]
					r := srv.Do(t, "GET", "/api/v1/customers/"+string(id), tok, nil)
					mu.Lock()
					phone := want[id]
					mu.Unlock()
					if r.Status != http.StatusOK || r.Map(t)["phone"] != phone {
						report("read %s: %d %s", id, r.Status, r.Body)
						return
					}
					reads.Add(1)
				}
			}()
		}

		sys := a.System()
		// First run: killed after three batches.
		ctx, cancel := context.WithCancel(sys)
		batches := 0
		_, err := a.Keys.RotateMaster(ctx, keylifecycle.RotateOptions{BatchSize: 40, Progress: func(phase domain.RotationPhase, done, total int64) {
			if phase == domain.PhaseRewrap && done > 0 {
				if batches++; batches == 3 {
					cancel()
				}
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted rotation: err = %v", err)
		}
		st, err := a.Keys.Status(sys)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.MasterRotation; r == nil || !r.FinishedAt.IsZero() || r.Done != 120 || r.Phase != domain.PhaseRewrap {
			t.Fatalf("interrupted rotation recorded as %+v", r)
		}
		if st.ActiveMaster != 2 || st.MasterKeys[0].State != domain.KeyRetiring || st.MasterKeys[0].DataKeys == 0 {
			t.Fatalf("after the interruption: active v%d, v1 %s wrapping %d", st.ActiveMaster, st.MasterKeys[0].State, st.MasterKeys[0].DataKeys)
		}
		time.Sleep(300 * time.Millisecond) // serving goes on meanwhile

		// Second run resumes and finishes.
		rot, err := a.Keys.RotateMaster(sys, keylifecycle.RotateOptions{BatchSize: 40})
		if err != nil {
			t.Fatalf("resumed rotation: %v", err)
		}
		if rot.From != 1 || rot.To != 2 || rot.Done < 400 {
			t.Fatalf("rotation = %+v", rot)
		}
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Error(f)
		}
		if writes.Load() == 0 || reads.Load() == 0 {
			t.Fatalf("the API was not exercised during the rotation (%d writes, %d reads)", writes.Load(), reads.Load())
		}
		t.Logf("%d creates and %d unmasked reads during the rotation", writes.Load(), reads.Load())

		st, err = a.Keys.Status(sys)
		if err != nil {
			t.Fatal(err)
		}
		v1, v2 := st.MasterKeys[0], st.MasterKeys[1]
		if v1.State != domain.KeyRetired || v1.DataKeys != 0 || v1.IndexKeys != 0 || v2.State != domain.KeyActive {
			t.Fatalf("after rotation: v1 %+v, v2 %+v", v1, v2)
		}
		if v2.DataKeys != int64(len(want)) {
			t.Fatalf("v2 wraps %d data keys, want %d (one per customer)", v2.DataKeys, len(want))
		}
		if st.ErasureTree.SealedUnder != 2 || st.MasterRotation.FinishedAt.IsZero() {
			t.Fatalf("erasure tree sealed under v%d; rotation %+v", st.ErasureTree.SealedUnder, st.MasterRotation)
		}

		// Destroy v1; a fresh process (empty key cache) still reads all.
		if err := a.Keys.DestroyMaster(sys, 1); err != nil {
			t.Fatal(err)
		}
		b := testkit.NewApp(t, d, testkit.AppOptions{Dir: a.Dir, DatabaseURL: a.DatabaseURL, Config: fastKeys})
		n := 0
		for id, phone := range want {
			c, err := b.Store.Customers.GetCustomer(context.Background(), id, nil)
			if err != nil || c.Phone != phone {
				t.Fatalf("customer %s after rotation: %v", id, err)
			}
			n++
		}
		if n != len(want) {
			t.Fatalf("%d customers, want %d", n, len(want))
		}
		page, err := b.Store.Customers.ListCustomers(context.Background(), domain.CustomerFilter{Limit: domain.MaxPageSize})
		if err != nil || len(page.Items) != domain.MaxPageSize {
			t.Fatalf("list after rotation: %d, %v", len(page.Items), err)
		}
	})
}

// TestTwoRotationsAtOnce shows that a second rotation is refused while
// one holds the lease, changing nothing.
func TestTwoRotationsAtOnce(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: fastKeys})
		seed(t, a, 0, 10)
		ctx := context.Background()
		if err := a.Store.Leases.AcquireLease(ctx, domain.LeaseKeyRotation, "elsewhere/1/abcd", time.Minute); err != nil {
			t.Fatal(err)
		}
		_, err := a.Keys.RotateMaster(a.System(), keylifecycle.RotateOptions{})
		if domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "another key rotation is running") {
			t.Fatalf("second rotation: %v", err)
		}
		if _, err := a.Keys.RotateIndex(a.System(), keylifecycle.RotateOptions{}); domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("index rotation during a rotation: %v", err)
		}
		mks, err := a.Store.MasterKeys.MasterKeys(ctx)
		if err != nil || len(mks) != 1 || mks[0].State != domain.KeyActive {
			t.Fatalf("master keys changed: %+v %v", mks, err)
		}
		if vs, _ := a.Keyring.Versions(ctx); len(vs) != 1 {
			t.Fatalf("provider versions changed: %v", vs)
		}
		// Two rotations started together: exactly one runs.
		if err := a.Store.Leases.ReleaseLease(ctx, domain.LeaseKeyRotation, "elsewhere/1/abcd"); err != nil {
			t.Fatal(err)
		}
		b := testkit.NewApp(t, d, testkit.AppOptions{Dir: a.Dir, DatabaseURL: a.DatabaseURL, Config: fastKeys})
		errs := make(chan error, 2)
		for _, x := range []*testkit.TestApp{a, b} {
			go func() {
				_, err := x.Keys.RotateMaster(x.System(), keylifecycle.RotateOptions{})
				errs <- err
			}()
		}
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("two concurrent rotations: %v / %v; want exactly one to run", e1, e2)
		}
		if mks, _ := a.Store.MasterKeys.MasterKeys(ctx); len(mks) != 2 {
			t.Fatalf("master keys after concurrent rotations: %+v", mks)
		}
	})
}

// TestRotationAuthorization checks only keys.manage may rotate, and
// only keys.manage or audit.read see key status.
func TestRotationAuthorization(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: fastKeys})
	a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
	a.CreateUser(t, "auditor@x.example.com", domain.RoleAuditor, "")
	aud := a.ActAs(t, "auditor@x.example.com")
	if _, err := a.Keys.Status(aud); err != nil {
		t.Fatalf("status as auditor: %v", err)
	}
	if _, err := a.Keys.RotateMaster(aud, keylifecycle.RotateOptions{}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("rotate as auditor: %v", err)
	}
	ctx := a.ActAs(t, "mgr@x.example.com")
	if _, err := a.Keys.RotateMaster(ctx, keylifecycle.RotateOptions{}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("rotate as sales manager: %v", err)
	}
	if _, err := a.Keys.Status(ctx); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("status as sales manager: %v", err)
	}
	if err := a.Keys.DestroyMaster(context.Background(), 1); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("destroy anonymously: %v", err)
	}
	if _, err := a.Keys.Status(a.ActAs(t, testkit.AdminEmail)); err != nil {
		t.Fatalf("status as admin: %v", err)
	}
}

// TestDestroyedVersion shows a key wrapped under a retired-and-destroyed
// master key version (a row restored from an old backup) gives a clear
// error and changes nothing, and that destroy refuses what it must.
func TestDestroyedVersion(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: fastKeys})
		want := seed(t, a, 0, 20)
		sys := a.System()
		if err := a.Keys.DestroyMaster(sys, 1); domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "only a retired version") {
			t.Fatalf("destroying the active version: %v", err)
		}
		if err := a.Keys.DestroyMaster(sys, 7); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("destroying a missing version: %v", err)
		}
		var victim domain.ID
		for id := range want {
			victim = id
			break
		}
		old, err := testkit.DataKeyOf(a, victim)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Keys.RotateMaster(sys, keylifecycle.RotateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := a.Keys.DestroyMaster(sys, 1); err != nil {
			t.Fatal(err)
		}
		if err := a.Keys.DestroyMaster(sys, 1); domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("destroying twice: %v", err)
		}
		// Put the pre-rotation wrapped key back, as restoring a row from a
		// backup older than the rotation would.
		if err := testkit.SetDataKey(a, old); err != nil {
			t.Fatal(err)
		}
		a.Vault.Forget(old.ID)
		_, err = a.Store.Customers.GetCustomer(context.Background(), victim, nil)
		if err == nil || !strings.Contains(err.Error(), "master key version not held by the provider") || !strings.Contains(err.Error(), "v1") {
			t.Fatalf("reading a key wrapped under a destroyed version: %v", err)
		}
		delete(want, victim)
		checkAll(t, a, want)
		// A rotation cannot rewrap it either, and says which key.
		_, err = a.Keys.RotateMaster(sys, keylifecycle.RotateOptions{})
		if err == nil || !strings.Contains(err.Error(), string(old.ID)) {
			t.Fatalf("rotation over a key under a destroyed version: %v", err)
		}
	})
}
