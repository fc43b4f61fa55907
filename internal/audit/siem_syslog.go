package audit

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// RFC 5424 syslog with RFC 6587 octet-counting framing: every message is
// "<length> <message>", so messages may hold any byte, newlines included.

const (
	syslogFacility = 13    // log audit
	syslogPEN      = 32473 // the private enterprise number set aside for examples and documentation (RFC 5612)
)

// syslogSeverity maps an outcome to a severity: informational for allowed,
// notice for denied, error for error.
func syslogSeverity(o domain.Outcome) int {
	switch o {
	case domain.OutcomeDenied:
		return 5
	case domain.OutcomeError:
		return 3
	}
	return 6
}

// FormatSyslog returns ev as one RFC 5424 message (without framing):
//
//	<PRI>1 TIMESTAMP HOSTNAME custos PROCID ACTION [custos@32473 seq="…" outcome="…"] BOM{ECS JSON}
func FormatSyslog(ev *domain.AuditEvent, origin, hostname string, pid int) ([]byte, error) {
	doc, err := MarshalECS(ev, origin)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('<')
	b.WriteString(strconv.Itoa(syslogFacility*8 + syslogSeverity(ev.Outcome)))
	b.WriteString(">1 ")
	b.WriteString(ev.Time.UTC().Format("2006-01-02T15:04:05.000000Z"))
	b.WriteByte(' ')
	b.WriteString(syslogToken(hostname, 255))
	b.WriteString(" custos ")
	b.WriteString(strconv.Itoa(pid))
	b.WriteByte(' ')
	b.WriteString(syslogToken(ev.Action, 32))
	b.WriteString(` [custos@` + strconv.Itoa(syslogPEN) + ` seq="`)
	b.WriteString(strconv.FormatInt(ev.Seq, 10))
	b.WriteString(`" outcome="`)
	b.WriteString(sdEscape(string(ev.Outcome)))
	b.WriteString(`" log="`)
	b.WriteString(sdEscape(origin))
	b.WriteString(`"] `)
	b.WriteString("\xef\xbb\xbf") // BOM: the message is UTF-8
	b.Write(doc)
	return b.Bytes(), nil
}

// FrameOctetCounted frames a message for syslog over TCP (RFC 6587 §3.4.1).
func FrameOctetCounted(dst, msg []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(msg)), 10)
	dst = append(dst, ' ')
	return append(dst, msg...)
}

// syslogToken keeps a header field to printable US-ASCII without spaces,
// at most n bytes; an empty field is "-".
func syslogToken(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if c := s[i]; c > 32 && c < 127 {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// sdEscape escapes a structured-data parameter value (RFC 5424 §6.3.3).
func sdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)
	return r.Replace(s)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "-"
	}
	return h
}
