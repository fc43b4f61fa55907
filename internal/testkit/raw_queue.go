package testkit

import (
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" driver

	"github.com/custoscrm/custos/internal/store"
)

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
