package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/custoscrm/custos/internal/domain"
)

// WebAuthnConfig names the relying party passkeys are bound to: the RP id
// (the site's domain) and the origins the browser reports.
type WebAuthnConfig struct {
	RPID    string
	RPName  string
	Origins []string
}

// webAuthn wraps the go-webauthn library: ceremony state lives in
// challenge rows (so any node can finish what another began), credentials
// in webauthn_credentials.
type webAuthn struct {
	wa *webauthn.WebAuthn
}

func newWebAuthn(c WebAuthnConfig) (*webAuthn, error) {
	if c.RPID == "" {
		c.RPID = "localhost"
	}
	if c.RPName == "" {
		c.RPName = "Custos"
	}
	if len(c.Origins) == 0 {
		c.Origins = []string{"https://localhost:8443"}
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: c.RPID, RPDisplayName: c.RPName, RPOrigins: c.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &webAuthn{wa: wa}, nil
}

// waUser presents a Custos user to the library. The user handle is the
// user id (no personal data).
type waUser struct {
	u     *domain.User
	creds []webauthn.Credential
}

func (w *waUser) WebAuthnID() []byte                         { return []byte(w.u.ID) }
func (w *waUser) WebAuthnName() string                       { return w.u.Email }
func (w *waUser) WebAuthnDisplayName() string                { return w.u.DisplayName }
func (w *waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func newWAUser(u *domain.User, passkeys []*domain.Passkey) (*waUser, error) {
	w := &waUser{u: u}
	for _, pk := range passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(pk.Credential, &c); err != nil {
			return nil, fmt.Errorf("passkey %s: %w", pk.ID, err)
		}
		w.creds = append(w.creds, c)
	}
	return w, nil
}

// beginLogin returns assertion options for the client and the ceremony
// state to keep.
func (w *webAuthn) beginLogin(u *domain.User, passkeys []*domain.Passkey) (json.RawMessage, string, error) {
	user, err := newWAUser(u, passkeys)
	if err != nil {
		return nil, "", err
	}
	assertion, session, err := w.wa.BeginLogin(user)
	if err != nil {
		return nil, "", fmt.Errorf("webauthn begin login: %w", err)
	}
	return marshalCeremony(assertion, session)
}

func marshalCeremony(options any, session *webauthn.SessionData) (json.RawMessage, string, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, "", err
	}
	data, err := json.Marshal(session)
	if err != nil {
		return nil, "", err
	}
	return opts, string(data), nil
}

// errMalformedCredential answers a WebAuthn payload that does not parse.
func errMalformedCredential(err error) error {
	return domain.Invalid("credential", "the credential is not a well-formed WebAuthn response: %s", describeWebAuthnError(err))
}

// describeWebAuthnError keeps the library's short, fixed description of a
// parse error (never the payload).
func describeWebAuthnError(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		d := pe.Details
		if len(d) > 120 || !utf8.ValidString(d) {
			return "malformed"
		}
		return strings.TrimSuffix(d, ".")
	}
	return "malformed"
}

// finishLogin verifies an assertion against the ceremony state data. It
// returns the passkey used and its updated record. A payload that does not
// parse is invalid input; one that parses but does not verify is an
// ordinary error (a wrong factor).
func (w *webAuthn) finishLogin(u *domain.User, passkeys []*domain.Passkey, data string, credential []byte) (*domain.Passkey, []byte, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, nil, errMalformedCredential(err)
	}
	var session webauthn.SessionData
	if err := json.Unmarshal([]byte(data), &session); err != nil {
		return nil, nil, fmt.Errorf("webauthn session state: %w", err)
	}
	user, err := newWAUser(u, passkeys)
	if err != nil {
		return nil, nil, err
	}
	cred, err := w.wa.ValidateLogin(user, session, parsed)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn assertion: %w", err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, nil, errors.New("webauthn: signature counter went backwards (cloned authenticator?)")
	}
	for _, pk := range passkeys {
		if bytes.Equal(pk.CredentialID, cred.ID) {
			updated, err := json.Marshal(cred)
			if err != nil {
				return nil, nil, err
			}
			return pk, updated, nil
		}
	}
	return nil, nil, errors.New("webauthn: credential not registered")
}

// PasskeyRegistration is the first half of registering a passkey: options
// for navigator.credentials.create and the token to finish with.
type PasskeyRegistration struct {
	Token     string
	Options   json.RawMessage
	ExpiresAt time.Time
}

// maxPasskeys bounds how many passkeys one user registers.
const maxPasskeys = 20

