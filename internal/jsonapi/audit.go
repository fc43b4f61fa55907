package jsonapi

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) auditRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/audit/checkpoint", Authenticated, api.auditCheckpoint},
		{"GET", "/api/v1/audit/proofs/inclusion", Authenticated, api.auditInclusion},
		{"GET", "/api/v1/audit/proofs/consistency", Authenticated, api.auditConsistency},
		{"GET", "/api/v1/audit/events", Authenticated, api.auditSearch},
		{"GET", "/api/v1/audit/export", Authenticated, api.auditExport},
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func hashList[T ~[]tlog.Hash](hs T) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h[:])
	}
	return out
}

// noteText returns a signed note as a JSON string, or null.
func noteText(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

type checkpointJSON struct {
	Origin      string `json:"origin"`
	TreeSize    int64  `json:"tree_size"`
	RootHash    string `json:"root_hash"`
	Checkpoint  string `json:"checkpoint"`
	VerifierKey string `json:"verifier_key"`
}

func (api *API) auditCheckpoint(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r.URL.Query()); err != nil {
		api.writeError(w, r, err)
		return
	}
	cp, err := api.audit.LatestCheckpoint(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	vkey, _ := api.audit.VerifierKey()
	writeJSON(w, http.StatusOK, checkpointJSON{Origin: cp.Origin, TreeSize: cp.Size, RootHash: b64(cp.Root[:]),
		Checkpoint: string(cp.Note), VerifierKey: vkey})
}

type inclusionJSON struct {
	Seq        int64           `json:"seq"`
	TreeSize   int64           `json:"tree_size"`
	Leaf       string          `json:"leaf"`
	LeafHash   string          `json:"leaf_hash"`
	RootHash   string          `json:"root_hash"`
	Proof      []string        `json:"proof"`
	Checkpoint *string         `json:"checkpoint"`
	Event      *auditEventJSON `json:"event"`
}

func (api *API) auditInclusion(w http.ResponseWriter, r *http.Request) {
	req, err := ParseInclusionRequest(r.URL.Query())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	p, err := api.audit.InclusionProof(r.Context(), req.Seq, req.TreeSize)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	ev := toAuditEventJSON(p.Event)
	writeJSON(w, http.StatusOK, inclusionJSON{Seq: p.Seq, TreeSize: p.TreeSize, Leaf: b64(p.Leaf), LeafHash: b64(p.LeafHash[:]),
		RootHash: b64(p.Root[:]), Proof: hashList(p.Proof), Checkpoint: noteText(p.Checkpoint), Event: &ev})
}

type consistencyJSON struct {
	From           int64    `json:"from"`
	To             int64    `json:"to"`
	FromRoot       string   `json:"from_root"`
	ToRoot         string   `json:"to_root"`
	Proof          []string `json:"proof"`
	FromCheckpoint *string  `json:"from_checkpoint"`
	ToCheckpoint   *string  `json:"to_checkpoint"`
}

func (api *API) auditConsistency(w http.ResponseWriter, r *http.Request) {
	req, err := ParseConsistencyRequest(r.URL.Query())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	p, err := api.audit.ConsistencyProof(r.Context(), req.From, req.To)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, consistencyJSON{From: p.From, To: p.To, FromRoot: b64(p.FromRoot[:]), ToRoot: b64(p.ToRoot[:]),
		Proof: hashList(p.Proof), FromCheckpoint: noteText(p.FromCheckpoint), ToCheckpoint: noteText(p.ToCheckpoint)})
}

// auditEventJSON is a log entry as auditors see it: flat, one field per
// stored column (the CSV export has the same columns).
type auditEventJSON struct {
	Seq          int64     `json:"seq"`
	Time         time.Time `json:"time"`
	ActorUser    domain.ID `json:"actor_user"`
	ActorSession domain.ID `json:"actor_session"`
	ActorToken   domain.ID `json:"actor_token"`
	ActorDevice  domain.ID `json:"actor_device"`
	SourceIP     string    `json:"source_ip"`
	UserAgent    string    `json:"user_agent"`
	RequestID    string    `json:"request_id"`
	Action       string    `json:"action"`
	TargetType   string    `json:"target_type"`
	TargetID     string    `json:"target_id"`
	TargetIDs    []string  `json:"target_ids"`
	Fields       []string  `json:"fields"`
	Outcome      string    `json:"outcome"`
	Reason       string    `json:"reason"`
}

