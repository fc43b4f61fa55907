package identity

import (
	"crypto/rand"
	"strings"

	"github.com/custoscrm/custos/internal/policy"
)

// GeneratePassword returns a random 120-bit password in five groups of
// five lower-case letters and digits, easy to type once and change. It
// passes the password policy (CheckPassword) for any email.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	const limit = 256 - 256%len(alphabet) // reject bytes that would bias the draw
	var sb strings.Builder
	var buf [64]byte
	n := 0
	for n < 25 {
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			if int(c) >= limit || n == 25 {
				continue
			}
			if n > 0 && n%5 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(c)%len(alphabet)])
			n++
		}
	}
	return sb.String()
}

// TokenScopes lists the scopes an API token may carry, sorted.
func TokenScopes() []string { return policy.TokenScopes() }
