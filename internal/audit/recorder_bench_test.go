package audit_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/testkit"
)

// BenchmarkRecorderAppend measures the request path's share of auditing:
// one op is one Record call that returns once its event is durable in the
// SQLite database (synchronous=FULL), with 32 callers per core in flight so the
// recorder group-commits them. It reports how many events shared each
// transaction.
//
//	go test -run '^$' -bench BenchmarkRecorderAppend ./internal/audit/
func BenchmarkRecorderAppend(b *testing.B) {
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	rec := audit.NewRecorder(a.Store.AuditLog, testkit.Logger(b), 2)
	defer rec.Close()
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32) // 32 × GOMAXPROCS callers
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := rec.Record(ctx, readEvent(a, int(n.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := rec.Stats()
	if st.Events != n.Load() {
		b.Fatalf("recorded %d events, appended %d", n.Load(), st.Events)
	}
	if st.Batches > 0 {
		b.ReportMetric(float64(st.Events)/float64(st.Batches), "events/commit")
	}
}