func toAuditEventJSON(ev *domain.AuditEvent) auditEventJSON {
	out := auditEventJSON{Seq: ev.Seq, Time: ev.Time, ActorUser: ev.ActorUser, ActorSession: ev.ActorSession,
		ActorToken: ev.ActorToken, ActorDevice: ev.ActorDevice, SourceIP: ev.SourceIP, UserAgent: ev.UserAgent,
		RequestID: ev.RequestID, Action: ev.Action, TargetType: ev.TargetType, TargetID: ev.TargetID,
		TargetIDs: ev.TargetIDs, Fields: ev.Fields, Outcome: string(ev.Outcome), Reason: ev.Reason}
	if out.TargetIDs == nil {
		out.TargetIDs = []string{}
	}
	if out.Fields == nil {
		out.Fields = []string{}
	}
	return out
}

func (api *API) auditSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q, append([]string{"cursor", "limit"}, auditFilterParams...)...); err != nil {
		api.writeError(w, r, err)
		return
	}
	f := domain.AuditFilter{ToSeq: -1, Limit: domain.DefaultPageSize}
	var err error
	if f.FromSeq, err = decodeSeqCursor(q.Get("cursor")); err != nil {
		api.writeError(w, r, err)
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > domain.MaxPageSize {
			api.writeError(w, r, domain.Invalid("limit", "limit must be a whole number from 1 to %d", domain.MaxPageSize))
			return
		}
		f.Limit = n
	}
	if err := parseAuditFilter(q, &f); err != nil {
		api.writeError(w, r, err)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	evs, err := api.audit.Search(r.Context(), f)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var next *string
	if len(evs) > limit {
		evs = evs[:limit]
		next = encodeSeqCursor(evs[limit-1].Seq + 1)
	}
	items := make([]auditEventJSON, len(evs))
	for i, ev := range evs {
		items[i] = toAuditEventJSON(ev)
	}
	writeJSON(w, http.StatusOK, listJSON[auditEventJSON]{Items: items, NextCursor: next})
}

func (api *API) auditExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q, append([]string{"format", "from_seq", "to_seq"}, auditFilterParams...)...); err != nil {
		api.writeError(w, r, err)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		api.writeError(w, r, domain.Invalid("format", "format must be csv or json"))
		return
	}
	f := domain.AuditFilter{}
	var err error
	if f.FromSeq, err = querySize(q, "from_seq", 0); err != nil {
		api.writeError(w, r, err)
		return
	}
	if f.ToSeq, err = querySize(q, "to_seq", -1); err != nil {
		api.writeError(w, r, err)
		return
	}
	if f.ToSeq >= 0 && f.ToSeq < f.FromSeq {
		api.writeError(w, r, domain.Invalid("to_seq", "to_seq must not be smaller than from_seq"))
		return
	}
	if err := parseAuditFilter(q, &f); err != nil {
		api.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	started := false
	var cw *csv.Writer
	var enc *json.Encoder
	n := 0
	start := func() {
		started = true
		name := "custos-audit-" + strconv.FormatInt(f.FromSeq, 10)
		if format == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
			w.WriteHeader(http.StatusOK)
			cw = csv.NewWriter(w)
			_ = cw.Write(audit.CSVColumns)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		w.WriteHeader(http.StatusOK)
		vkey, origin := api.audit.VerifierKey()
		head, _ := json.Marshal(map[string]string{"log": origin, "verifier_key": vkey})
		_, _ = w.Write(append(head[:len(head)-1], []byte(`,"items":[`)...))
		enc = json.NewEncoder(w)
	}
	err = api.audit.Export(r.Context(), f, func(ev *domain.AuditEvent) error {
		if !started {
			start()
		}
		if n%1000 == 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		}
		if format == "csv" {
			n++
			return cw.Write(audit.CSVRecord(ev))
		}
		if n > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return err
			}
		}
		n++
		return enc.Encode(toAuditEventJSON(ev))
	})
	if err != nil {
		if !started {
			api.writeError(w, r, err)
			return
		}
		// Headers are gone: abort the response so the client sees a
		// broken transfer, never a silently short export.
		api.log.Error("audit export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
	if !started {
		start()
	}
	if format == "csv" {
		cw.Flush()
		return
	}
	_, _ = w.Write([]byte("]}\n"))
}
