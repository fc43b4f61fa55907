package domain

import (
	"strings"
	"time"
)

// ImportKind is what a bulk import creates.
type ImportKind string

// Kinds of import.
const (
	ImportCustomers ImportKind = "customers"
	ImportContacts  ImportKind = "contacts"
	ImportDeals     ImportKind = "deals"
)

// ImportKinds lists every kind of import.
var ImportKinds = []ImportKind{ImportCustomers, ImportContacts, ImportDeals}

// ValidImportKind reports whether k is a known kind of import.
func ValidImportKind(k ImportKind) bool {
	for _, v := range ImportKinds {
		if k == v {
			return true
		}
	}
	return false
}

// ImportState is where an import stands.
type ImportState string

// Import states: running (validating, then writing), and the ends: done
// (every row written), invalid (problems found; nothing written),
// validated (a dry run without problems; nothing written), aborted (the
// write failed or was interrupted; whatever was written was removed).
const (
	ImportRunning   ImportState = "running"
	ImportDone      ImportState = "done"
	ImportInvalid   ImportState = "invalid"
	ImportValidated ImportState = "validated"
	ImportAborted   ImportState = "aborted"
)

// Import phases while running.
const (
	PhaseValidate = "validate"
	PhaseWrite    = "write"
)

// Import is a bulk import as its progress is recorded: every node can
// answer how far it is. It never holds the file's content; the report of
// refused rows is stored apart, sealed.
type Import struct {
	ID    ID
	Kind  ImportKind
	State ImportState
	// Phase is validate or write while running.
	Phase string
	// Actor is the user who started it ("" for the system).
	Actor ID
	// Encoding is the encoding the file was read in.
	Encoding string
	// RowsTotal is how many rows the file holds (counted before
	// validating); RowsDone how many the current phase has done.
	RowsTotal int
	RowsDone  int
	// Problems counts every problem found, RowsInvalid the rows they are
	// in.
	Problems    int
	RowsInvalid int
	// Message says why an import ended as it did (never a value).
	Message string
	// ReportBytes is the size of the stored report (0: none).
	ReportBytes int64
	StartedAt   time.Time
	FinishedAt  time.Time
}

// NeutralizeCSVCell guards a CSV cell against spreadsheet formula
// injection: a cell beginning with =, +, -, @, a tab or a carriage return
// gets a leading ' so spreadsheets show it as text.
func NeutralizeCSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// UnneutralizeCSVCell undoes NeutralizeCSVCell, so a cell Custos exported
// (or reported) reads back as it was.
func UnneutralizeCSVCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}
