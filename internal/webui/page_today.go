package webui

import (
	"net/http"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (u *UI) todayRoutes() []route {
	return []route{{"GET /today", u.signedIn(u.today)}}
}

// todayVisit is a visit on the day's list, with its customer's name as
// the caller may see it.
type todayVisit struct {
	*domain.Visit
	CustomerName string
}

type todayView struct {
	base
	Day    time.Time
	Visits []todayVisit
	Tasks  []todayTask
}

type todayTask struct {
	*domain.Task
	CustomerName string
	Overdue      bool
}

// today is a rep's day: the visits planned for today (in the user's time
// zone) and their open follow-up tasks, each with its customer.
func (u *UI) today(rq *request) {
	v := &todayView{base: u.newBase(rq, "today.title")}
	now := u.now().In(rq.loc.zone)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, rq.loc.zone)
	v.Day = start
	visits, err := u.records.ListVisits(rq.ctx, domain.VisitFilter{RepID: rq.actor.UserID, PlannedFrom: start,
		PlannedBefore: start.AddDate(0, 0, 1), Limit: domain.MaxPageSize})
	if err != nil {
		u.failed(rq, err)
		return
	}
	slices.SortFunc(visits.Items, func(a, b *domain.Visit) int { return a.PlannedAt.Compare(b.PlannedAt) })
	var tasks domain.Page[*domain.Task]
	if rq.actor.Role.Can(domain.FnNotesRead) {
		if tasks, err = u.records.ListTasks(rq.ctx, domain.ActivityFilter{AssigneeID: rq.actor.UserID, Status: domain.TaskOpen,
			Limit: domain.MaxPageSize}); err != nil {
			u.failed(rq, err)
			return
		}
		slices.SortFunc(tasks.Items, func(a, b *domain.Task) int { return a.DueAt.Compare(b.DueAt) })
	}
	var ids []domain.ID
	for _, x := range visits.Items {
		ids = append(ids, x.CustomerID)
	}
	for _, t := range tasks.Items {
		ids = append(ids, t.CustomerID)
	}
	names, err := u.customerNames(rq, ids)
	if err != nil {
		u.failed(rq, err)
		return
	}
	for _, x := range visits.Items {
		v.Visits = append(v.Visits, todayVisit{Visit: x, CustomerName: names[x.CustomerID]})
	}
	for _, t := range tasks.Items {
		v.Tasks = append(v.Tasks, todayTask{Task: t, CustomerName: names[t.CustomerID], Overdue: !t.DueAt.IsZero() && t.DueAt.Before(now)})
	}
	u.render(rq, http.StatusOK, "today", v)
}

// customerNames reads the names of customers, as the caller may see
// them, in one list (audited as one list if any name is unmasked).
func (u *UI) customerNames(rq *request, ids []domain.ID) (map[domain.ID]string, error) {
	out := map[domain.ID]string{}
	var uniq []domain.ID
	for _, id := range ids {
		if _, ok := out[id]; !ok && id != "" {
			out[id] = ""
			uniq = append(uniq, id)
		}
	}
	for len(uniq) > 0 {
		n := min(len(uniq), domain.MaxPageSize)
		page, err := u.records.ListCustomers(rq.ctx, domain.CustomerFilter{IDs: uniq[:n], Limit: n})
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			out[c.ID] = c.Name
		}
		uniq = uniq[n:]
	}
	return out, nil
}
