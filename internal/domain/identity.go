package domain

import "time"

// UserKind tells how a user authenticates.
type UserKind string

// User kinds.
const (
	// UserPerson signs in with a password (and a second factor).
	UserPerson UserKind = "person"
	// UserService is a service account: no password, API tokens only.
	UserService UserKind = "service"
)

// Pending names the one thing a session must do before anything else.
type Pending string

// Pending steps.
const (
	PendingNone           Pending = ""
	PendingPasswordChange Pending = "password_change"
	PendingMFAEnrollment  Pending = "mfa_enrollment"
)

// Second-factor methods.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery_code"
	MethodWebAuthn     = "webauthn"
)

// Region is a province, or one city in it (City empty: the whole
// province).
type Region struct {
	Province string
	City     string
}

// Territory is a named set of regions. Users assigned to it reach, with a
// territory-scoped role, the customers whose address lies in one of them.
type Territory struct {
	ID        ID
	Name      string
	Regions   []Region
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Team groups users; team-scoped roles reach the team's records.
type Team struct {
	ID        ID
	Name      string
	CreatedAt time.Time
}

// APIToken is a bearer credential for integrations and scripts. Only the
// hash of its secret is stored.
type APIToken struct {
	ID         ID
	UserID     ID
	Name       string
	Scopes     []string
	SecretHash []byte
	CreatedBy  ID
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// TokenUser is what authenticating an API token needs: the token, its
// user and the user's current role, read together.
type TokenUser struct {
	Token       APIToken
	User        User
	Role        *Role
	Territories []ID
}

// Challenge kinds.
const (
	ChallengeLogin            = "login"
	ChallengeStepUp           = "step_up"
	ChallengeWebAuthnRegister = "webauthn_register"
)

// Challenge is a half-finished sign-in or step-up waiting for its second
// factor, or a passkey registration waiting for the authenticator. Only
// the hash of its secret is stored.
type Challenge struct {
	ID         ID
	SecretHash []byte
	Kind       string
	UserID     ID
	SessionID  ID
	// Data holds WebAuthn ceremony state (JSON; no secrets).
	Data      string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID           ID
	UserID       ID
	CredentialID []byte
	Name         string
	// Credential is the library's credential record as JSON (public key,
	// signature counter, flags).
	Credential []byte
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// TOTP is a user's authenticator-app enrollment. Secret is in the clear
// only in memory; the store seals it.
type TOTP struct {
	UserID    ID
	Secret    string
	Confirmed bool
	// LastStep is the last 30-second step whose code was accepted; codes of
	// that step or earlier are refused (each code works once).
	LastStep  int64
	CreatedAt time.Time
}

// ThrottleState is a sign-in throttle bucket as stored.
type ThrottleState struct {
	Bucket       string
	Failures     int
	LastFailure  time.Time
	BlockedUntil time.Time
}

// UserUpdate lists user fields to change; nil leaves a field as it is.
type UserUpdate struct {
	DisplayName        *string
	Role               *string
	TeamID             *ID
	Status             *UserStatus
	PasswordHash       *string
	MustChangePassword *bool
	Locale             *string
	TimeZone           *string
	// Territories replaces the user's territory assignments.
	Territories *[]ID
	// RevokeSessions ends every live session of the user in the same
	// transaction (forced password reset, disabling); KeepSession is spared.
	RevokeSessions bool
	KeepSession    ID
}
