package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/custoscrm/custos/internal/domain"
)

// maxCredentialBytes bounds a WebAuthn payload.
const maxCredentialBytes = 64 << 10

// checkFactorInput refuses a malformed second-factor answer before any
// lookup: an unknown method, a code that cannot be a code of the method,
// a WebAuthn credential that is not a JSON object.
func checkFactorInput(method, code string, credential json.RawMessage) error {
	switch method {
	case domain.MethodTOTP:
		if _, ok := normalizeTOTPCode(code); !ok {
			return domain.Invalid("code", "a TOTP code is 6 digits")
		}
	case domain.MethodRecoveryCode:
		if _, ok := normalizeRecoveryCode(code); !ok {
			return domain.Invalid("code", "a recovery code is 16 letters and digits (xxxx-xxxx-xxxx-xxxx)")
		}
	case domain.MethodWebAuthn:
		if err := checkCredentialJSON(credential); err != nil {
			return err
		}
		if _, err := protocol.ParseCredentialRequestResponseBytes(credential); err != nil {
			return errMalformedCredential(err)
		}
	case "":
		return domain.Invalid("method", "method is required: totp, recovery_code or webauthn")
	default:
		return domain.Invalid("method", "method must be totp, recovery_code or webauthn")
	}
	return nil
}

// checkCredentialJSON refuses a WebAuthn payload that is not a JSON
// object of reasonable size.
func checkCredentialJSON(credential json.RawMessage) error {
	if len(credential) > maxCredentialBytes {
		return domain.Invalid("credential", "the credential is larger than %d bytes", maxCredentialBytes)
	}
	if t := bytes.TrimSpace(credential); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return domain.Invalid("credential", "credential must be the PublicKeyCredential as a JSON object")
	}
	return nil
}

// verifyFactor checks a second factor of u; ok is false for a wrong,
// expired or replayed one. data is the WebAuthn ceremony state of the
// challenge. A structurally invalid WebAuthn assertion is bad input
// (invalid, field credential).
func (s *Service) verifyFactor(ctx context.Context, u *domain.User, method, code string, credential json.RawMessage, data string, now time.Time) (bool, error) {
	switch method {
	case domain.MethodTOTP:
		return s.verifyTOTP(ctx, u.ID, code, now)
	case domain.MethodRecoveryCode:
		return s.useRecoveryCode(ctx, u.ID, code, now)
	case domain.MethodWebAuthn:
		if data == "" {
			return false, nil
		}
		passkeys, err := s.factors.ListPasskeys(ctx, u.ID)
		if err != nil {
			return false, err
		}
		pk, updated, err := s.webauthn.finishLogin(u, passkeys, data, credential)
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				return false, err
			}
			return false, nil
		}
		if err := s.factors.UpdatePasskeyUse(ctx, pk.ID, updated, now); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, domain.Invalid("method", "method must be totp, recovery_code or webauthn")
}

// mfaMethods lists the second factors u can answer a challenge with, and
// their passkeys.
func (s *Service) mfaMethods(ctx context.Context, userID domain.ID) ([]string, []*domain.Passkey, error) {
	var methods []string
	t, err := s.factors.GetTOTP(ctx, userID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, nil, err
	}
	if t != nil && t.Confirmed {
		methods = append(methods, domain.MethodTOTP)
	}
	passkeys, err := s.factors.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if len(passkeys) > 0 {
		methods = append(methods, domain.MethodWebAuthn)
	}
	codes, err := s.factors.RecoveryCodeHashes(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if len(codes) > 0 {
		methods = append(methods, domain.MethodRecoveryCode)
	}
	return methods, passkeys, nil
}
