// Package store persists Custos's records in SQLite or PostgreSQL. It is
// an adapter: only the wiring package (and test helpers) import it, and
// the services reach it through small interfaces of their own.
//
// It is the storage boundary: services hand it plaintext values with
// their field class, it seals sealed classes with the record's data key
// before they reach SQL and opens them on the way out, and it computes
// blind indexes for exact-match lookups. All SQL is parameterized and
// written once for both dialects.
//
// One DB (db*.go) is shared by the capability stores, each a type of its
// own in files named after it:
//
//	Customers   customers, their bulk imports and erasure  (customers*.go)
//	Imports     import progress and sealed reports         (imports.go)
//	Activities  contacts, deals, visits, notes and tasks    (activities*.go)
//	Users       users, teams, territories, roles            (users*.go)
//	Sessions    sessions, API tokens, sign-in challenges    (sessions*.go)
//	Factors     second factors and sign-in throttling       (factors*.go)
//	AuditLog    the audit queue, Merkle log and checkpoints (auditlog*.go)
//	MasterKeys  master key versions and their rotation      (masterkeys.go)
//	IndexKeys   blind-index keys and their rotation         (indexkeys*.go)
//	DataKeys    data keys: bulk insert, erasure punctures   (datakeys.go)
//	Leases      leases that serialize background jobs       (leases.go)
//	RateLimits  token buckets shared by every node          (ratelimits.go)
//	Sealing     sealing values stored in clear by earlier   (sealing.go)
//	            versions, with its progress
//	Pool        the customer pool: moves, settings, the automatic return,
//	            transfer requests                            (pool*.go)
//	Notifications  per-user notification inboxes             (notifications.go)
package store

// Store is an open database with its capability stores.
type Store struct {
	*DB
	Customers  *Customers
	Imports    *Imports
	Activities *Activities
	Users      *Users
	Sessions   *Sessions
	Factors    *Factors
	AuditLog   *AuditLog
	MasterKeys *MasterKeys
	IndexKeys  *IndexKeys
	DataKeys   *DataKeys
	Leases     *Leases
	RateLimits *RateLimits
	Sealing    *Sealing
	Pool       *Pool
	// Notifications holds each user's notification inbox.
	Notifications *Notifications
}

// Customers stores customers with their sealed fields and blind indexes,
// bulk imports and crypto-shredding of a customer.
type Customers struct{ *DB }

// Imports stores bulk imports as they run and the sealed reports of their
// refused rows.
type Imports struct{ *DB }

// Activities stores the records that hang off a customer — contacts,
// deals, visits, notes and tasks — sealed under the customer's data key.
type Activities struct{ *DB }

// Users stores users, teams, territories and roles.
type Users struct{ *DB }

// Sessions stores sign-in sessions, API tokens and the challenges of a
// sign-in waiting for its second factor.
type Sessions struct{ *DB }

// Factors stores second factors (TOTP, recovery codes, passkeys) and
// sign-in throttling state.
type Factors struct{ *DB }

// AuditLog stores audit events: the durable queue, the Merkle log, signed
// checkpoints, the checkpoint signing key and SIEM shipping cursors.
type AuditLog struct{ *DB }

// MasterKeys stores master key versions and the progress of their
// rotation.
type MasterKeys struct{ *DB }

// IndexKeys stores blind-index keys, loads them into the blind index, and
// rebuilds entries during their rotation.
type IndexKeys struct{ *DB }

// DataKeys stores customer data keys beyond a single record's life: bulk
// inserts and the erasure punctures that follow a crypto-shred.
type DataKeys struct{ *DB }

// Leases stores leases that let one process at a time run a job (a key
// rotation, a change of the erasure tree).
type Leases struct{ *DB }

// RateLimits stores token buckets every node draws from.
type RateLimits struct{ *DB }

// Sealing moves values stored in clear before their field was sealed into
// sealed form, writes the search entries of customers stored before they
// existed, and records the progress of that work (custos data seal).
type Sealing struct{ *DB }

// Pool stores the customer pool: who owns what and how it moved (claims,
// assignments, releases, reclaims, returns), each team's pool settings,
// the quiet spell of every owned customer, and the references duplicate
// checks hand out for transfer requests.
type Pool struct{ *DB }

// Notifications stores each user's notification inbox.
type Notifications struct{ *DB }

func newStore(db *DB) *Store {
	return &Store{
		DB:         db,
		Customers:  &Customers{db},
		Imports:    &Imports{db},
		Activities: &Activities{db},
		Users:      &Users{db},
		Sessions:   &Sessions{db},
		Factors:    &Factors{db},
		AuditLog:   &AuditLog{db},
		MasterKeys: &MasterKeys{db},
		IndexKeys:  &IndexKeys{db},
		DataKeys:   &DataKeys{db},
		Leases:     &Leases{db},
		RateLimits: &RateLimits{db},
		Sealing:    &Sealing{db},
		Pool:       &Pool{db},

		Notifications: &Notifications{db},
	}
}
