package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/cli"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// BenchmarkAuditVerifyMillion times 'custos audit verify' over a log of
// 1,000,000 events (CUSTOS_BENCH_AUDIT_EVENTS overrides the count). The
// log is built directly through the store in large batches, integrated
// and signed before the timer starts; one op is one full verification.
//
//	go test -run '^$' -bench BenchmarkAuditVerifyMillion -benchtime 1x -timeout 60m ./internal/cli/
func BenchmarkAuditVerifyMillion(b *testing.B) {
	total := 1_000_000
	if v := os.Getenv("CUSTOS_BENCH_AUDIT_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("CUSTOS_BENCH_AUDIT_EVENTS=%q", v)
		}
		total = n
	}
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) { c.SQLiteSynchronous = "NORMAL" }})
	ctx := context.Background()
	start := time.Now()
	users := make([]domain.ID, 50)
	for i := range users {
		users[i] = domain.NewID(domain.KindUser)
	}
	const batch = 10_000
	t0 := time.Unix(1_780_000_000, 0)
	evs := make([]*domain.AuditEvent, 0, batch)
	for i := 0; i < total; i++ {
		u := users[i%len(users)]
		evs = append(evs, &domain.AuditEvent{
			Time: t0.Add(time.Duration(i) * time.Millisecond), ActorUser: u, ActorSession: domain.ID("ses_" + string(u[4:])),
			SourceIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), UserAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
			RequestID: fmt.Sprintf("req_%016x", i), Action: domain.ActionCustomerRead, TargetType: "customer",
			TargetID: fmt.Sprintf("cus_%026d", i%100_000), Fields: []string{"name", "phone", "email"}, Outcome: domain.OutcomeAllowed,
		})
		if len(evs) == batch || i == total-1 {
			if err := a.Store.AuditLog.AppendAudit(ctx, evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	appended := time.Since(start)
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := a.AuditSequencer.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a log of %d events: appended in %s, integrated in %s", total, appended.Round(time.Millisecond), (time.Since(start) - appended).Round(time.Millisecond))
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
	args := []string{"audit", "verify", "--data", a.Dir, "--log-level", "error"}
	b.ResetTimer()
	for b.Loop() {
		var out bytes.Buffer
		code := cli.Main(ctx, &cli.Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, args)
		if code != 0 {
			b.Fatalf("verify exited %d: %s", code, out.String())
		}
	}
	b.ReportMetric(float64(total), "events")
}
