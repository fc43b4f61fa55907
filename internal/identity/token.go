package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// A bearer credential is "<prefix>.<record id>.<secret>": the prefix says
// what it is, the id finds the record, the 256-bit secret proves
// possession. Only SHA-256 of the secret is stored, and it is compared in
// constant time.
const (
	sessionTokenPrefix   = "cs1" // a session (sign-in)
	apiTokenPrefix       = "ct1" // an API token
	challengeTokenPrefix = "cm1" // a sign-in or step-up waiting for its second factor
	secretLen            = 32
	// maxTokenLen bounds what is parsed at all.
	maxTokenLen = 128
)

func newSecret() (string, []byte) {
	b := make([]byte, secretLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, hashSecret(s)
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func formatToken(prefix string, id domain.ID, secret string) string {
	return prefix + "." + string(id) + "." + secret
}

// parseToken splits a bearer credential; ok is false when it is malformed.
func parseToken(tok, prefix, kind string) (domain.ID, string, bool) {
	if len(tok) > maxTokenLen {
		return "", "", false
	}
	p, rest, ok := strings.Cut(tok, ".")
	if !ok || p != prefix {
		return "", "", false
	}
	id, secret, ok := strings.Cut(rest, ".")
	if !ok || !domain.ValidID(kind, id) || len(secret) != base64.RawURLEncoding.EncodedLen(secretLen) {
		return "", "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", false
	}
	return domain.ID(id), secret, true
}

// ParseBearer tells which kind of credential tok is and returns its
// record id; ok is false for anything malformed. It is exported for
// fuzzing.
func ParseBearer(tok string) (prefix string, id domain.ID, ok bool) {
	for _, k := range []struct{ prefix, kind string }{
		{sessionTokenPrefix, domain.KindSession},
		{apiTokenPrefix, domain.KindToken},
		{challengeTokenPrefix, domain.KindChallenge},
	} {
		if id, _, ok := parseToken(tok, k.prefix, k.kind); ok {
			return k.prefix, id, true
		}
	}
	return "", "", false
}

func secretMatches(secret string, stored []byte) bool {
	return subtle.ConstantTimeCompare(hashSecret(secret), stored) == 1
}
