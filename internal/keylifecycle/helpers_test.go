package keylifecycle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// fastKeys makes processes follow key changes quickly so rotations'
// grace periods stay short in tests.
func fastKeys(c *config.Config) { c.KeyRefresh = 100 * time.Millisecond }

// seed creates n demo customers through the service (in parallel) and
// returns what each must decrypt to, by id.
func seed(t testing.TB, a *testkit.TestApp, from, n int) map[domain.ID]*domain.Customer {
	t.Helper()
	g := demo.NewGenerator(7)
	var mu sync.Mutex
	out := make(map[domain.ID]*domain.Customer, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := from + w; i < from+n; i += 8 {
				c, err := a.Records.CreateCustomer(a.System(), g.Customer(i))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				out[c.ID] = c
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("seed: %v", err)
	}
	return out
}

// checkAll asserts every expected customer decrypts to what was stored.
func checkAll(t testing.TB, a *testkit.TestApp, want map[domain.ID]*domain.Customer) {
	t.Helper()
	ctx := context.Background()
	for id, w := range want {
		got, err := a.Store.Customers.GetCustomer(ctx, id, nil)
		if err != nil {
			t.Fatalf("customer %s: %v", id, err)
		}
		if got.Erased || got.Phone != w.Phone || got.Email != w.Email || got.Name != w.Name || got.IDNumber != w.IDNumber {
			t.Fatalf("customer %s does not decrypt to what was stored", id)
		}
	}
}
