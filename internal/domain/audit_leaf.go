package domain

import (
	"strconv"
	"strings"
)

// LeafPrefix opens every audit leaf; it names the encoding version so a
// future format can never be mistaken for this one.
const LeafPrefix = "custos.audit.leaf.v1\n"

// Leaf returns the canonical encoding of ev as a leaf of the audit log's
// Merkle tree. It covers every stored column of the event and its
// sequence number, one "name value" line each in a fixed order, with
// string values Go-quoted (so no value can add or hide a line). Lists are
// encoded as stored: comma-joined. The same event always encodes to the
// same bytes, so a verifier can recompute the leaf from the stored
// columns alone. Events hold ids and field names only, never personal
// data values.
func (ev *AuditEvent) Leaf() []byte {
	b := make([]byte, 0, 256+len(ev.UserAgent))
	b = append(b, LeafPrefix...)
	b = leafInt(b, "seq", ev.Seq)
	b = leafInt(b, "time", ev.Time.UnixMicro())
	b = leafStr(b, "actor.user", string(ev.ActorUser))
	b = leafStr(b, "actor.session", string(ev.ActorSession))
	b = leafStr(b, "actor.token", string(ev.ActorToken))
	b = leafStr(b, "actor.device", string(ev.ActorDevice))
	b = leafStr(b, "source.ip", ev.SourceIP)
	b = leafStr(b, "user_agent", ev.UserAgent)
	b = leafStr(b, "request.id", ev.RequestID)
	b = leafStr(b, "action", ev.Action)
	b = leafStr(b, "target.type", ev.TargetType)
	b = leafStr(b, "target.id", ev.TargetID)
	b = leafStr(b, "target.ids", strings.Join(ev.TargetIDs, ","))
	b = leafStr(b, "fields", strings.Join(ev.Fields, ","))
	b = leafStr(b, "outcome", string(ev.Outcome))
	b = leafStr(b, "reason", ev.Reason)
	return b
}

func leafInt(b []byte, name string, v int64) []byte {
	b = append(b, name...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, v, 10)
	return append(b, '\n')
}

func leafStr(b []byte, name, v string) []byte {
	b = append(b, name...)
	b = append(b, ' ')
	if plainASCII(v) {
		// strconv.Quote leaves printable ASCII other than " and \ as is:
		// the same bytes, without its per-rune Unicode checks.
		b = append(b, '"')
		b = append(b, v...)
		b = append(b, '"')
	} else {
		b = strconv.AppendQuote(b, v)
	}
	return append(b, '\n')
}

func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
