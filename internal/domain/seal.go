package domain

import "time"

// SealPhase is how far a run of `custos data seal` has come.
type SealPhase string

// Seal phases, in order.
const (
	// SealCustomers seals customers' clear company names and employers
	// and writes their partial-search index entries.
	SealCustomers SealPhase = "customers"
	// SealContacts seals contacts' clear titles.
	SealContacts SealPhase = "contacts"
	// SealDeals seals deals' clear titles.
	SealDeals SealPhase = "deals"
	SealDone  SealPhase = "done"
)

// SealRun is the recorded progress of one run of `custos data seal`, which
// seals values stored in clear before their field was sealed and writes
// the blind-index entries of search tokens added since: Cursor is the last
// record of Phase done, so an interrupted run resumes after it.
type SealRun struct {
	ID         int64
	Phase      SealPhase
	Cursor     string
	Total      int64 // records to visit, counted when the run began
	Done       int64 // records visited
	Sealed     int64 // values moved from clear to sealed
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
}

// SealBatch is what one batch of a seal run did.
type SealBatch struct {
	Next    ID    // the last record visited ("" when the phase is done)
	Visited int64 // records visited
	Sealed  int64 // values sealed
}
