package identity

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/custoscrm/custos/internal/domain"
)

// FuzzParseBearer feeds arbitrary bearer credentials to the parser: it
// never panics, accepts only well-formed tokens of a known kind, and
// everything it accepts round-trips.
func FuzzParseBearer(f *testing.F) {
	secret, _ := newSecret()
	for _, s := range []string{
		formatToken(sessionTokenPrefix, domain.NewID(domain.KindSession), secret),
		formatToken(apiTokenPrefix, domain.NewID(domain.KindToken), secret),
		formatToken(challengeTokenPrefix, domain.NewID(domain.KindChallenge), secret),
		"", "cs1", "cs1..", "ct1.tok_.x", "cs1.ses_01m84ztas6f8qe2qrsjv15xa69.", strings.Repeat("A", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		prefix, id, ok := ParseBearer(tok)
		if !ok {
			return
		}
		if len(tok) > maxTokenLen {
			t.Fatalf("accepted a %d-byte token", len(tok))
		}
		kind := map[string]string{sessionTokenPrefix: domain.KindSession, apiTokenPrefix: domain.KindToken, challengeTokenPrefix: domain.KindChallenge}[prefix]
		if kind == "" || !domain.ValidID(kind, string(id)) || !strings.HasPrefix(tok, prefix+"."+string(id)+".") {
			t.Fatalf("accepted %q as %s %s", tok, prefix, id)
		}
	})
}

// FuzzSecondFactorInput feeds arbitrary codes and WebAuthn payloads to
// the input checks and parsers a sign-in's second step runs first: they
// never panic, a refusal is always invalid input naming its field, and
// what passes normalizes to the exact shape of its kind.
func FuzzSecondFactorInput(f *testing.F) {
	codes, _ := newRecoveryCodes("usr_01m84ztas6f8qe2qrsjv15xa69")
	w, err := newWebAuthn(WebAuthnConfig{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ method, code, cred string }{
		{domain.MethodTOTP, "123456", ""}, {domain.MethodTOTP, "123 456", ""}, {domain.MethodTOTP, "12345x", ""},
		{domain.MethodRecoveryCode, codes[0], ""}, {domain.MethodRecoveryCode, strings.ToUpper(codes[1]), ""},
		{domain.MethodWebAuthn, "", `{"id":"x","rawId":"x","type":"public-key","response":{}}`},
		{domain.MethodWebAuthn, "", `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"authenticatorData":"AAAA","clientDataJSON":"e30","signature":"AAAA"}}`},
		{domain.MethodWebAuthn, "", `[]`}, {"sms", "1", ""}, {"", "", ""},
	} {
		f.Add(s.method, s.code, []byte(s.cred))
	}
	f.Fuzz(func(t *testing.T, method, code string, cred []byte) {
		// Registration payloads go through the JSON check and the
		// attestation parser: neither panics.
		if checkCredentialJSON(cred) == nil {
			_, _ = protocol.ParseCredentialCreationResponseBytes(cred)
		}
		err := checkFactorInput(method, code, json.RawMessage(cred))
		if err != nil {
			e := domain.AsError(err)
			if e.Code != domain.CodeInvalid || (e.Field != "code" && e.Field != "method" && e.Field != "credential") {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		switch method {
		case domain.MethodTOTP:
			if c, ok := normalizeTOTPCode(code); !ok || len(c) != 6 {
				t.Fatalf("TOTP code %q passed as %q", code, c)
			}
		case domain.MethodRecoveryCode:
			if c, ok := normalizeRecoveryCode(code); !ok || len(c) != recoveryCodeLen {
				t.Fatalf("recovery code %q passed as %q", code, c)
			}
		case domain.MethodWebAuthn:
			// A parsed assertion never verifies without a passkey.
			if _, _, err := w.finishLogin(&domain.User{ID: "usr_x"}, nil, "{}", cred); err == nil {
				t.Fatal("an assertion verified without a passkey")
			}
		default:
			t.Fatalf("method %q passed", method)
		}
	})
}
