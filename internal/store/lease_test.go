package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// The sequencer lease does not depend on a free pool connection: with
// every connection busy (as database/sql keeps them checked out under
// load), a node still becomes the sequencer, and a second node is told
// the lease is taken rather than left waiting.
func TestSequencerLeaseWithTheConnectionPoolBusy(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		st := testkit.OpenStore(t, a)
		other := testkit.OpenStore(t, a)
		store.HoldPoolConnections(t, st)
		store.HoldPoolConnections(t, other)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l, err := st.AuditLog.TrySequencerLease(ctx)
		if err != nil || l == nil {
			t.Fatalf("lease with the pool busy: %v %v", l, err)
		}
		defer l.Release()
		if d == testkit.Postgres {
			l2, err := other.AuditLog.TrySequencerLease(ctx)
			if err != nil || l2 != nil {
				t.Fatalf("a second node while the lease is held: %v %v", l2, err)
			}
		}
	})
}
