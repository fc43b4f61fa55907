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
	CreatedAt          time.Time
	UpdatedAt          time.Time
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
}

// SessionUser is what authenticating a request needs: the session and its
// user, read together.
type SessionUser struct {
	Session Session
	User    User
}
