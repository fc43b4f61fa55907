package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Recovery codes are 16 characters of lower-case Crockford base32 (80
// random bits), shown as xxxx-xxxx-xxxx-xxxx. Each works once. Only a
// SHA-256 hash bound to the user is stored: 80 bits leave nothing to
// brute-force, so a slow hash would add cost without adding safety.
const (
	recoveryCodeCount = 10
	recoveryCodeLen   = 16
	recoveryAlphabet  = "0123456789abcdefghjkmnpqrstvwxyz"
)

func newRecoveryCodes(userID domain.ID) (codes []string, hashes [][]byte) {
	for range recoveryCodeCount {
		var b [recoveryCodeLen]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[c&31])
		}
		code := sb.String()
		n, _ := normalizeRecoveryCode(code)
		codes = append(codes, code)
		hashes = append(hashes, recoveryHash(userID, n))
	}
	return codes, hashes
}

// normalizeRecoveryCode drops dashes and spaces, lower-cases, and reads
// the Crockford look-alikes (i, l → 1; o → 0).
func normalizeRecoveryCode(code string) (string, bool) {
	if len(code) > 64 {
		return "", false
	}
	var sb strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'i' || r == 'l':
			r = '1'
		case r == 'o':
			r = '0'
		}
		if r > 127 || !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
		sb.WriteRune(r)
	}
	if sb.Len() != recoveryCodeLen {
		return "", false
	}
	return sb.String(), true
}

func recoveryHash(userID domain.ID, normalized string) []byte {
	sum := sha256.Sum256([]byte("custos/recovery/v1\x00" + string(userID) + "\x00" + normalized))
	return sum[:]
}

// useRecoveryCode checks a recovery code against every unused one of the
// user in constant time and uses it up.
func (s *Service) useRecoveryCode(ctx context.Context, userID domain.ID, code string, now time.Time) (bool, error) {
	n, ok := normalizeRecoveryCode(code)
	if !ok {
		return false, nil
	}
	want := recoveryHash(userID, n)
	hashes, err := s.factors.RecoveryCodeHashes(ctx, userID)
	if err != nil {
		return false, err
	}
	found := 0
	for _, h := range hashes {
		found |= subtle.ConstantTimeCompare(h, want)
	}
	if found == 0 {
		return false, nil
	}
	return s.factors.UseRecoveryCode(ctx, userID, want, now)
}

// RegenerateRecoveryCodes replaces the caller's recovery codes with new
// ones (shown once).
//
// Authorization: own session, fresh. Errors: step_up_required, forbidden,
// conflict (no second factor enrolled).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context) ([]string, error) {
	a, now, err := s.credentialActor(ctx)
	if err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes(a.UserID)
	ev := domain.NewAuditEvent(ctx, now, "mfa.recovery_codes.regenerate", "user", string(a.UserID))
	if err := s.factors.ReplaceRecoveryCodes(ctx, a.UserID, hashes, now, ev); err != nil {
		return nil, err
	}
	return codes, nil
}
