package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

// Blind-index rows written before identifier uniqueness moved into the
// primary key keep working: identifiers stay unique, name tokens stay
// shared, and every row keeps its customer.
func TestMigrationMovesIdentifierUniquenessIntoTheKey(t *testing.T) {
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
		exec := func(q string, args ...any) error {
			_, err := db.ExecContext(ctx, q, args...)
			return err
		}
		const before = 6 // the last migration with the separate unique index
		if err := exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		for _, m := range ms[:before] {
			if err := exec(m.SQL); err != nil {
				t.Fatalf("migration %d: %v", m.Version, err)
			}
			if err := exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, m.Version, m.Name); err != nil {
				t.Fatal(err)
			}
		}
		phone := []byte("phone-hash-16-by")
		token := []byte{0xab, 0xcd}
		for _, id := range []string{"cus_a", "cus_b"} {
			if err := exec(`INSERT INTO data_keys (id, kek_version, created_at) VALUES ($1, 1, 0)`, "dek_"+id); err != nil {
				t.Fatal(err)
			}
			if err := exec(`INSERT INTO customers (id, kind, dek_id, status, created_at, updated_at, version) VALUES ($1, 'person', $2, 'lead', 0, 0, 1)`, id, "dek_"+id); err != nil {
				t.Fatal(err)
			}
			if err := exec(`INSERT INTO blind_index (field, key_version, hash, customer_id) VALUES (5, 1, $1, $2)`, token, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := exec(`INSERT INTO blind_index (field, key_version, hash, customer_id) VALUES (1, 1, $1, 'cus_a')`, phone); err != nil {
			t.Fatal(err)
		}

		st, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if v, err := st.SchemaVersion(ctx); err != nil || v != ms[len(ms)-1].Version {
			t.Fatalf("schema version %d, %v", v, err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM blind_index WHERE field = 5 AND hash = $1 AND tiebreak = customer_id`, token).Scan(&n); err != nil || n != 2 {
			t.Fatalf("name token rows after migration: %d, %v", n, err)
		}
		var owner, tiebreak string
		if err := db.QueryRowContext(ctx, `SELECT customer_id, tiebreak FROM blind_index WHERE field = 1 AND hash = $1`, phone).Scan(&owner, &tiebreak); err != nil || owner != "cus_a" || tiebreak != "" {
			t.Fatalf("phone row after migration: %q %q %v", owner, tiebreak, err)
		}
		// The primary key refuses a second holder of the same phone.
		if err := exec(`INSERT INTO blind_index (field, key_version, hash, tiebreak, customer_id) VALUES (1, 1, $1, '', 'cus_b')`, phone); err == nil {
			t.Fatal("a second customer took the same phone hash")
		}
		// Deleting a customer still removes its rows.
		if err := exec(`DELETE FROM blind_index WHERE customer_id = 'cus_a'`); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM blind_index`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows left: %d, %v", n, err)
		}
	})
}
