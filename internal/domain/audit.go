package domain

import (
	"context"
	"time"
)

// Outcome is how an audited action ended.
type Outcome string

// Audit outcomes.
const (
	OutcomeAllowed Outcome = "allowed"
	OutcomeDenied  Outcome = "denied"
	OutcomeError   Outcome = "error"
)

// AuditEvent is one entry of the audit log. It holds pseudonymous ids and
// field names only, never personal data values, so erasing a customer never
// has to touch the log.
type AuditEvent struct {
	Seq  int64 // assigned when the event is integrated into the log
	Time time.Time

	ActorUser    ID
	ActorSession ID
	ActorToken   ID
	ActorDevice  ID
	SourceIP     string
	UserAgent    string
	RequestID    string

	Action     string // e.g. customer.read, auth.login
	TargetType string
	TargetID   string
	// TargetIDs lists further records for actions over many (a list page).
	TargetIDs []string
	// Fields names the fields read unmasked or changed, never their values.
	Fields  []string
	Outcome Outcome
	Reason  string
}

// Auditor makes audit events durable. Record returns only once the event
// is durable; an error means the action must fail (fail-closed).
type Auditor interface {
	Record(ctx context.Context, ev *AuditEvent) error
}

// NewAuditEvent returns an event for action on target, filled with the
// actor and request info from ctx and the time now (UTC).
func NewAuditEvent(ctx context.Context, now time.Time, action, targetType, targetID string) *AuditEvent {
	ev := &AuditEvent{
		Time:       now.UTC(),
		Action:     action,
		TargetType: targetType,
		TargetID:   targetID,
		Outcome:    OutcomeAllowed,
	}
	if a := ActorFrom(ctx); a != nil {
		ev.ActorUser = a.UserID
		ev.ActorSession = a.SessionID
		ev.ActorToken = a.TokenID
		ev.ActorDevice = a.DeviceID
	}
	ri := RequestInfoFrom(ctx)
	ev.SourceIP = ri.SourceIP
	ev.UserAgent = ri.UserAgent
	ev.RequestID = ri.RequestID
	return ev
}
