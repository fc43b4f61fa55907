package webui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
)

// The auditor's and security officer's pages: searching the log, its
// integrity against the newest signed checkpoint, activity charts and
// the keys' status. The audit service decides who may read them (and
// records every search); the pages only show what it returns.

func (u *UI) auditRoutes() []route {
	return []route{
		{"GET /audit", u.signedIn(u.auditSearchPage)},
		{"GET /audit/integrity", u.signedIn(u.auditIntegrityPage)},
		{"GET /audit/activity", u.signedIn(u.auditActivityPage)},
		{"GET /audit/keys", u.signedIn(u.auditKeysPage)},
	}
}

// auditPageSize is how many entries a search page shows.
const auditPageSize = 50

// auditTab is one entry of the audit pages' own navigation.
type auditTab struct {
	Href, Key string
	Current   bool
}

func auditTabs(path string) []auditTab {
	tabs := []auditTab{
		{"/audit", "audit.tab_search", false},
		{"/audit/integrity", "audit.tab_integrity", false},
		{"/audit/activity", "audit.tab_activity", false},
		{"/audit/keys", "audit.tab_keys", false},
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == path
	}
	return tabs
}

// auditForm is the search form as typed, echoed back.
type auditForm struct {
	Actor, Action, Target, Outcome, From, To string
}

type auditSearchView struct {
	base
	Tabs    []auditTab
	Form    auditForm
	Errors  map[string]string // field → message key
	Events  []*domain.AuditEvent
	Names   map[domain.ID]string
	Actions []string
	// Older is the query of the next (older) page, "" on the last.
	Older string
	// Newest is set when the page is not the first.
	Newest string
}

// ActorName is the display name of the user who acted, or "".
func (v *auditSearchView) ActorName(id domain.ID) string { return v.Names[id] }

// IsUser reports whether id names a user (not Custos itself).
func (v *auditSearchView) IsUser(id domain.ID) bool {
	return domain.ValidID(domain.KindUser, string(id))
}

// Invalid reports whether field has an error.
func (v *auditSearchView) Invalid(field string) bool { return v.Errors[field] != "" }

// searchableActions lists the actions an auditor picks from.
var searchableActions = []string{
	"customer.read", "customer.reveal", "customer.export", "customer.list", "customer.search", "customer.lookup",
	"customer.create", "customer.update", "customer.delete", "customer.import",
	"auth.login", "auth.logout", "auth.mfa", "auth.step_up", "auth.throttled", "session.end",
	"user.create", "user.update", "user.disable", "user.role_change", "user.password_reset", "user.mfa_reset",
	"role.create", "role.update", "team.create", "territory.create", "token.create", "token.revoke",
	"key.rotate", "key.destroy", "audit.search", "audit.export", "audit.activity",
}

func (u *UI) auditSearchPage(rq *request) {
	q := rq.r.URL.Query()
	v := &auditSearchView{base: u.newBase(rq, "audit.title"), Tabs: auditTabs(rq.r.URL.Path), Errors: map[string]string{},
		Actions: searchableActions}
	v.Form = auditForm{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Target: strings.TrimSpace(q.Get("target")), Outcome: q.Get("outcome"), From: q.Get("from"), To: q.Get("to")}
	f := domain.AuditFilter{ActorUser: v.Form.Actor, Action: v.Form.Action, TargetID: v.Form.Target,
		ToSeq: -1, Limit: auditPageSize + 1, Newest: true}
	if v.Form.Actor != "" && !domain.ValidID(domain.KindUser, v.Form.Actor) {
		v.Errors["actor"] = "audit.bad_actor"
	}
	if len(v.Form.Action) > 64 {
		v.Errors["action"] = "audit.bad_action"
	}
	if len(v.Form.Target) > 64 {
		v.Errors["target"] = "audit.bad_target"
	}
	switch domain.Outcome(v.Form.Outcome) {
	case "", domain.OutcomeAllowed, domain.OutcomeDenied:
		f.Outcome = domain.Outcome(v.Form.Outcome)
	default:
		v.Errors["outcome"] = "audit.bad_outcome"
	}
	var err error
	if f.Since, err = rq.loc.parseLocal(v.Form.From); err != nil {
		v.Errors["from"] = "audit.bad_time"
	}
	if f.Until, err = rq.loc.parseLocal(v.Form.To); err != nil {
		v.Errors["to"] = "audit.bad_time"
	} else if !f.Until.IsZero() {
		f.Until = f.Until.Add(time.Minute) // the minute typed is included
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		v.Errors["to"] = "audit.bad_range"
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			u.failed(rq, domain.Invalid("before", "before is a sequence number"))
			return
		}
		f.ToSeq = n - 1
		v.Newest = v.query("")
	}
	if len(v.Errors) > 0 {
		u.render(rq, http.StatusBadRequest, "audit", v)
		return
	}
	evs, err := u.audit.Search(rq.ctx, f)
	if err != nil {
		u.failed(rq, err)
		return
	}
	if len(evs) > auditPageSize {
		evs = evs[:auditPageSize]
		v.Older = v.query(strconv.FormatInt(evs[len(evs)-1].Seq, 10))
	}
	v.Events = evs
	v.Names = u.namesOf(rq, evs)
	u.render(rq, http.StatusOK, "audit", v)
}

