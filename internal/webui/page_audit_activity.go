package webui

import (
	"html/template"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
)

// The activity page: events per hour over the last day or week, and who
// revealed and exported customer data, as bar charts with the same
// numbers in tables. The counts come from the audit service, which
// records that they were asked for.

type activityView struct {
	base
	Tabs     []auditTab
	Range    string // "24h" or "7d"
	Activity *audit.Activity
	Names    map[domain.ID]string
	Hours    template.HTML
	ByActor  template.HTML
	Total    int64
	// Days sums the hours per day for the table of the week.
	Days []column
}

// ActorName is a user's display name, or "".
func (v *activityView) ActorName(id domain.ID) string { return v.Names[id] }

func (u *UI) auditActivityPage(rq *request) {
	rng := rq.r.URL.Query().Get("range")
	span := 24 * time.Hour
	switch rng {
	case "", "24h":
		rng = "24h"
	case "7d":
		span = 7 * 24 * time.Hour
	default:
		u.failed(rq, domain.Invalid("range", "range is 24h or 7d"))
		return
	}
	until := u.now().UTC().Truncate(time.Hour).Add(time.Hour)
	act, err := u.audit.Activity(rq.ctx, until.Add(-span), until)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &activityView{base: u.newBase(rq, "activity.title"), Tabs: auditTabs(rq.r.URL.Path), Range: rng, Activity: act}
	var ids []domain.ID
	for _, a := range act.ByActor {
		ids = append(ids, a.ActorUser)
	}
	v.Names = u.userNames(rq, ids)

	loc := rq.loc
	cols := make([]column, len(act.Hours))
	for i, h := range act.Hours {
		local := h.Hour.In(loc.zone)
		cols[i].Value = h.Events
		v.Total += h.Events
		day := loc.T("activity.day", int(local.Month()), local.Day())
		if rng == "24h" {
			if i%6 == 0 {
				cols[i].Label = loc.Clock(local)
			}
			continue
		}
		if n := len(v.Days); n == 0 || v.Days[n-1].Label != day {
			v.Days = append(v.Days, column{Label: day})
			if i > 0 || local.Hour() == 0 {
				cols[i].Label = day // the first hour of each day in the person's zone
			}
		}
		v.Days[len(v.Days)-1].Value += h.Events
	}
	v.Hours = columnChart("hours", loc.T("activity.hours_title"), loc.T("activity.hours_desc", loc.Number(v.Total)), cols)

	rows := make([]pairRow, 0, len(act.ByActor))
	for i, a := range act.ByActor {
		if i == 20 {
			break
		}
		name := v.Names[a.ActorUser]
		if name == "" {
			name = string(a.ActorUser)
		}
		rows = append(rows, pairRow{Name: name, A: a.Reveals, B: a.Exported})
	}
	if len(rows) > 0 {
		v.ByActor = pairChart("actors", loc.T("activity.actors_title"), loc.T("activity.actors_desc"),
			loc.T("activity.reveals"), loc.T("activity.exported"), rows)
	}
	u.render(rq, http.StatusOK, "audit_activity", v)
}
