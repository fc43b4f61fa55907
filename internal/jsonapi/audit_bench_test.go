package jsonapi_test

import (
	"context"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jsonapi"
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
// is the same build with the auditor replaced by a no-op, only here. Each
// keeps 64 requests in flight over one HTTP/2 connection, enough to
// saturate both on two cores. Both servers are built first and measured
// in alternating rounds, so load from elsewhere on the machine falls on
// both alike; each audited round ends by integrating what is still
// pending, inside the timer. Besides req/s it reports the process's CPU
// time per request (server, client, recorder and sequencer together).
//
//	go test -run '^$' -bench BenchmarkCustomerRead -benchtime 5s ./internal/jsonapi/
func BenchmarkCustomerRead(b *testing.B) {
	audited := newReadBench(b, true)
	stubbed := newReadBench(b, false)
	for range 6 {
		b.Run("audited", audited.run)
		b.Run("stubbed", stubbed.run)
	}
}

type readBench struct {
	a       *testkit.TestApp
	s       *testkit.Server
	tok     string
	ids     []string
	audited bool
	user    domain.ID
}

func newReadBench(b *testing.B, audited bool) *readBench {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) {
		c.SQLiteSynchronous = "FULL"
		c.AuditSequenceInterval = config.Defaults().AuditSequenceInterval
		c.AuditCheckpointInterval = config.Defaults().AuditCheckpointInterval
	}})
	if !audited {
		a.API = jsonapi.New(jsonapi.Services{Records: a.RecordsWithAuditor(nopAuditor{}), Identity: a.Identity,
			Audit: a.AuditService, Pool: a.Pool, Inbox: a.Inbox}, a.Log, jsonapi.Options{MaxUploadBytes: a.Config.MaxImportBytes})
	}
	if err := a.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	rep := a.CreateUser(b, "rep@bench.example.com", domain.RoleSalesRep, "")
	gen := demo.NewGenerator(1)
	rb := &readBench{a: a, audited: audited, user: rep.ID}
	for i := 0; i < 200; i++ {
		in := gen.Customer(i)
		in.OwnerID = rep.ID
		c, err := a.Records.CreateCustomer(a.System(), in)
		if err != nil {
			b.Fatal(err)
		}
		rb.ids = append(rb.ids, string(c.ID))
	}
	rb.s = testkit.Serve(b, a)
	rb.tok = rb.s.LoginAs(b, "rep@bench.example.com")
	return rb
}

func (rb *readBench) run(b *testing.B) {
	b.SetParallelism(32)
	stats0 := rb.a.Audit.Stats()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req, _ := http.NewRequestWithContext(context.Background(), "GET", rb.s.URL+"/api/v1/customers/"+rb.ids[i%len(rb.ids)], nil)
			req.Header.Set("Authorization", "Bearer "+rb.tok)
			i++
			resp, err := rb.s.Client.Do(req)
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
	if rb.audited {
		if _, err := rb.a.AuditSequencer.Integrate(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if rb.audited {
		st := rb.a.Audit.Stats()
		b.ReportMetric(float64(st.Events-stats0.Events)/float64(max(1, st.Batches-stats0.Batches)), "events/commit")
	}
	// CPU time of the whole process (server, client, recorder, sequencer)
	// per request: steadier than req/s when other work shares the cores.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if rb.audited {
		evs, err := rb.a.Store.AuditLog.ListAudit(context.Background(), domain.AuditFilter{ActorUser: string(rb.user), Action: domain.ActionCustomerRead, Limit: 1})
		if err != nil || len(evs) == 0 {
			b.Fatalf("no customer.read events recorded: %v", err)
		}
	}
}

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
