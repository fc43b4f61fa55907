package audit

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// ECS shapes an audit event as an Elastic Common Schema document, the
// form shipped to a SIEM as JSON lines and inside syslog messages, so ELK
// and Splunk ingest it without custom parsing. Standard ECS fields are
// used where they fit (@timestamp, event.*, user.id, source.ip,
// user_agent.original, http.request.id); what ECS has no field for lives
// under "custos".
type ECS struct {
	Timestamp string     `json:"@timestamp"`
	ECS       ecsVersion `json:"ecs"`
	Event     ecsEvent   `json:"event"`
	User      *ecsUser   `json:"user,omitempty"`
	Source    *ecsSource `json:"source,omitempty"`
	UserAgent *ecsUA     `json:"user_agent,omitempty"`
	HTTP      *ecsHTTP   `json:"http,omitempty"`
	Custos    ecsCustos  `json:"custos"`
}

type ecsVersion struct {
	Version string `json:"version"`
}

type ecsEvent struct {
	Kind     string   `json:"kind"`
	Module   string   `json:"module"`
	Dataset  string   `json:"dataset"`
	Action   string   `json:"action"`
	Outcome  string   `json:"outcome"`
	Category []string `json:"category,omitempty"`
	Type     []string `json:"type,omitempty"`
	Sequence int64    `json:"sequence"`
	ID       string   `json:"id"`
	Reason   string   `json:"reason,omitempty"`
}

type ecsUser struct {
	ID string `json:"id"`
}

type ecsSource struct {
	IP string `json:"ip"`
}

type ecsUA struct {
	Original string `json:"original"`
}

type ecsHTTP struct {
	Request ecsRequest `json:"request"`
}

type ecsRequest struct {
	ID string `json:"id"`
}

type ecsCustos struct {
	Log       string         `json:"log"`
	Outcome   domain.Outcome `json:"outcome"`
	SessionID domain.ID      `json:"session_id,omitempty"`
	TokenID   domain.ID      `json:"token_id,omitempty"`
	DeviceID  domain.ID      `json:"device_id,omitempty"`
	Target    *ecsTarget     `json:"target,omitempty"`
	Fields    []string       `json:"fields,omitempty"`
}

type ecsTarget struct {
	Type string   `json:"type,omitempty"`
	ID   string   `json:"id,omitempty"`
	IDs  []string `json:"ids,omitempty"`
}

// ToECS returns ev as an ECS document; origin names the log.
func ToECS(ev *domain.AuditEvent, origin string) *ECS {
	d := &ECS{
		Timestamp: ev.Time.UTC().Format("2006-01-02T15:04:05.000000Z"),
		ECS:       ecsVersion{Version: "8.11.0"},
		Event: ecsEvent{
			Kind: "event", Module: "custos", Dataset: "custos.audit", Action: ev.Action,
			Outcome: ecsOutcome(ev.Outcome), Sequence: ev.Seq, ID: origin + "/" + strconv.FormatInt(ev.Seq, 10),
			Reason: ev.Reason,
		},
		Custos: ecsCustos{Log: origin, Outcome: ev.Outcome, SessionID: ev.ActorSession, TokenID: ev.ActorToken,
			DeviceID: ev.ActorDevice, Fields: ev.Fields},
	}
	d.Event.Category, d.Event.Type = ecsKinds(ev)
	if ev.ActorUser != "" {
		d.User = &ecsUser{ID: string(ev.ActorUser)}
	}
	if ip := net.ParseIP(ev.SourceIP); ip != nil {
		d.Source = &ecsSource{IP: ip.String()}
	}
	if ev.UserAgent != "" {
		d.UserAgent = &ecsUA{Original: ev.UserAgent}
	}
	if ev.RequestID != "" {
		d.HTTP = &ecsHTTP{Request: ecsRequest{ID: ev.RequestID}}
	}
	if ev.TargetType != "" || ev.TargetID != "" || len(ev.TargetIDs) > 0 {
		d.Custos.Target = &ecsTarget{Type: ev.TargetType, ID: ev.TargetID, IDs: ev.TargetIDs}
	}
	return d
}

// MarshalECS returns ev's ECS document as one line of JSON (no newline).
func MarshalECS(ev *domain.AuditEvent, origin string) ([]byte, error) {
	return json.Marshal(ToECS(ev, origin))
}

func ecsOutcome(o domain.Outcome) string {
	switch o {
	case domain.OutcomeAllowed:
		return "success"
	case domain.OutcomeDenied, domain.OutcomeError:
		return "failure"
	}
	return "unknown"
}

// ecsKinds maps an action to ECS event.category and event.type.
func ecsKinds(ev *domain.AuditEvent) (category, typ []string) {
	object, verb, _ := strings.Cut(ev.Action, ".")
	switch object {
	case "auth":
		category = []string{"authentication"}
	case "session":
		category = []string{"session"}
	case "user", "team", "role", "token":
		category = []string{"iam"}
	case "key", "config":
		category = []string{"configuration"}
	default:
		category = []string{"database"}
	}
	switch {
	case verb == "create":
		typ = []string{"creation"}
	case verb == "update" || strings.HasSuffix(verb, "change") || verb == "rotate":
		typ = []string{"change"}
	case verb == "delete" || verb == "destroy" || verb == "revoke" || verb == "disable":
		typ = []string{"deletion"}
	case verb == "login":
		typ = []string{"start"}
	case verb == "logout" || verb == "end":
		typ = []string{"end"}
	default:
		typ = []string{"access"}
	}
	switch ev.Outcome {
	case domain.OutcomeDenied:
		typ = append(typ, "denied")
	case domain.OutcomeError:
		typ = append(typ, "error")
	}
	return category, typ
}
