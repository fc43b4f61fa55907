package domain

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// ID identifies a record. It is a kind prefix and an underscore followed by
// 26 characters of lowercase Crockford base32 holding a 48-bit millisecond
// timestamp and 80 random bits, so IDs sort by creation time (cursor
// pagination relies on it) and a customer id can never be mistaken for a
// deal id.
type ID string

// Kind prefixes for IDs.
const (
	KindCustomer  = "cus"
	KindContact   = "con"
	KindDeal      = "dea"
	KindVisit     = "vis"
	KindNote      = "not"
	KindTask      = "tsk"
	KindUser      = "usr"
	KindTeam      = "tea"
	KindTerritory = "ter"
	KindSession   = "ses"
	KindToken     = "tok"
	KindDataKey   = "dek"
	KindRequest   = "req"
	KindDevice    = "dev"
	KindImport    = "imp"
	KindChallenge = "chl" // a sign-in or step-up waiting for its second factor
	KindPasskey   = "pky" // a WebAuthn credential
	// KindNotification is an entry of a user's notification inbox.
	KindNotification = "ntf"
	// KindPoolMove is one move of a customer into or out of the pool.
	KindPoolMove = "pmv"
)

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

var crockfordIndex = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(crockford); i++ {
		t[crockford[i]] = byte(i)
	}
	return t
}()

// NewID returns a fresh ID of the given kind.
func NewID(kind string) ID {
	return NewIDAt(kind, time.Now())
}

// NewIDAt returns a fresh ID of the given kind carrying timestamp t.
func NewIDAt(kind string, t time.Time) ID {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
	return ID(kind + "_" + encode128(b))
}

func encode128(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	// 128 bits in 26 groups of 5 bits = 130 bits: the first group holds the
	// top 3 bits.
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ParseID checks that s is a well-formed ID of kind and returns it. field
// names the input in the error.
func ParseID(kind, field, s string) (ID, error) {
	if !ValidID(kind, s) {
		return "", Invalid(field, "must be a %s id (%s_…)", kindName(kind), kind)
	}
	return ID(s), nil
}

// ValidID reports whether s is a well-formed ID of kind.
func ValidID(kind, s string) bool {
	if len(s) != len(kind)+1+26 || s[:len(kind)] != kind || s[len(kind)] != '_' {
		return false
	}
	body := s[len(kind)+1:]
	if crockfordIndex[body[0]] > 7 { // only 3 bits in the first group
		return false
	}
	for i := 0; i < len(body); i++ {
		if crockfordIndex[body[i]] == 0xff {
			return false
		}
	}
	return true
}

// Kind returns the prefix of id, or "" when it has none.
func (id ID) Kind() string {
	for i := 0; i < len(id); i++ {
		if id[i] == '_' {
			return string(id[:i])
		}
	}
	return ""
}

func (id ID) String() string { return string(id) }

func kindName(kind string) string {
	switch kind {
	case KindCustomer:
		return "customer"
	case KindContact:
		return "contact"
	case KindDeal:
		return "deal"
	case KindVisit:
		return "visit"
	case KindNote:
		return "note"
	case KindTask:
		return "task"
	case KindUser:
		return "user"
	case KindTeam:
		return "team"
	case KindTerritory:
		return "territory"
	case KindSession:
		return "session"
	case KindToken:
		return "token"
	case KindDevice:
		return "device"
	case KindPasskey:
		return "passkey"
	case KindChallenge:
		return "challenge"
	case KindNotification:
		return "notification"
	}
	return kind
}
