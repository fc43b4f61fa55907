package jsonapi

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// maxTreeSize bounds tree sizes and sequence numbers accepted in
// requests (2^53, beyond any real log and exact in JSON numbers).
const maxTreeSize = int64(1) << 53

// querySize parses an optional non-negative decimal query parameter;
// absent is def.
func querySize(q url.Values, name string, def int64) (int64, error) {
	v, ok := q[name]
	if !ok {
		return def, nil
	}
	s := v[0]
	if s == "" || len(s) > 16 || (len(s) > 1 && s[0] == '0') {
		return 0, domain.Invalid(name, "%s must be a whole number from 0 to %d", name, maxTreeSize)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, domain.Invalid(name, "%s must be a whole number from 0 to %d", name, maxTreeSize)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxTreeSize {
		return 0, domain.Invalid(name, "%s must be a whole number from 0 to %d", name, maxTreeSize)
	}
	return n, nil
}

// InclusionRequest is a parsed inclusion proof request: the entry's seq
// and the tree size to prove against (0: the newest checkpoint's).
type InclusionRequest struct {
	Seq      int64
	TreeSize int64
}

// ParseInclusionRequest parses ?seq=N[&tree_size=M]. seq is required;
// tree_size, when given, must be at least 1 and larger than seq.
func ParseInclusionRequest(q url.Values) (InclusionRequest, error) {
	var r InclusionRequest
	if err := checkQuery(q, "seq", "tree_size"); err != nil {
		return r, err
	}
	if !q.Has("seq") {
		return r, domain.Invalid("seq", "seq is required")
	}
	var err error
	if r.Seq, err = querySize(q, "seq", 0); err != nil {
		return r, err
	}
	if r.TreeSize, err = querySize(q, "tree_size", 0); err != nil {
		return r, err
	}
	if q.Has("tree_size") && r.TreeSize <= r.Seq {
		return r, domain.Invalid("tree_size", "tree_size must be larger than seq (a tree of N entries holds seq 0 to N-1)")
	}
	return r, nil
}

// ConsistencyRequest is a parsed consistency proof request between tree
// sizes From and To (0: the newest checkpoint's).
type ConsistencyRequest struct {
	From int64
	To   int64
}

// ParseConsistencyRequest parses ?from=N[&to=M]; 1 <= from <= to.
func ParseConsistencyRequest(q url.Values) (ConsistencyRequest, error) {
	var r ConsistencyRequest
	if err := checkQuery(q, "from", "to"); err != nil {
		return r, err
	}
	if !q.Has("from") {
		return r, domain.Invalid("from", "from is required")
	}
	var err error
	if r.From, err = querySize(q, "from", 0); err != nil {
		return r, err
	}
	if r.From < 1 {
		return r, domain.Invalid("from", "from must be at least 1 (an empty tree proves nothing)")
	}
	if r.To, err = querySize(q, "to", 0); err != nil {
		return r, err
	}
	if q.Has("to") && r.To < r.From {
		return r, domain.Invalid("to", "to must not be smaller than from")
	}
	return r, nil
}

// auditFilterParams are the search filters shared by search and export.
var auditFilterParams = []string{"actor", "target", "action", "outcome", "since", "until"}

// parseAuditFilter reads the search filters into f.
func parseAuditFilter(q url.Values, f *domain.AuditFilter) error {
	if v := q.Get("actor"); v != "" {
		if v != "system" && !domain.ValidID(domain.KindUser, v) {
			return domain.Invalid("actor", "actor must be a user id (usr_…) or system")
		}
		f.ActorUser = v
	}
	if v := q.Get("target"); v != "" {
		if !validToken(v, 64) {
			return domain.Invalid("target", "target must be a record id")
		}
		f.TargetID = v
	}
	if v := q.Get("action"); v != "" {
		if !validAction(v) {
			return domain.Invalid("action", "action must look like object.verb (e.g. customer.read)")
		}
		f.Action = v
	}
	if v := q.Get("outcome"); v != "" {
		switch domain.Outcome(v) {
		case domain.OutcomeAllowed, domain.OutcomeDenied, domain.OutcomeError:
			f.Outcome = domain.Outcome(v)
		default:
			return domain.Invalid("outcome", "outcome must be allowed, denied or error")
		}
	}
	var err error
	if f.Since, err = queryTime(q, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(q, "until"); err != nil {
		return err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return domain.Invalid("until", "until must be after since")
	}
	return nil
}

// validToken accepts ids: letters, digits, '_', '-', '.', ':' up to n.
func validToken(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// validAction accepts object.verb names: lower-case words of letters,
// digits and underscores joined by dots.
func validAction(s string) bool {
	if len(s) > 64 || !strings.Contains(s, ".") {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Audit search cursors: base64url of "seq:<next seq>".
func encodeSeqCursor(next int64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(next, 10)))
	return &s
}

func decodeSeqCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	rest, ok := strings.CutPrefix(string(b), "seq:")
	if err != nil || !ok {
		return 0, domain.Invalid("cursor", "the cursor is not one this list returned")
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 || n > maxTreeSize || strconv.FormatInt(n, 10) != rest {
		return 0, domain.Invalid("cursor", "the cursor is not one this list returned")
	}
	return n, nil
}
