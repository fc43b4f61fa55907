package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/custoscrm/custos/internal/identity"
)

// EnrollTOTP enrolls an authenticator app for the session token over the
// API, confirming it with the code for now (the server's clock), and
// returns the secret and the recovery codes.
func (s *Server) EnrollTOTP(t testing.TB, token string, now time.Time) (secret string, recovery []string) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/mfa/totp", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("begin TOTP: %d %s", r.Status, r.Body)
	}
	var begin struct {
		Secret string `json:"secret"`
	}
	r.JSON(t, &begin)
	code := TOTPCode(t, begin.Secret, now)
	r = s.Do(t, "POST", "/api/v1/mfa/totp/confirm", token, map[string]string{"code": code})
	if r.Status != http.StatusOK {
		t.Fatalf("confirm TOTP: %d %s", r.Status, r.Body)
	}
	var done struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.JSON(t, &done)
	return begin.Secret, done.RecoveryCodes
}

// TOTPCode returns the TOTP code of secret at t.
func TOTPCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := identity.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MFALogin signs in a user with a second factor over the API: password,
// then the TOTP code for now. It returns the session token.
func (s *Server) MFALogin(t testing.TB, email, password, secret string, now time.Time) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	var ch struct {
		MFAToken string `json:"mfa_token"`
	}
	r.JSON(t, &ch)
	if r.Status != http.StatusOK || ch.MFAToken == "" {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	r = s.Do(t, "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": ch.MFAToken, "method": "totp",
		"code": TOTPCode(t, secret, now)})
	var out struct {
		Token string `json:"token"`
	}
	r.JSON(t, &out)
	if r.Status != http.StatusOK || out.Token == "" {
		t.Fatalf("login %s, second factor: %d %s", email, r.Status, r.Body)
	}
	return out.Token
}

// Passkey is a software WebAuthn authenticator holding one credential,
// acting for a browser at the default origin (https://localhost:8443).
type Passkey struct {
	RP   virtualwebauthn.RelyingParty
	Auth virtualwebauthn.Authenticator
	Cred virtualwebauthn.Credential
}

// NewPasskey returns an authenticator with a fresh EC P-256 credential.
func NewPasskey() *Passkey {
	p := &Passkey{
		RP:   virtualwebauthn.RelyingParty{ID: "localhost", Name: "Custos", Origin: "https://localhost:8443"},
		Auth: virtualwebauthn.NewAuthenticator(),
		Cred: virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, p256Key()),
	}
	p.Auth.AddCredential(p.Cred)
	return p
}

// Create answers registration options (navigator.credentials.create).
func (p *Passkey) Create(t testing.TB, options json.RawMessage) json.RawMessage {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatalf("parse registration options: %v", err)
	}
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(p.RP, p.Auth, p.Cred, *opts))
}

// Get answers assertion options (navigator.credentials.get); each use
// advances the signature counter, as a real authenticator does.
func (p *Passkey) Get(t testing.TB, options json.RawMessage) json.RawMessage {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		t.Fatalf("parse assertion options: %v", err)
	}
	p.Cred.Counter++
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(p.RP, p.Auth, p.Cred, *opts))
}

// RegisterPasskey registers a new software passkey for the session token
// over the API and returns it with the recovery codes (first factor only).
func (s *Server) RegisterPasskey(t testing.TB, token, name string) (*Passkey, []string) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/mfa/webauthn/register", token, map[string]string{"name": name})
	if r.Status != http.StatusOK {
		t.Fatalf("begin passkey registration: %d %s", r.Status, r.Body)
	}
	var begin struct {
		RegistrationToken string          `json:"registration_token"`
		Options           json.RawMessage `json:"options"`
	}
	r.JSON(t, &begin)
	p := NewPasskey()
	r = s.Do(t, "POST", "/api/v1/mfa/webauthn/register/finish", token, map[string]any{
		"registration_token": begin.RegistrationToken, "credential": p.Create(t, begin.Options)})
	if r.Status != http.StatusCreated {
		t.Fatalf("finish passkey registration: %d %s", r.Status, r.Body)
	}
	var done struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.JSON(t, &done)
	return p, done.RecoveryCodes
}

// p256Key returns a PKCS #8 P-256 private key whose public coordinates
// both encode to 32 bytes: the software authenticator writes them without
// leading zeros, which WebAuthn (rightly) refuses, so keys with a short
// coordinate (about 1 in 128) are skipped.
func p256Key() []byte {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		if len(k.X.Bytes()) != 32 || len(k.Y.Bytes()) != 32 { //nolint:staticcheck // the coordinates are what the authenticator encodes
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		return der
	}
}
