package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// Records stored before versions and check-out notes came in keep their
// data: every record starts at version 1, and a visit's notes stay its
// planning notes (the sealed bytes untouched, still bound to the same
// field), with no outcome notes.
func TestMigrationKeepsVisitNotesAsPlanningNotes(t *testing.T) {
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
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		const before = 11 // the schema before versions and check-out notes
		exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
		for _, m := range ms[:before] {
			exec(m.SQL)
			exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, m.Version, m.Name)
		}
		notes := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}
		exec(`INSERT INTO users (id, email, display_name, role, status, password_hash, created_at, updated_at)
			VALUES ('usr_a', 'a@x.example.com', 'A', 'sales_rep', 'active', '', 0, 0)`)
		exec(`INSERT INTO data_keys (id, kek_version, created_at) VALUES ('dek_a', 1, 0)`)
		exec(`INSERT INTO customers (id, kind, dek_id, status, created_at, updated_at, version) VALUES ('cus_a', 'company', 'dek_a', 'lead', 0, 0, 4)`)
		exec(`INSERT INTO visits (id, customer_id, rep_id, planned_at, status, notes_sealed, created_at, updated_at)
			VALUES ('vis_a', 'cus_a', 'usr_a', 0, 'completed', $1, 0, 0)`, notes)
		exec(`INSERT INTO contacts (id, customer_id, created_at, updated_at) VALUES ('con_a', 'cus_a', 0, 0)`)
		exec(`INSERT INTO deals (id, customer_id, title, amount_minor, currency, stage, created_at, updated_at)
			VALUES ('dea_a', 'cus_a', 'D', 0, 'CNY', 'won', 0, 0)`)
		exec(`INSERT INTO notes (id, customer_id, created_at, updated_at) VALUES ('not_a', 'cus_a', 0, 0)`)
		exec(`INSERT INTO tasks (id, customer_id, status, created_at, updated_at) VALUES ('tsk_a', 'cus_a', 'open', 0, 0)`)
		exec(`INSERT INTO imports (id, state, heartbeat_at, started_at) VALUES ('imp_a', 'done', 0, 0)`)

		st, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if v, err := st.SchemaVersion(ctx); err != nil || v != len(ms) {
			t.Fatalf("schema version %d, %v", v, err)
		}
		var planning, outcome []byte
		var version int
		if err := db.QueryRowContext(ctx, `SELECT notes_sealed, checkout_notes_sealed, version FROM visits WHERE id = 'vis_a'`).
			Scan(&planning, &outcome, &version); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(planning, notes) || outcome != nil || version != 1 {
			t.Fatalf("visit after migration: notes %x, check-out notes %x, version %d", planning, outcome, version)
		}
		for _, table := range []string{"contacts", "deals", "notes", "tasks"} {
			if err := db.QueryRowContext(ctx, `SELECT version FROM `+table).Scan(&version); err != nil || version != 1 {
				t.Fatalf("%s: version %d, %v", table, version, err)
			}
		}
		if err := db.QueryRowContext(ctx, `SELECT version FROM customers`).Scan(&version); err != nil || version != 4 {
			t.Fatalf("customer version %d, %v", version, err)
		}
		var kind, phase string
		if err := db.QueryRowContext(ctx, `SELECT kind, phase FROM imports`).Scan(&kind, &phase); err != nil || kind != "customers" || phase != "write" {
			t.Fatalf("earlier import: %q %q %v", kind, phase, err)
		}
	})
}
