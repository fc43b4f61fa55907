package domain

import (
	"context"
	"strings"
	"time"
)

// Actor is who is acting: a signed-in user (through a session or an API
// token) or the system itself (CLI and background jobs). It travels in the
// request context; services read it to decide authorization.
type Actor struct {
	UserID ID
	Email  string
	Role   *Role
	TeamID ID
	// Territories the user covers (for territory-scoped roles).
	Territories []ID
	SessionID   ID // set when authenticated by a session
	TokenID     ID // set when authenticated by an API token
	DeviceID    ID // set when the session is bound to an enrolled device
	// Scopes restricts an API token; nil means the role's full permissions.
	Scopes []string
	// AuthTime is when the actor last proved who they are (password, MFA);
	// step-up checks compare it with the clock.
	AuthTime time.Time
	// MFA is true when the session was opened or stepped up with a second
	// factor.
	MFA bool
	// Pending is set when the session may do one thing only before anything
	// else: set a new password, or enroll a second factor.
	Pending Pending
	// System is true for the CLI and jobs acting on the operator's behalf.
	System bool
}

// SystemActor is the actor for operator commands and background jobs. It
// has the admin role's functions over all records; it is never produced by
// authenticating a request.
func SystemActor(role *Role) *Actor {
	return &Actor{UserID: "system", Role: role, System: true}
}

type actorKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// RequestInfo describes where a request came from, for the audit log.
type RequestInfo struct {
	RequestID string
	SourceIP  string
	UserAgent string
}

type requestKey struct{}

// WithRequestInfo returns a context carrying ri. Its fields come from
// the request's headers; bytes that are not UTF-8 are replaced, so that
// what lands in sessions and audit events is text every database stores.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	ri.RequestID = strings.ToValidUTF8(ri.RequestID, "\uFFFD")
	ri.SourceIP = strings.ToValidUTF8(ri.SourceIP, "\uFFFD")
	ri.UserAgent = strings.ToValidUTF8(ri.UserAgent, "\uFFFD")
	return context.WithValue(ctx, requestKey{}, ri)
}

// RequestInfoFrom returns the request info in ctx (zero when absent).
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestKey{}).(RequestInfo)
	return ri
}
