package audit_test

import (
	"context"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// BenchmarkIntegrate measures the sequencer: one op integrates one event
// (leaf and tree hashes, move into the log, stored hashes) on SQLite.
//
//	go test -run '^$' -bench BenchmarkIntegrate -benchtime 20000x ./internal/audit/
func BenchmarkIntegrate(b *testing.B) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	ctx := context.Background()
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil { // the events of setting up
		b.Fatal(err)
	}
	evs := make([]*domain.AuditEvent, 0, 1000)
	for i := 0; i < b.N; i++ {
		evs = append(evs, readEvent(a, i))
		if len(evs) == cap(evs) || i == b.N-1 {
			if err := a.Store.AuditLog.AppendAudit(ctx, evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	b.ResetTimer()
	n, err := a.AuditSequencer.Integrate(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n != int64(b.N) {
		b.Fatalf("integrated %d of %d events", n, b.N)
	}
}
