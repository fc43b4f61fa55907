package testkit

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" driver

	"github.com/custoscrm/custos/internal/store"
)

// TamperDB is the app's database opened directly, bypassing Custos: tests
// use it to tamper with stored data the way an attacker with database
// access would, then check that Custos notices.
type TamperDB struct {
	DB       *sql.DB
	postgres bool
}

// OpenRawDB opens a's database directly; it is closed when the test ends.
func OpenRawDB(t testing.TB, a *TestApp) *TamperDB {
	t.Helper()
	var db *sql.DB
	var err error
	r := &TamperDB{postgres: a.DatabaseURL != ""}
	if r.postgres {
		db, err = sql.Open("pgx", a.DatabaseURL)
	} else {
		db, err = sql.Open("sqlite3", "file:"+a.Config.SQLitePath()+"?_busy_timeout=10000")
	}
	if err != nil {
		t.Fatalf("open raw database: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	r.DB = db
	return r
}

// rebind turns ? placeholders into $n for PostgreSQL.
func (r *TamperDB) rebind(q string) string {
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

// Exec runs a statement (? placeholders), failing the test on error, and
// returns the rows affected.
func (r *TamperDB) Exec(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	res, err := r.DB.ExecContext(context.Background(), r.rebind(query), args...)
	if err != nil {
		t.Fatalf("raw exec %q: %v", query, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// QueryRow runs a single-row query (? placeholders).
func (r *TamperDB) QueryRow(query string, args ...any) *sql.Row {
	return r.DB.QueryRowContext(context.Background(), r.rebind(query), args...)
}

// Query runs a query (? placeholders).
func (r *TamperDB) Query(query string, args ...any) (*sql.Rows, error) {
	return r.DB.QueryContext(context.Background(), r.rebind(query), args...)
}

// OpenRawAuditQueue opens a SQLite app's audit queue file directly (see
// store.AuditQueuePath); it is closed when the test ends.
func OpenRawAuditQueue(t testing.TB, a *TestApp) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+store.AuditQueuePath(a.Config.SQLitePath())+"?_busy_timeout=10000")
	if err != nil {
		t.Fatalf("open raw audit queue: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// AuditQueuePath is the file of a's SQLite audit queue.
func AuditQueuePath(a *TestApp) string { return store.AuditQueuePath(a.Config.SQLitePath()) }
