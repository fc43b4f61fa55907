package store_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// seeded returns an app with n demo customers and their ids.
func seeded(b *testing.B, n int) (*testkit.TestApp, []domain.ID, []*domain.CustomerInput) {
	b.Helper()
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	ctx := a.System()
	g := demo.NewGenerator(5)
	ids := make([]domain.ID, n)
	ins := make([]*domain.CustomerInput, n)
	errs := make(chan error, 64)
	sem := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		ins[i] = g.Customer(i)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem }()
			c, err := a.Records.CreateCustomer(ctx, ins[i])
			if err != nil {
				errs <- err
				return
			}
			ids[i] = c.ID
		}(i)
	}
	for i := 0; i < cap(sem); i++ {
		sem <- struct{}{}
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return a, ids, ins
}

func BenchmarkStoreGetCustomer(b *testing.B) {
	a, ids, _ := seeded(b, 2000)
	ctx := context.Background()
	cpu := testkit.StartCPU(b)
	defer cpu.Stop()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := a.Store.Customers.GetCustomer(ctx, ids[i%len(ids)], nil); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}

func BenchmarkStoreFindByPhone(b *testing.B) {
	a, _, ins := seeded(b, 2000)
	ctx := context.Background()
	cpu := testkit.StartCPU(b)
	defer cpu.Stop()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			p, _ := domain.NormalizePhone("phone", ins[i%len(ins)].Phone, "CN")
			got, err := a.Store.Customers.FindCustomers(ctx, domain.LookupPhone, p, domain.RecordScope{})
			if err != nil || len(got) != 1 {
				b.Fatalf("%d results, %v", len(got), err)
			}
			i += 7
		}
	})
}

func BenchmarkStoreListPage(b *testing.B) {
	a, ids, _ := seeded(b, 2000)
	ctx := context.Background()
	cpu := testkit.StartCPU(b)
	defer cpu.Stop()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := a.Store.Customers.ListCustomers(ctx, domain.CustomerFilter{Limit: 50, Cursor: ids[i%len(ids)]}); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}

func BenchmarkStoreCreateCustomer(b *testing.B) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	ctx := a.System()
	g := demo.NewGenerator(9)
	var next atomic.Int64
	b.SetParallelism(16) // like concurrent requests: the writer batches them
	cpu := testkit.StartCPU(b)
	defer cpu.Stop()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := g.Customer(int(next.Add(1)))
			in.OwnerID = ""
			if _, err := a.Records.CreateCustomer(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreSearch measures partial searches of a page of 20 among
// 5,000 customers, the last digits of a phone and a bigram of a name.
func BenchmarkStoreSearch(b *testing.B) {
	a, _, ins := seeded(b, 5000)
	ctx := context.Background()
	for _, kind := range []string{"suffix", "bigram"} {
		b.Run(kind, func(b *testing.B) {
			i := 0
			for b.Loop() {
				in := ins[i%len(ins)]
				i++
				q := in.Phone[len(in.Phone)-4:]
				if kind == "bigram" {
					r := []rune(in.Name)
					if len(r) < 2 {
						continue
					}
					q = string(r[:2])
				}
				s, err := domain.ParseSearch("q", q)
				if err != nil || s == nil {
					continue
				}
				if _, err := a.Store.Customers.ListCustomers(ctx, domain.CustomerFilter{Search: s, Limit: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
