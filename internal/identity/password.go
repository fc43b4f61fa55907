package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"golang.org/x/crypto/argon2"

	"github.com/custoscrm/custos/internal/domain"
)

// Argon2Params are argon2id cost parameters.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// OWASPMinimum is OWASP's minimum recommendation for argon2id (19 MiB,
// t=2, p=1); Custos refuses weaker settings outside tests.
var OWASPMinimum = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// AtLeast reports whether p is no weaker than min in every dimension.
func (p Argon2Params) AtLeast(min Argon2Params) bool {
	return p.MemoryKiB >= min.MemoryKiB && p.Iterations >= min.Iterations && p.Parallelism >= min.Parallelism
}

const (
	saltLen = 16
	hashLen = 32
)

// Hasher hashes and verifies passwords with argon2id, never running more
// than a fixed number of hashes at once: each costs MemoryKiB of RAM, so a
// login flood queues instead of exhausting memory.
type Hasher struct {
	params Argon2Params
	sem    chan struct{}
	dummy  string
}

// NewHasher returns a hasher with the given parameters running at most
// concurrency hashes at once (0 means the number of CPUs).
func NewHasher(p Argon2Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = max(2, runtime.NumCPU())
	}
	h := &Hasher{params: p, sem: make(chan struct{}, concurrency)}
	// A hash of a random password with the current parameters: verifying
	// against it for unknown users costs exactly as much as a real check.
	var pw [32]byte
	_, _ = rand.Read(pw[:])
	h.dummy = h.hashNow(string(pw[:]))
	return h
}

// Params returns the hasher's current parameters.
func (h *Hasher) Params() Argon2Params { return h.params }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &domain.Error{Code: domain.CodeUnavailable, Message: "too many sign-ins at once; try again", Err: ctx.Err()}
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hashNow(password), nil
}

func (h *Hasher) hashNow(password string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	p := h.params
	sum := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, hashLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
}

// Verify checks password against encoded in constant time. It reports
// whether the hash should be upgraded to the current parameters. An empty
// encoded hash (unknown user) is checked against a dummy hash so the
// caller's timing does not reveal whether the account exists.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, upgrade bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	known := encoded != ""
	if !known {
		encoded = h.dummy
	}
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(min(len(want), 1024))) //nolint:gosec // bounded on the line itself
	match := subtle.ConstantTimeCompare(got, want) == 1
	return match && known, match && known && p != h.params, nil
}

var errBadHash = errors.New("identity: malformed password hash")

func decodeHash(s string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errBadHash
	}
	var m, t, par uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, errBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, errBadHash
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			par = n
		}
	}
	if m == 0 || t == 0 || par == 0 || par > 255 {
		return p, nil, nil, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errBadHash
	}
	sum, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(sum) < 16 {
		return p, nil, nil, errBadHash
	}
	return Argon2Params{MemoryKiB: uint32(m), Iterations: uint32(t), Parallelism: uint8(par)}, salt, sum, nil
}

// checkPresented refuses a password presented for verification (sign-in,
// step-up, the current password) that is not valid UTF-8. Passwords are
// compared as the exact bytes given, with no Unicode normalization,
// trimming or case folding, and every hash was made from valid UTF-8
// (CheckPassword), so such a password could never match: the caller is
// told so rather than charged a hash and a throttled failure.
func checkPresented(field, password string) error {
	if at := domain.InvalidUTF8At(password); at >= 0 {
		return domain.Invalid(field, "%s is not valid UTF-8 (byte %d); passwords are compared as the exact UTF-8 sent", field, at)
	}
	if strings.IndexByte(password, 0) >= 0 {
		return domain.Invalid(field, "%s must not contain a NUL character", field)
	}
	return nil
}

// Password length limits, in characters. Long passphrases are welcome and
// never truncated; the upper bound only stops abuse of the hash.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
	// MinPasswordScore is the lowest zxcvbn score (0–4) accepted: 0 and 1
	// are the common passwords, dictionary words, names, keyboard walks,
	// repeats and sequences (with or without a few digits appended) that
	// an attacker tries first.
	MinPasswordScore = 2
	// estimateRunes is how much of a password the estimator reads. Its cost
	// grows steeply with length (seconds at 1,000 characters), and a
	// passphrase whose first 64 characters are not guessable is not
	// guessable.
	estimateRunes = 64
	// minDistinctRunes refuses passwords made of a handful of characters
	// repeated (ababab…, 密码密码…), which the estimator scores by their
	// first 64 characters only.
	minDistinctRunes = 5
)

// distinctRunes counts the distinct runes of s, stopping at limit.
func distinctRunes(s string, limit int) int {
	seen := make(map[rune]bool, limit)
	for _, r := range s {
		seen[r] = true
		if len(seen) >= limit {
			break
		}
	}
	return len(seen)
}

// CheckPassword applies the password policy: 12 to 1024 characters of
// valid UTF-8 (any script), not the account's email, at least 5 distinct
// characters, and not guessable by
// the zxcvbn estimator (score at least MinPasswordScore), which knows the
// most common passwords, English words, names and surnames, and patterns
// such as dates, repeats, sequences and keyboard walks, and is told the
// account's email so a password made of it scores low.
func CheckPassword(field, password, email string) error {
	if at := domain.InvalidUTF8At(password); at >= 0 {
		return domain.Invalid(field, "password is not valid UTF-8 (byte %d)", at)
	}
	if strings.IndexByte(password, 0) >= 0 {
		return domain.Invalid(field, "password must not contain a NUL character")
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen {
		return domain.Invalid(field, "password must have at least %d characters", MinPasswordLen)
	}
	if n > MaxPasswordLen {
		return domain.Invalid(field, "password must have at most %d characters", MaxPasswordLen)
	}
	if email != "" && strings.EqualFold(strings.TrimSpace(password), email) {
		return domain.Invalid(field, "password must not be your email address")
	}
	if distinctRunes(password, minDistinctRunes) < minDistinctRunes {
		return domain.Invalid(field, "this password repeats too few characters; a few unrelated words make a strong passphrase")
	}
	sample := password
	if n > estimateRunes {
		sample = string([]rune(password)[:estimateRunes])
	}
	var inputs []string
	if email != "" {
		local, _, _ := strings.Cut(email, "@")
		inputs = []string{email, local}
	}
	if zxcvbn.PasswordStrength(sample, inputs).Score < MinPasswordScore {
		return domain.Invalid(field, "this password is too common or too easy to guess; a few unrelated words make a strong passphrase")
	}
	return nil
}
