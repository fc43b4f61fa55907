// Package domain holds Custos's core types, the error codes every layer
// speaks, and the interfaces its services and stores implement. It imports
// no adapter: storage, HTTP, key providers and the like depend on it, never
// the reverse.
package domain

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an application error. Each code maps to exactly one HTTP
// status in the API adapter; clients switch on the code, not the message.
type Code string

// Error codes.
const (
	CodeInvalid         Code = "invalid"         // malformed or unacceptable input
	CodeUnauthenticated Code = "unauthenticated" // no or bad credentials
	CodeForbidden       Code = "forbidden"       // authenticated, not allowed
	CodeNotFound        Code = "not_found"       // absent or outside the caller's scope
	CodeConflict        Code = "conflict"        // violates a uniqueness or state rule
	// CodePreconditionFailed: the record is no longer at the version the
	// caller based its change on (a stale If-Match).
	CodePreconditionFailed Code = "precondition_failed"
	CodeRateLimited        Code = "rate_limited"     // throttled
	CodeStepUpRequired     Code = "step_up_required" // needs a fresh authentication
	// CodeMFAEnrollmentRequired: the role requires a second factor the user
	// has not enrolled; the session may only enroll one.
	CodeMFAEnrollmentRequired Code = "mfa_enrollment_required"
	// CodePasswordChangeRequired: an administrator reset the password; the
	// session may only set a new one.
	CodePasswordChangeRequired Code = "password_change_required"
	CodeTooLarge               Code = "too_large"   // request body over the limit
	CodeUnavailable            Code = "unavailable" // temporarily unable to serve
	// CodeStoreUnavailable: the database cannot take writes now (a full
	// disk, a lost connection); nothing was changed, retry later.
	CodeStoreUnavailable Code = "store_unavailable"
	CodeInternal         Code = "internal" // anything else; details only in logs
)

// Error is an application error: a code, a message safe to show the caller,
// optionally the input field it concerns, and an internal cause that is
// logged but never shown.
type Error struct {
	Code    Code
	Message string
	Field   string
	Err     error
	// RetryAfter tells a throttled caller when to try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, domain.ErrNotFound) works for any not-found error.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && t.Message == "" && t.Field == ""
}

// Sentinel errors for errors.Is checks by code.
var (
	ErrInvalid         = &Error{Code: CodeInvalid}
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated}
	ErrForbidden       = &Error{Code: CodeForbidden}
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrRateLimited     = &Error{Code: CodeRateLimited}
	ErrStepUpRequired  = &Error{Code: CodeStepUpRequired}
	ErrUnavailable     = &Error{Code: CodeUnavailable}
)

// Invalid reports unacceptable input for field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports that a record of kind is absent or outside the caller's
// scope; the two are deliberately indistinguishable.
func NotFound(kind string) *Error {
	return &Error{Code: CodeNotFound, Message: kind + " not found"}
}

// Forbidden reports an action the caller may not take.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// ForbiddenField reports a field the caller may not set or see.
func ForbiddenField(field string) *Error {
	return &Error{Code: CodeForbidden, Field: field, Message: "you may not set " + field}
}

// RateLimited reports a throttled attempt and when to retry.
func RateLimited(retryAfter time.Duration, msg string) *Error {
	return &Error{Code: CodeRateLimited, Message: msg, RetryAfter: retryAfter}
}

// StepUpRequired reports an action that needs a fresh authentication.
func StepUpRequired(msg string) *Error {
	return &Error{Code: CodeStepUpRequired, Message: msg}
}

// Conflict reports a uniqueness or state violation.
func Conflict(field, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrStaleVersion is the cause of the conflict a store reports when a
// record changed between the read a change was based on and its write.
// The service retries such a change when the caller set no precondition,
// and answers precondition_failed when it did (see Precondition).
var ErrStaleVersion = errors.New("the record changed since it was read")

// Stale reports that a record of kind changed since it was read.
func Stale(kind string) *Error {
	return &Error{Code: CodeConflict, Message: "the " + kind + " was changed by someone else; reload and try again", Err: ErrStaleVersion}
}

// Unauthenticated reports missing or bad credentials.
func Unauthenticated(msg string) *Error {
	return &Error{Code: CodeUnauthenticated, Message: msg}
}

// Internal wraps an unexpected error; callers see only "internal error".
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err, CodeInternal for non-application errors
// and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, wrapping anything else as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
