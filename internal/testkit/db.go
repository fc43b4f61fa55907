// Package testkit helps tests build a real Custos: a throwaway SQLite file
// or PostgreSQL schema, an assembled app, and an HTTPS server with a
// client that trusts its certificate. It is imported only by tests.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Dialect names a database the suite runs against.
type Dialect string

// Dialects under test.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// PostgresURLEnv names the environment variable holding the URL of the
// throwaway PostgreSQL cluster the test command starts.
const PostgresURLEnv = "CUSTOS_TEST_DATABASE_URL"

// Dialects returns the dialects to run: SQLite always, PostgreSQL when
// the test command started a cluster. Under CI=true a missing PostgreSQL
// fails the test instead of skipping it.
func Dialects(t testing.TB) []Dialect {
	t.Helper()
	if os.Getenv(PostgresURLEnv) != "" {
		return []Dialect{SQLite, Postgres}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: PostgreSQL is required under CI=true (run the tests through make test)", PostgresURLEnv)
	}
	t.Logf("%s not set: running SQLite only (make test starts PostgreSQL)", PostgresURLEnv)
	return []Dialect{SQLite}
}

// ForEachDialect runs fn as a subtest per dialect.
func ForEachDialect(t *testing.T, fn func(t *testing.T, d Dialect)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// PostgresURL creates a fresh schema in the test cluster and returns a URL
// whose connections use it; the schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		t.Fatalf("%s is not set", PostgresURLEnv)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
