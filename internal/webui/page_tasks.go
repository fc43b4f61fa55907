package webui

import (
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

func (u *UI) taskRoutes() []route {
	return []route{{"POST /tasks/{id}/done", u.signedIn(u.taskDone)}}
}

// seenVersion is the version of the record the page showed (the form's
// hidden "version"): the change is refused if someone changed the record
// since. A form without one demands nothing.
func seenVersion(rq *request) domain.Precondition {
	v, err := strconv.ParseInt(rq.r.PostForm.Get("version"), 10, 64)
	if err != nil || v <= 0 {
		return domain.Precondition{}
	}
	return domain.IfVersion(v)
}

// taskDone marks a follow-up done and goes back to the page it was
// marked on (the day or the customer's card).
func (u *UI) taskDone(rq *request) {
	id, err := domain.ParseID(domain.KindTask, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("task"))
		return
	}
	back, _, _ := strings.Cut(safeNext(rq.r.PostForm.Get("back")), "?")
	if back == "" {
		back = "/today"
	}
	done := domain.TaskDone
	if _, err := u.records.UpdateTask(rq.ctx, id, &domain.TaskPatch{Status: &done}, seenVersion(rq)); err != nil {
		if !stepUpNeeded(rq, err, back) {
			u.failed(rq, err)
		}
		return
	}
	seeOther(rq, back+"?done=task_done")
}
