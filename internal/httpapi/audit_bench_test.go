package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/crm"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/httpapi"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// nopAuditor drops every event: it exists only in this benchmark, to
// measure what auditing costs.
type nopAuditor struct{}

func (nopAuditor) Record(context.Context, *domain.AuditEvent) error { return nil }

// BenchmarkCustomerRead serves GET /api/v1/customers/{id} over HTTPS
// through the real handler stack to a sales rep who sees contact data
// unmasked, so every request records a customer.read event. "audited"
// uses the real group-committing recorder with the sequencer integrating
// in the background (SQLite, synchronous=FULL, the defaults); "stubbed"
// is the same build with the auditor replaced by a no-op, only here.
//
//	go test -run '^$' -bench BenchmarkCustomerRead -benchtime 20s -count 3 ./internal/httpapi/
func BenchmarkCustomerRead(b *testing.B) {
	b.Run("audited", func(b *testing.B) { benchCustomerRead(b, true) })
	b.Run("stubbed", func(b *testing.B) { benchCustomerRead(b, false) })
}

func benchCustomerRead(b *testing.B, audited bool) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) {
		c.SQLiteSynchronous = "FULL"
		c.AuditSequenceInterval = config.Defaults().AuditSequenceInterval
		c.AuditCheckpointInterval = config.Defaults().AuditCheckpointInterval
	}})
	if !audited {
		a.API = httpapi.New(crm.New(a.Store, nopAuditor{}, nil, a.Log), a.Identity, a.Log)
	}
	if err := a.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	rep := a.CreateUser(b, "rep@bench.example.com", domain.RoleSalesRep, "")
	gen := demo.NewGenerator(1)
	var ids []string
	for i := 0; i < 200; i++ {
		in := gen.Customer(i)
		in.OwnerID = rep.ID
		c, err := a.CRM.CreateCustomer(a.System(), in)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, string(c.ID))
	}
	s := testkit.Serve(b, a)
	tok := s.LoginAs(b, "rep@bench.example.com")
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req, _ := http.NewRequest("GET", s.URL+"/api/v1/customers/"+ids[i%len(ids)], nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			i++
			resp, err := s.Client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if audited {
		evs, err := a.Store.ListAudit(context.Background(), storeFilterReads(rep.ID))
		if err != nil || len(evs) == 0 {
			b.Fatalf("no customer.read events recorded: %v", err)
		}
	}
}

func storeFilterReads(user domain.ID) store.AuditFilter {
	return store.AuditFilter{ActorUser: string(user), Action: domain.ActionCustomerRead, Limit: 1}
}
