package testkit

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for raw access
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" driver for raw access
)

// Raw is a direct database connection that bypasses Custos, for tests
// that inspect or tamper with what is stored. Queries use ? placeholders.
type Raw struct {
	DB       *sql.DB
	postgres bool
}

// RawDB opens a raw connection to a's database.
func RawDB(t testing.TB, a *TestApp) *Raw {
	t.Helper()
	var db *sql.DB
	var err error
	pg := a.DatabaseURL != ""
	if pg {
		base, schema := splitSchema(t, a.DatabaseURL)
		db, err = sql.Open("pgx", base)
		if err == nil {
			db.SetMaxOpenConns(1)
			_, err = db.ExecContext(context.Background(), "SET search_path TO "+schema)
		}
	} else {
		db, err = sql.Open("sqlite3", "file:"+a.Config.SQLitePath()+"?_busy_timeout=10000")
	}
	if err != nil {
		t.Fatalf("raw db: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &Raw{DB: db, postgres: pg}
}

func (r *Raw) rebind(q string) string {
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

// Exec runs a statement, failing the test on error.
func (r *Raw) Exec(t testing.TB, q string, args ...any) sql.Result {
	t.Helper()
	res, err := r.DB.ExecContext(context.Background(), r.rebind(q), args...)
	if err != nil {
		t.Fatalf("raw exec %q: %v", q, err)
	}
	return res
}

// QueryRow runs a single-row query.
func (r *Raw) QueryRow(q string, args ...any) *sql.Row {
	return r.DB.QueryRowContext(context.Background(), r.rebind(q), args...)
}

// Query runs a query.
func (r *Raw) Query(q string, args ...any) (*sql.Rows, error) {
	return r.DB.QueryContext(context.Background(), r.rebind(q), args...)
}

// Int returns the single integer a query yields.
func (r *Raw) Int(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := r.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("raw query %q: %v", q, err)
	}
	return n
}

func splitSchema(t testing.TB, raw string) (base, schema string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// StoredBytes returns everything the database holds for a, as an attacker
// with the disk or a dump would see it: for SQLite the database file and
// its WAL, for PostgreSQL the output of pg_dump for a's schema.
func StoredBytes(t testing.TB, a *TestApp) []byte {
	t.Helper()
	if a.DatabaseURL == "" {
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(a.Config.SQLitePath() + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	base, schema := splitSchema(t, a.DatabaseURL)
	out, err := exec.CommandContext(context.Background(), pgDump(t), "--no-owner", "--schema="+schema, "--dbname="+base).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

func pgDump(t testing.TB) string {
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	t.Fatal("pg_dump not found (install postgresql-client)")
	return ""
}
