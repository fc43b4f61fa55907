package store

import (
	"context"
	"strconv"
)

// SetImportIndexFlushRows makes s write an import's pending blind-index
// entries once n have gathered, so tests reach the flush with few rows.
func SetImportIndexFlushRows(s *Store, n int) {
	s.importIndex.mu.Lock()
	defer s.importIndex.mu.Unlock()
	s.importIndex.flushRows = n
}

// SetMaxPageCount caps the size of s's SQLite database at n pages (0:
// back to SQLite's maximum), so a test fills it as a full disk would:
// writes that need a new page fail with SQLITE_FULL.
func SetMaxPageCount(t interface{ Fatal(...any) }, s *Store, n int) {
	if n == 0 {
		n = 1 << 30
	}
	if _, err := s.writer.ExecContext(context.Background(), `PRAGMA max_page_count = `+strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
}

// PageCount returns the pages s's SQLite database uses now.
func PageCount(t interface{ Fatal(...any) }, s *Store) int {
	var n int
	if err := s.writer.QueryRowContext(context.Background(), `PRAGMA page_count`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// HoldPoolConnections checks out every connection database/sql may open
// on s (in read transactions) until the test ends.
func HoldPoolConnections(t interface {
	Fatal(...any)
	Cleanup(func())
}, s *Store) {
	n := s.reader.Stats().MaxOpenConnections
	for range n {
		tx, err := s.reader.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tx.Rollback() })
	}
}

// ApplyMigration applies one migration as Open does, for tests of the
// version rules.
func ApplyMigration(s *Store, m Migration, latest int) error {
	return s.applyMigration(context.Background(), m, latest)
}
