package domain

import "time"

// UserStatus tells whether a user may sign in.
type UserStatus string

// User statuses.
const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// User is an employee who signs in to Custos.
type User struct {
	ID           ID
	Email        string
	DisplayName  string
	Role         string
	TeamID       ID
	Status       UserStatus
	PasswordHash string
	// MustChangePassword is set by an administrator's forced reset.
	MustChangePassword bool
	// Kind is person (signs in) or service (holds API tokens only).
	Kind UserKind
	// MFAEnabled is true while the user has a confirmed second factor.
	MFAEnabled bool
	// Locale ("en", "zh-CN") and TimeZone (IANA, e.g. Asia/Shanghai) are
	// the user's own choice for the web UI; empty: from the browser.
	Locale    string
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Session is a server-side sign-in. Only the hash of its secret is stored.
type Session struct {
	ID         ID
	UserID     ID
	SecretHash []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session.
	ExpiresAt time.Time
	// AuthAt is the last time the user proved who they are in this session.
	AuthAt    time.Time
	SourceIP  string
	UserAgent string
	DeviceID  ID
	RevokedAt time.Time
	// MFA is true when the session was opened or last stepped up with a
	// second factor.
	MFA bool
}

// SessionUser is what authenticating a request needs: the session and its
// user, read together.
type SessionUser struct {
	Session Session
	User    User
	// Role is the user's role as stored now (nil if it no longer exists).
	Role *Role
	// Territories the user covers.
	Territories []ID
}
