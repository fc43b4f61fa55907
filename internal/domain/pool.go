package domain

import "time"

// The customer pool (公海池): customers without an owner. A pool customer
// keeps the team it last belonged to; reps of that team see it masked and
// may claim it, within their team's limits. Owned customers that go
// without a follow-up for the team's return period go back to the pool.

// Pool defaults, for teams that never set their own.
const (
	DefaultPoolDailyClaims = 20  // claims per rep in any 24 hours
	DefaultPoolMaxOwned    = 300 // customers a rep may own and still claim
	DefaultPoolReturnDays  = 30  // days without a follow-up before a customer returns
	DefaultPoolWarnDays    = 3   // days before the return its owner is warned
)

// Bounds of the pool settings.
const (
	MaxPoolDailyClaims = 1000
	MaxPoolMaxOwned    = 100000
	MaxPoolReturnDays  = 3650
	MaxPoolWarnDays    = 365
)

// PoolSettings are one team's pool rules.
type PoolSettings struct {
	TeamID ID
	// TeamName is shown beside the settings (set on reads).
	TeamName string
	// DailyClaims is how many customers a rep may claim in any 24 hours
	// (0: reps of the team may not claim; managers still assign).
	DailyClaims int
	// MaxOwned is how many customers a rep may own and still claim.
	MaxOwned int
	// ReturnDays is how long an owned customer may go without a follow-up
	// (a visit, a note, a deal change) before it returns to the pool
	// (0: never).
	ReturnDays int
	// WarnDays is how many days before that return its owner is warned
	// (0: no warning).
	WarnDays int
	// Default is true while the team has not set its own.
	Default   bool
	UpdatedAt time.Time
}

// DefaultPoolSettings returns the defaults for team.
func DefaultPoolSettings(team ID) *PoolSettings {
	return &PoolSettings{TeamID: team, DailyClaims: DefaultPoolDailyClaims, MaxOwned: DefaultPoolMaxOwned,
		ReturnDays: DefaultPoolReturnDays, WarnDays: DefaultPoolWarnDays, Default: true}
}

// ReturnAfter is how long a customer may go without a follow-up (0:
// forever).
func (p *PoolSettings) ReturnAfter() time.Duration {
	return time.Duration(p.ReturnDays) * 24 * time.Hour
}

// WarnBefore is how long before the return the owner is warned (0: not
// at all).
func (p *PoolSettings) WarnBefore() time.Duration {
	return time.Duration(p.WarnDays) * 24 * time.Hour
}

// PoolSettingsInput is a team's pool settings as a client sends them:
// every field is required.
type PoolSettingsInput struct {
	DailyClaims *int `json:"daily_claims"`
	MaxOwned    *int `json:"max_owned"`
	ReturnDays  *int `json:"return_days"`
	WarnDays    *int `json:"warn_days"`
}

// Settings validates in and returns the settings of team.
func (in *PoolSettingsInput) Settings(team ID) (*PoolSettings, error) {
	type bound struct {
		field    string
		v        *int
		min, max int
	}
	for _, b := range []bound{
		{"daily_claims", in.DailyClaims, 0, MaxPoolDailyClaims},
		{"max_owned", in.MaxOwned, 1, MaxPoolMaxOwned},
		{"return_days", in.ReturnDays, 0, MaxPoolReturnDays},
		{"warn_days", in.WarnDays, 0, MaxPoolWarnDays},
	} {
		if b.v == nil {
			return nil, Invalid(b.field, "%s is required", b.field)
		}
		if *b.v < b.min || *b.v > b.max {
			return nil, Invalid(b.field, "%s must be a whole number from %d to %d", b.field, b.min, b.max)
		}
	}
	if *in.WarnDays > 0 && *in.WarnDays >= *in.ReturnDays {
		return nil, Invalid("warn_days", "warn_days must be less than return_days (or 0: no warning)")
	}
	return &PoolSettings{TeamID: team, DailyClaims: *in.DailyClaims, MaxOwned: *in.MaxOwned,
		ReturnDays: *in.ReturnDays, WarnDays: *in.WarnDays}, nil
}

// PoolScope restricts the pool to the customers an actor may see and
// claim there. The zero value reaches the whole pool.
type PoolScope struct {
	Nothing bool
	// TeamID: only the pool of this team.
	TeamID ID
	// Territories: only customers whose address lies in one of these.
	Territories []ID
}

// PoolFilter selects pool customers for a list. Scope and Skip are set by
// the service from the actor, never from input.
type PoolFilter struct {
	Cursor ID
	Limit  int
	Scope  PoolScope
	// Skip names field classes left sealed (the caller sees none of them).
	Skip map[FieldClass]bool
}

// PoolMoveKind names a move into or out of the pool.
type PoolMoveKind string

// Pool moves.
const (
	MoveClaim   PoolMoveKind = "claim"   // a rep took a pool customer
	MoveAssign  PoolMoveKind = "assign"  // a manager gave a pool customer to a rep
	MoveRelease PoolMoveKind = "release" // the owner gave their customer back
	MoveReclaim PoolMoveKind = "reclaim" // a manager took a rep's customer back
	MoveReturn  PoolMoveKind = "return"  // it went without a follow-up too long
)

// PoolMove is one move of a customer into or out of the pool, as the
// store applies it in one transaction with its notifications and audit
// events.
type PoolMove struct {
	ID         ID
	Kind       PoolMoveKind
	CustomerID ID
	// ActorID is who moved it ("system" for the automatic return).
	ActorID ID
	// FromOwner is the owner it leaves (release, reclaim, return): the
	// move fails with a conflict if the customer has another owner now.
	FromOwner ID
	// ToOwner and ToTeam are the owner it goes to (claim, assign): the
	// move fails with a conflict if the customer is no longer in the pool.
	ToOwner ID
	ToTeam  ID
	At      time.Time
	// DailyClaims and MaxOwned are the claimer's limits (claim only),
	// checked in the same transaction.
	DailyClaims int
	MaxOwned    int
	// QuietSince (return only) is when the customer's quiet spell began as
	// the job saw it: a follow-up since then keeps it with its owner.
	QuietSince time.Time
}

// PoolDue is an owned customer whose warning or return is due.
type PoolDue struct {
	CustomerID ID
	OwnerID    ID
	TeamID     ID
	// QuietSince is its last follow-up, or when its owner got it, or its
	// creation: whichever came last.
	QuietSince time.Time
	// ReturnAt is when it goes back to the pool.
	ReturnAt time.Time
	// Warned is true when its owner was warned of this return already.
	Warned bool
}

// PoolReturnReport says what one run of the automatic return did.
type PoolReturnReport struct {
	Scanned  int // owned customers whose warning or return was due
	Warned   int // owners warned
	Returned int // customers returned to the pool
	Skipped  int // due, but followed up or moved meanwhile
}

// CustomerRef is what a duplicate check needs of the customer that
// already holds a value: its id and where it belongs, never its data.
type CustomerRef struct {
	ID       ID
	OwnerID  ID
	TeamID   ID
	Province string
	City     string
}

// LeasePoolReturn is held by the node running the automatic return.
const LeasePoolReturn = "job:pool-return"
