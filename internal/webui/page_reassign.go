package webui

import (
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
)

// Reassigning a customer: a sales manager gives a customer to another
// member of the team from the card. The records service's update path
// decides who may give a customer to whom and records the change.

func (u *UI) reassignRoutes() []route {
	return []route{{"POST /customers/{id}/owner", u.signedIn(u.reassignSubmit)}}
}

// cardManage is the manager's part of a customer card.
type cardManage struct {
	Members []records.Assignee
	Owner   string // the current owner's name, when one of Members
	Error   string // message key at the owner field
}

// cardManage is the reassign form for c, for roles that may give
// customers to others; nil for the rest.
func (u *UI) cardManage(rq *request, c *domain.Customer) *cardManage {
	// Ask only roles that might (a refusal is audited as a denial).
	if !rq.actor.Role.Can(domain.FnCustomersUpdate) || rq.actor.Role.Scope == domain.ScopeOwn ||
		rq.actor.Role.Fields[domain.ClassPublic] != domain.AccessWrite || c.Erased || c.Unreadable != "" {
		return nil
	}
	members, err := u.records.Assignees(rq.ctx)
	if err != nil {
		return nil
	}
	m := &cardManage{Members: members}
	for _, p := range members {
		if p.ID == c.OwnerID {
			m.Owner = p.DisplayName
		}
	}
	return m
}

func (u *UI) reassignSubmit(rq *request) {
	id, err := domain.ParseID(domain.KindCustomer, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	owner, err := domain.ParseID(domain.KindUser, "owner_id", rq.r.PostForm.Get("owner_id"))
	if err != nil {
		u.reassignRefused(rq, id, err)
		return
	}
	// The card's version: a change made meanwhile is not overwritten.
	var pre domain.Precondition
	if v, perr := strconv.ParseInt(rq.r.PostForm.Get("version"), 10, 64); perr == nil {
		pre = domain.IfVersion(v)
	}
	_, err = u.records.UpdateCustomer(rq.ctx, id, &domain.CustomerPatch{OwnerID: &owner}, pre)
	if domain.ErrorCode(err) == domain.CodePreconditionFailed {
		u.failed(rq, domain.Conflict("", "the customer changed meanwhile"))
		return
	}
	if err != nil {
		u.reassignRefused(rq, id, err)
		return
	}
	seeOther(rq, "/customers/"+string(id)+"?done=reassigned")
}

// reassignRefused shows the card again with the error at the owner
// field, when the refusal is about the owner; other errors are a page.
func (u *UI) reassignRefused(rq *request, id domain.ID, err error) {
	e := domain.AsError(err)
	if e.Field != "owner_id" || (e.Code != domain.CodeInvalid && e.Code != domain.CodeForbidden) {
		u.failed(rq, err)
		return
	}
	c, gerr := u.records.GetCustomer(rq.ctx, id)
	if gerr != nil {
		u.failed(rq, gerr)
		return
	}
	v, verr := u.cardViewOf(rq, c)
	if verr != nil {
		u.failed(rq, verr)
		return
	}
	if v.Manage == nil {
		u.failed(rq, err)
		return
	}
	v.Manage.Error = "manage.owner_invalid"
	if e.Code == domain.CodeForbidden {
		v.Manage.Error = "manage.owner_forbidden"
	}
	u.render(rq, statusOf(e.Code), "customer", v)
}