// BeginPasskeyRegistration starts registering a passkey for the caller.
//
// Authorization: own session, fresh; allowed while enrollment is pending.
// Errors: invalid (name), step_up_required, forbidden (token), conflict
// (too many passkeys).
func (s *Service) BeginPasskeyRegistration(ctx context.Context, name string) (*PasskeyRegistration, error) {
	a, now, err := s.credentialActor(ctx, domain.PendingMFAEnrollment)
	if err != nil {
		return nil, err
	}
	name, err = domain.NormalizeName("name", name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = "passkey"
	}
	u, err := s.users.GetUser(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	passkeys, err := s.factors.ListPasskeys(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if len(passkeys) >= maxPasskeys {
		return nil, domain.Conflict("", "you have %d passkeys; remove one first", len(passkeys))
	}
	user, err := newWAUser(u, passkeys)
	if err != nil {
		return nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range user.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := s.webauthn.wa.BeginRegistration(user, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, domain.Internal(fmt.Errorf("webauthn begin registration: %w", err))
	}
	opts, data, err := marshalCeremony(creation, session)
	if err != nil {
		return nil, err
	}
	state, err := json.Marshal(registrationState{Session: data, Name: name})
	if err != nil {
		return nil, err
	}
	secret, hashed := newSecret()
	c := &domain.Challenge{ID: domain.NewIDAt(domain.KindChallenge, now), SecretHash: hashed, Kind: domain.ChallengeWebAuthnRegister,
		UserID: a.UserID, SessionID: a.SessionID, Data: string(state), CreatedAt: now, ExpiresAt: now.Add(s.challenge)}
	if err := s.sessions.CreateChallenge(ctx, c); err != nil {
		return nil, err
	}
	return &PasskeyRegistration{Token: formatToken(challengeTokenPrefix, c.ID, secret), Options: opts, ExpiresAt: c.ExpiresAt}, nil
}

type registrationState struct {
	Session string `json:"session"`
	Name    string `json:"name"`
}

// FinishPasskeyRegistration verifies the authenticator's response and
// stores the passkey. On the user's first second factor it returns their
// recovery codes (shown once) and ends their other sessions.
//
// Authorization: the session that began the registration, fresh.
// Errors: invalid (token or credential malformed; field named),
// unauthenticated (expired or used registration, or a response that does
// not verify), conflict (already registered).
func (s *Service) FinishPasskeyRegistration(ctx context.Context, token string, credential json.RawMessage) (*domain.Passkey, []string, error) {
	a, now, err := s.credentialActor(ctx, domain.PendingMFAEnrollment)
	if err != nil {
		return nil, nil, err
	}
	id, secret, ok := parseToken(token, challengeTokenPrefix, domain.KindChallenge)
	if !ok {
		return nil, nil, domain.Invalid("registration_token", "registration_token is not a token this server issued")
	}
	if err := checkCredentialJSON(credential); err != nil {
		return nil, nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, nil, errMalformedCredential(err)
	}
	c, err := s.sessions.GetChallenge(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, errChallenge
	}
	if err != nil {
		return nil, nil, err
	}
	if !secretMatches(secret, c.SecretHash) || c.Kind != domain.ChallengeWebAuthnRegister || c.UserID != a.UserID ||
		c.SessionID != a.SessionID || !c.UsedAt.IsZero() || !now.Before(c.ExpiresAt) {
		return nil, nil, errChallenge
	}
	var st registrationState
	var session webauthn.SessionData
	if err := json.Unmarshal([]byte(c.Data), &st); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal([]byte(st.Session), &session); err != nil {
		return nil, nil, err
	}
	u, err := s.users.GetUser(ctx, a.UserID)
	if err != nil {
		return nil, nil, err
	}
	passkeys, err := s.factors.ListPasskeys(ctx, a.UserID)
	if err != nil {
		return nil, nil, err
	}
	user, err := newWAUser(u, passkeys)
	if err != nil {
		return nil, nil, err
	}
	cred, err := s.webauthn.wa.CreateCredential(user, session, parsed)
	if err != nil {
		ev := domain.NewAuditEvent(ctx, now, "mfa.webauthn.register", "user", string(a.UserID))
		ev.Outcome, ev.Reason = domain.OutcomeDenied, "registration response did not verify"
		s.record(ctx, ev)
		return nil, nil, domain.Unauthenticated("the authenticator's response did not verify; start again")
	}
	if used, err := s.sessions.ConsumeChallenge(ctx, c.ID, now); err != nil || !used {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, errChallenge
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, nil, err
	}
	pk := &domain.Passkey{ID: domain.NewIDAt(domain.KindPasskey, now), UserID: a.UserID, CredentialID: cred.ID,
		Name: st.Name, Credential: raw, CreatedAt: now}
	codes, err := s.firstFactorDone(ctx, a, now, "mfa.webauthn.register", func(hashes [][]byte, ev *domain.AuditEvent) error {
		ev.TargetType, ev.TargetID = "passkey", string(pk.ID)
		return s.factors.CreatePasskey(ctx, pk, hashes, ev)
	})
	if err != nil {
		return nil, nil, err
	}
	pk.Credential = nil
	return pk, codes, nil
}

// RemovePasskey removes one of the caller's passkeys.
//
// Authorization: own session, fresh. Errors: step_up_required, forbidden,
// not_found.
func (s *Service) RemovePasskey(ctx context.Context, id domain.ID) error {
	a, now, err := s.credentialActor(ctx)
	if err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, now, "mfa.webauthn.remove", "passkey", string(id))
	return s.factors.DeletePasskey(ctx, a.UserID, id, ev)
}
