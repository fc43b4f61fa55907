package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// Events recorded before the audit log became a Merkle log are kept:
// migration 0002 queues them, in their old order, for the sequencer.
func TestMigrationKeepsEarlierAuditEvents(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		ctx := context.Background()
		opts := store.Options{}
		var db *sql.DB
		var err error
		dialect := store.SQLite
		if d == testkit.Postgres {
			dialect = store.Postgres
			opts.DatabaseURL = testkit.PostgresURL(t)
			db, err = sql.Open("pgx", opts.DatabaseURL)
		} else {
			opts.SQLitePath = filepath.Join(t.TempDir(), "custos.db")
			db, err = sql.Open("sqlite3", "file:"+opts.SQLitePath)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ms, err := store.Migrations(dialect)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
			ms[0].SQL,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'core', 0)`,
			`INSERT INTO audit_events (time, action, outcome, target_id) VALUES (10, 'customer.read', 'allowed', 'first')`,
			`INSERT INTO audit_events (time, action, outcome, target_id) VALUES (5, 'customer.read', 'allowed', 'second')`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%.60s: %v", q, err)
			}
		}
		st, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if v, err := st.SchemaVersion(ctx); err != nil || v != ms[len(ms)-1].Version {
			t.Fatalf("schema version %d, %v", v, err)
		}
		tree, err := st.AuditLog.AuditTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pend, err := st.AuditLog.PendingAudit(ctx, tree.QueueCursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pend) != 2 || pend[0].Event.TargetID != "first" || pend[1].Event.TargetID != "second" || pend[0].Queued {
			t.Fatalf("pending after migration: %+v", pend)
		}
	})
}
