package store

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// Storage faults are told from wrong writes by driver codes.
func TestStorageFaultClassification(t *testing.T) {
	for _, c := range []struct {
		err   error
		fault bool
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, true},
		{fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite}), true},
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, false},
		{&pgconn.PgError{Code: "53100"}, true}, // disk_full
		{&pgconn.PgError{Code: "08006"}, true}, // connection_failure
		{&pgconn.PgError{Code: "57P01"}, true}, // admin_shutdown
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "40001"}, false},
		{fmt.Errorf("write: %w", syscall.ENOSPC), true},
		{errDiskReserve, true},
		{errors.New("some other failure"), false},
	} {
		if got := storageFault(c.err); got != c.fault {
			t.Errorf("storageFault(%v) = %v, want %v", c.err, got, c.fault)
		}
	}
}
