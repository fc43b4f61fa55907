package httpserver

import (
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// DefaultTicketKeyRotation is how often a new session ticket key starts
// encrypting tickets. The key before it still decrypts for one more
// period, then it is dropped: a ticket resumes a TLS session for at most
// twice this (24 hours), where Go's default is 7 days.
const DefaultTicketKeyRotation = 12 * time.Hour

// ticketKeys rotates the keys that encrypt TLS session tickets (TLS 1.2
// tickets and TLS 1.3 resumption PSKs). Keys live in this process's
// memory only: a ticket resumes only on the node that issued it, and a
// dropped key takes every ticket it encrypted with it.
type ticketKeys struct {
	cfg   *tls.Config
	now   func() time.Time
	every time.Duration

	mu   sync.Mutex
	keys []ticketKey // newest first: the current key, then the previous
}

type ticketKey struct {
	key     [32]byte
	created time.Time
}

// newTicketKeys installs a first key on cfg, turning off Go's own
// rotation (new key daily, each valid 7 days).
func newTicketKeys(cfg *tls.Config, now func() time.Time, every time.Duration) *ticketKeys {
	k := &ticketKeys{cfg: cfg, now: now, every: every}
	k.rotate()
	return k
}

// rotate makes a new current key once the current one is a period old and
// drops the previous key once it is two periods old. It runs at every
// handshake and on the server's maintenance tick, so keys are dropped on
// time even when no client connects.
func (k *ticketKeys) rotate() {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	fresh := len(k.keys) > 0 && now.Sub(k.keys[0].created) < k.every
	if fresh && (len(k.keys) < 2 || now.Sub(k.keys[1].created) < 2*k.every) {
		return
	}
	next := make([]ticketKey, 0, 2)
	if !fresh {
		nk := ticketKey{created: now}
		_, _ = rand.Read(nk.key[:]) // crypto/rand never fails on supported platforms
		next = append(next, nk)
	}
	for _, key := range k.keys {
		if len(next) < 2 && now.Sub(key.created) < 2*k.every {
			next = append(next, key)
		}
	}
	for i := range k.keys {
		clear(k.keys[i].key[:])
	}
	k.keys = next
	raw := make([][32]byte, len(next))
	for i, key := range next {
		raw[i] = key.key
	}
	k.cfg.SetSessionTicketKeys(raw)
	clear(raw)
}
