package testkit

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for raw PostgreSQL connections
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3" for raw SQLite connections
)

// RawDB is a direct connection to a test app's database, beneath the
// store, for tests that check what is really stored (or tamper with it).
// Queries use ? placeholders on both dialects.
type RawDB struct {
	db       *sql.DB
	postgres bool
}

// Raw opens a raw connection to the app's database, closed when the test
// ends.
func (a *TestApp) Raw(t testing.TB) *RawDB {
	t.Helper()
	var db *sql.DB
	var err error
	if a.DatabaseURL != "" {
		db, err = sql.Open("pgx", a.DatabaseURL)
	} else {
		db, err = sql.Open("sqlite3", "file:"+a.Config.SQLitePath()+"?_busy_timeout=10000&_foreign_keys=1")
	}
	if err != nil {
		t.Fatalf("open raw database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &RawDB{db: db, postgres: a.DatabaseURL != ""}
}

func (r *RawDB) rebind(q string) string {
	if !r.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Int runs a query returning one integer (a COUNT) and returns it.
func (r *RawDB) Int(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.db.QueryRow(r.rebind(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Row runs a one-row query and scans it into dest.
func (r *RawDB) Row(t testing.TB, query string, args []any, dest ...any) {
	t.Helper()
	if err := r.db.QueryRow(r.rebind(query), args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Exec runs a statement.
func (r *RawDB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := r.db.Exec(r.rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
