package jsonapi

import (
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// duplicateJSON is the duplicate answer beside a 409 conflict: the field,
// what the caller may know of the customer holding it (match), and what
// they can do about it (actions).
//
//	in_scope:  {"customer_id", actions: [open]}
//	pool:      {"customer_id", actions: [claim]}
//	elsewhere: {"reference", "expires_at", actions: [request_transfer]}
type duplicateJSON struct {
	Field      string                `json:"field"`
	Match      domain.DuplicateMatch `json:"match"`
	CustomerID domain.ID             `json:"customer_id,omitempty"`
	Reference  string                `json:"reference,omitempty"`
	ExpiresAt  *time.Time            `json:"expires_at,omitempty"`
	Actions    []actionJSON          `json:"actions"`
}

// actionJSON is a request the client may send next.
type actionJSON struct {
	Rel    string            `json:"rel"`
	Method string            `json:"method"`
	Href   string            `json:"href"`
	Body   map[string]string `json:"body,omitempty"`
}

func toDuplicateJSON(d domain.Duplicate) *duplicateJSON {
	out := &duplicateJSON{Field: d.Field, Match: d.Match, CustomerID: d.CustomerID, Reference: d.Reference}
	switch d.Match {
	case domain.MatchInScope:
		out.Actions = []actionJSON{{Rel: "open", Method: "GET", Href: "/api/v1/customers/" + string(d.CustomerID)}}
	case domain.MatchPool:
		out.Actions = []actionJSON{{Rel: "claim", Method: "POST", Href: "/api/v1/pool/customers/" + string(d.CustomerID) + "/claim"}}
	case domain.MatchElsewhere:
		t := d.ExpiresAt
		out.ExpiresAt = &t
		out.Actions = []actionJSON{{Rel: "request_transfer", Method: "POST", Href: "/api/v1/pool/transfer-requests",
			Body: map[string]string{"reference": d.Reference}}}
	}
	return out
}
