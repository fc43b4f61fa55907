package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
)

// A duplicate check answers a create whose phone, email, ID number, tax id
// or company name another customer already has with what the caller may
// know about that customer, and no more.

// DuplicateMatch says what the caller may know of the customer holding a
// value.
type DuplicateMatch string

// Duplicate matches.
const (
	// MatchInScope: the caller reaches the customer (their own, or in
	// their scope): its id.
	MatchInScope DuplicateMatch = "in_scope"
	// MatchPool: the customer is in a pool the caller may claim from: its
	// id and the claim action.
	MatchPool DuplicateMatch = "pool"
	// MatchElsewhere: someone the caller cannot see holds it: an opaque,
	// single-use, short-lived reference to ask for a transfer with.
	MatchElsewhere DuplicateMatch = "elsewhere"
)

// Duplicate is the answer to a create that would duplicate a customer.
type Duplicate struct {
	Field      string
	Match      DuplicateMatch
	CustomerID ID     // in_scope and pool only
	Reference  string // elsewhere only
	ExpiresAt  time.Time
}

// DuplicateError is a conflict that carries a duplicate answer. It
// unwraps to the conflict *Error, so codes and HTTP statuses stay those
// of a conflict.
type DuplicateError struct {
	Err       *Error
	Duplicate Duplicate
}

func (e *DuplicateError) Error() string { return e.Err.Error() }

func (e *DuplicateError) Unwrap() error { return e.Err }

// DuplicateRef is a stored reference: which customer it stands for, for
// whom, about which field. Only the hash of the reference is stored.
type DuplicateRef struct {
	Hash       []byte
	UserID     ID
	CustomerID ID
	Field      string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time
}

// DuplicateRefTTL is how long a reference may be used.
const DuplicateRefTTL = 15 * time.Minute

// A reference is "dr1." and 32 random bytes in base64url: the server
// resolves it by its SHA-256, and it says nothing by itself.
const (
	duplicateRefPrefix = "dr1."
	duplicateRefBytes  = 32
)

// NewDuplicateReference returns a fresh reference and the hash to store.
func NewDuplicateReference() (ref string, hash []byte) {
	b := make([]byte, duplicateRefBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	ref = duplicateRefPrefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(ref))
	return ref, sum[:]
}

// DuplicateReferenceHash checks the form of a reference a client sent
// and returns the hash it is stored under; field names the input.
func DuplicateReferenceHash(field, ref string) ([]byte, error) {
	secret, ok := strings.CutPrefix(ref, duplicateRefPrefix)
	if !ok || len(secret) != base64.RawURLEncoding.EncodedLen(duplicateRefBytes) {
		return nil, Invalid(field, "%s is not a reference a duplicate check returned", field)
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return nil, Invalid(field, "%s is not a reference a duplicate check returned", field)
	}
	sum := sha256.Sum256([]byte(ref))
	return sum[:], nil
}

// DuplicateRefUnusable is the one answer to a reference that is unknown,
// another user's, used or expired: which of them is not said.
func DuplicateRefUnusable(field string) *Error {
	return Invalid(field, "the reference is unknown, was used already or has expired; create the customer again to get a new one")
}
