package domain

import "time"

// ParentRef is what deciding access to a record needs from the customer
// it belongs to: who owns the customer (record scope follows the
// customer), its kind, and whether it has been erased (the record's sealed
// fields are then gone too).
type ParentRef struct {
	OwnerID ID
	TeamID  ID
	Kind    CustomerKind
	Erased  bool
}

// Contact is a person at a company customer. Its personal fields are sealed
// under the company customer's data key, so erasing the customer erases its
// contacts too.
type Contact struct {
	ID         ID
	CustomerID ID
	Name       string
	Phone      string
	Email      string
	Title      string // job title, public
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version starts at 1 and grows with every change (ETag, If-Match).
	Version int64

	// Parent is set by the store on reads.
	Parent ParentRef

	Masked []string
	Hidden []string
}

// ContactFilter selects the contacts of one customer.
type ContactFilter struct {
	CustomerID   ID
	UpdatedSince time.Time
	Cursor       ID
	Limit        int
	Scope        RecordScope
}

// DealStage is where a deal stands in the pipeline.
type DealStage string

// Deal stages.
const (
	StageQualification DealStage = "qualification"
	StageProposal      DealStage = "proposal"
	StageNegotiation   DealStage = "negotiation"
	StageWon           DealStage = "won"
	StageLost          DealStage = "lost"
)

// ValidDealStage reports whether s is a known stage.
func ValidDealStage(s DealStage) bool {
	switch s {
	case StageQualification, StageProposal, StageNegotiation, StageWon, StageLost:
		return true
	}
	return false
}

// Deal is an opportunity or order with a customer. The amount is kept in
// clear (class amount) so revenue reports can sum it; who may see or set it
// is still decided per role.
type Deal struct {
	ID            ID
	CustomerID    ID
	Title         string
	AmountMinor   int64  // in the currency's minor unit (fen, cents)
	Currency      string // ISO 4217
	Stage         DealStage
	ExpectedClose string // YYYY-MM-DD, optional
	OwnerID       ID
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version starts at 1 and grows with every change (ETag, If-Match).
	Version int64

	// Parent is set by the store on reads.
	Parent ParentRef

	Hidden []string
}

// DealFilter selects deals.
type DealFilter struct {
	CustomerID   ID
	OwnerID      ID
	Stage        DealStage
	UpdatedSince time.Time
	Cursor       ID
	Limit        int
	Scope        RecordScope
}

// Location is a point on Earth (WGS 84) with the device's accuracy.
type Location struct {
	Lat      float64
	Lng      float64
	Accuracy float64 // metres, optional
}

// VisitStatus tracks a store visit.
type VisitStatus string

// Visit statuses.
const (
	VisitPlanned   VisitStatus = "planned"
	VisitCheckedIn VisitStatus = "checked_in"
	VisitCompleted VisitStatus = "completed"
	VisitCancelled VisitStatus = "cancelled"
)

// Visit is a rep's visit to a customer's store: planned, then checked in
// and out on site with the device's location.
type Visit struct {
	ID          ID
	CustomerID  ID
	RepID       ID
	PlannedAt   time.Time
	Status      VisitStatus
	CheckInAt   time.Time
	CheckInLoc  *Location
	CheckOutAt  time.Time
	CheckOutLoc *Location
	Notes       string // planning notes, sealed
	// CheckOutNotes are the outcome notes given at check-out, sealed;
	// they never replace the planning notes.
	CheckOutNotes string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version starts at 1 and grows with every change (ETag, If-Match).
	Version int64

	// Parent is set by the store on reads.
	Parent ParentRef

	Masked []string
	Hidden []string
}

// VisitFilter selects visits.
type VisitFilter struct {
	CustomerID ID
	RepID      ID
	Status     VisitStatus
	// PlannedFrom and PlannedBefore bound the planned time (a day's
	// visits); zero leaves a side open.
	PlannedFrom   time.Time
	PlannedBefore time.Time
	UpdatedSince  time.Time
	Cursor        ID
	Limit         int
	Scope         RecordScope
}

// Note is free text about a customer, sealed under the customer's key.
type Note struct {
	ID         ID
	CustomerID ID
	AuthorID   ID
	Body       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version starts at 1 and grows with every change (ETag, If-Match).
	Version int64

	// Parent is set by the store on reads.
	Parent ParentRef

	Masked []string
	Hidden []string
}

// TaskStatus tracks a follow-up.
type TaskStatus string

// Task statuses.
const (
	TaskOpen TaskStatus = "open"
	TaskDone TaskStatus = "done"
)

// Task is a follow-up for a customer: call back, send a quote.
type Task struct {
	ID         ID
	CustomerID ID
	AssigneeID ID
	Title      string // sealed: follow-ups often name people
	DueAt      time.Time
	Status     TaskStatus
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version starts at 1 and grows with every change (ETag, If-Match).
	Version int64

	// Parent is set by the store on reads.
	Parent ParentRef

	Masked []string
	Hidden []string
}

// ActivityFilter selects notes or tasks.
type ActivityFilter struct {
	CustomerID   ID
	AssigneeID   ID
	Status       TaskStatus
	UpdatedSince time.Time
	Cursor       ID
	Limit        int
	Scope        RecordScope
}
