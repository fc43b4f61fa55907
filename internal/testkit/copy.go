package testkit

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver, for VACUUM INTO

	"github.com/custoscrm/custos/internal/config"
)

// OpenCopy copies a's database as a backup would (SQLite: VACUUM INTO a
// new file; PostgreSQL: every table into a new schema) and opens the copy
// with a's master key provider configuration, as a restore would.
func OpenCopy(t testing.TB, a *TestApp) *TestApp {
	t.Helper()
	dir := t.TempDir()
	dbURL := ""
	if a.DatabaseURL != "" {
		dbURL = copyPostgres(t, a.DatabaseURL)
	} else {
		db, err := sql.Open("sqlite3", "file:"+a.Config.SQLitePath())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), `VACUUM INTO ?`, filepath.Join(dir, "custos.db")); err != nil {
			t.Fatalf("copy database: %v", err)
		}
	}
	src := a.Config
	return NewApp(t, dialectOf(a), AppOptions{Dir: dir, DatabaseURL: dbURL, Config: func(c *config.Config) {
		keep := c.DataDir
		*c = src
		c.DataDir, c.DatabaseURL = keep, dbURL
	}})
}

func dialectOf(a *TestApp) Dialect {
	if a.DatabaseURL != "" {
		return Postgres
	}
	return SQLite
}

// copyPostgres copies every table of srcURL's schema into a fresh schema
// and returns a URL for it.
func copyPostgres(t testing.TB, srcURL string) string {
	t.Helper()
	u, err := url.Parse(srcURL)
	if err != nil {
		t.Fatal(err)
	}
	src := u.Query().Get("search_path")
	dstURL := PostgresURL(t)
	du, _ := url.Parse(dstURL)
	dst := du.Query().Get("search_path")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, src)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	for _, tb := range tables {
		s, d := pgx.Identifier{src, tb}.Sanitize(), pgx.Identifier{dst, tb}.Sanitize()
		if _, err := conn.Exec(ctx, `CREATE TABLE `+d+` (LIKE `+s+` INCLUDING ALL)`); err != nil {
			t.Fatalf("copy %s: %v", tb, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO `+d+` OVERRIDING SYSTEM VALUE SELECT * FROM `+s); err != nil {
			t.Fatalf("copy %s: %v", tb, err)
		}
	}
	return dstURL
}

// Reopen opens x's data directory or schema again, with x's
// configuration, in a new app (another process, as far as keys go).
func Reopen(t testing.TB, x *TestApp) *TestApp {
	t.Helper()
	src := x.Config
	return NewApp(t, dialectOf(x), AppOptions{Dir: x.Dir, DatabaseURL: x.DatabaseURL, Config: func(c *config.Config) {
		*c = src
	}})
}