// query is the search's query string for the page ending before seq.
func (v *auditSearchView) query(before string) string {
	q := url.Values{}
	for k, s := range map[string]string{"actor": v.Form.Actor, "action": v.Form.Action, "target": v.Form.Target,
		"outcome": v.Form.Outcome, "from": v.Form.From, "to": v.Form.To, "before": before} {
		if s != "" {
			q.Set(k, s)
		}
	}
	return "?" + q.Encode()
}

// namesOf looks up the names of the users who acted in evs; without them
// the page still shows the ids.
func (u *UI) namesOf(rq *request, evs []*domain.AuditEvent) map[domain.ID]string {
	var ids []domain.ID
	for _, ev := range evs {
		if domain.ValidID(domain.KindUser, string(ev.ActorUser)) {
			ids = append(ids, ev.ActorUser)
		}
	}
	return u.userNames(rq, ids)
}

func (u *UI) userNames(rq *request, ids []domain.ID) map[domain.ID]string {
	if len(ids) == 0 {
		return nil
	}
	names, err := u.identity.UserNames(rq.ctx, ids)
	if err != nil {
		u.log.Warn("user names for the audit page", "code", string(domain.ErrorCode(err)))
		return nil
	}
	return names
}

type auditIntegrityView struct {
	base
	Tabs  []auditTab
	State *audit.LogState
	Root  string
	// CheckpointRoot is the checkpoint's root hash (base64, as in its note).
	CheckpointRoot string
}

// Since is how many entries the log gained after a checkpoint of size.
func (v *auditIntegrityView) Since(size int64) int64 { return max(v.State.Size-size, 0) }

func (u *UI) auditIntegrityPage(rq *request) {
	st, err := u.audit.State(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &auditIntegrityView{base: u.newBase(rq, "integrity.title"), Tabs: auditTabs(rq.r.URL.Path), State: st,
		Root: st.Root.String()}
	if st.Checkpoint != nil {
		v.CheckpointRoot = st.Checkpoint.Root.String()
	}
	u.render(rq, http.StatusOK, "audit_integrity", v)
}

type auditKeysView struct {
	base
	Tabs   []auditTab
	Status *keylifecycle.Status
}

// Punctures is how many erasures the erasure tree has made.
func (v *auditKeysView) Punctures() int64 { return int64(min(v.Status.ErasureTree.Punctures, 1<<62)) }

// Rotations lists the last rotation of each kind (those there are).
func (v *auditKeysView) Rotations() []*domain.Rotation {
	var out []*domain.Rotation
	for _, r := range []*domain.Rotation{v.Status.MasterRotation, v.Status.IndexRotation} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// Days is a duration in whole days.
func (v *auditKeysView) Days(d time.Duration) int64 { return int64(d / (24 * time.Hour)) }

func (u *UI) auditKeysPage(rq *request) {
	st, err := u.keys.Status(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "audit_keys", &auditKeysView{base: u.newBase(rq, "keys.title"),
		Tabs: auditTabs(rq.r.URL.Path), Status: st})
}

// parseLocal parses a datetime-local value in the person's time zone;
// "" is the zero time.
func (l *locale) parseLocal(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", s, l.zone)
	if err != nil {
		return time.Time{}, domain.Invalid("time", "a time is YYYY-MM-DDTHH:MM")
	}
	return t.UTC(), nil
}
