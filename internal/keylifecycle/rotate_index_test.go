package keylifecycle_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestRotateIndexOnline rotates the blind-index key while lookups by
// phone keep running and new customers keep arriving, interrupting the
// rebuild once; afterwards every customer is found under the new key and
// the old key and its entries are gone.
func TestRotateIndexOnline(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: fastKeys})
		want := seed(t, a, 0, 200)
		var mu sync.Mutex
		ctx := context.Background()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var lookups atomic.Int64
		errs := make(chan error, 10)
		wg.Add(2)
		go func() { // searches keep working
			defer wg.Done()
			for {
				mu.Lock()
				var c *domain.Customer
				for _, c = range want {
					break
				}
				mu.Unlock()
				select {
				case <-stop:
					return
				default:
				}
				found, err := a.Store.Customers.FindCustomers(ctx, domain.LookupPhone, c.Phone, domain.RecordScope{})
				if err != nil || len(found) != 1 || found[0].ID != c.ID {
					errs <- errors.New("a lookup by phone failed during the index rotation")
					return
				}
				lookups.Add(1)
			}
		}()
		go func() { // writers keep writing
			defer wg.Done()
			for i := 1000; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := seed(t, a, i*1, 1)
				mu.Lock()
				for k, v := range m {
					want[k] = v
				}
				mu.Unlock()
			}
		}()

		sys := a.System()
		cctx, cancel := context.WithCancel(sys)
		_, err := a.Keys.RotateIndex(cctx, keylifecycle.RotateOptions{BatchSize: 25, Progress: func(phase domain.RotationPhase, done, total int64) {
			if phase == domain.PhaseBuild && done >= 50 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted index rotation: %v", err)
		}
		rot, err := a.Keys.RotateIndex(sys, keylifecycle.RotateOptions{BatchSize: 25})
		if err != nil {
			t.Fatalf("resumed index rotation: %v", err)
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if lookups.Load() == 0 {
			t.Fatal("no lookups ran during the rotation")
		}
		if rot.From != 1 || rot.To != 2 {
			t.Fatalf("rotation %+v", rot)
		}
		st, err := a.Keys.Status(sys)
		if err != nil {
			t.Fatal(err)
		}
		if st.ActiveIndex != 2 || st.IndexKeys[0].State != domain.KeyDestroyed || st.IndexRotation.FinishedAt.IsZero() {
			t.Fatalf("index keys after rotation: %+v", st.IndexKeys)
		}
		// Every customer is found under the new key, by a fresh process too.
		b := testkit.Reopen(t, a)
		for _, x := range []*testkit.TestApp{a, b} {
			for id, c := range want {
				found, err := x.Store.Customers.FindCustomers(ctx, domain.LookupPhone, c.Phone, domain.RecordScope{})
				if err != nil || len(found) != 1 || found[0].ID != id {
					t.Fatalf("customer %s not found by phone after the index rotation: %v", id, err)
				}
			}
		}
		// Partial-search tokens are rebuilt under the new key too.
		n := 0
		for id, c := range want {
			if n++; n > 40 {
				break
			}
			if c.Phone != "" && !search(t, b, c.Phone[len(c.Phone)-6:], id) {
				t.Fatalf("customer %s not found by the end of its phone after the index rotation", id)
			}
			if w := strings.Fields(c.Name); len(w) > 0 && !search(t, b, w[0], id) {
				t.Fatalf("customer %s not found by its name after the index rotation", id)
			}
		}
		if n, err := a.Store.IndexKeys.DeleteIndexEntries(ctx, 1, 10); err != nil || n != 0 {
			t.Fatalf("%d entries of the old index key left: %v", n, err)
		}
	})
}
