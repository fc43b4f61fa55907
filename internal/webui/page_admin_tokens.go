package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// API tokens of a service account, created and revoked from the user's
// page. The secret is shown once, on the page that answers the creation;
// Custos keeps only its hash.

type tokenCreatedView struct {
	base
	Tabs   []auditTab
	Target *domain.User
	Token  *domain.APIToken
	Secret string
}

func (u *UI) userTokenCreate(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	pf := rq.r.PostForm
	in := &identity.TokenInput{Name: strings.TrimSpace(pf.Get("name")), Scopes: pf["scope"], UserID: id}
	if d := pf.Get("expires_in_days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			u.showUser(rq, id, map[string]string{"expires_in_days": "tokens.bad_expiry"}, http.StatusBadRequest)
			return
		}
		in.ExpiresInDays = n
	}
	tok, secret, err := u.identity.CreateToken(rq.ctx, in)
	if stepUpNeeded(rq, err, usersPath+"/"+string(id)) {
		return
	}
	if err != nil {
		if e := domain.AsError(err); e.Code == domain.CodeInvalid {
			field, key := "token_name", "tokens.bad_name"
			switch e.Field {
			case "scopes":
				field, key = "scope", "tokens.bad_scopes"
			case "expires_in_days":
				field, key = "expires_in_days", "tokens.bad_expiry"
			case "user_id":
				field, key = "token_name", "tokens.people"
			}
			u.showUser(rq, id, map[string]string{field: key}, http.StatusBadRequest)
			return
		}
		u.failed(rq, err)
		return
	}
	target, err := u.identity.GetUser(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "admin_token_created", &tokenCreatedView{base: u.newBase(rq, "tokens.created"),
		Tabs: adminTabs(rq.r.URL.Path), Target: target, Token: tok, Secret: secret})
}

func (u *UI) userTokenRevoke(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	tid, err := domain.ParseID(domain.KindToken, "tid", rq.r.PathValue("tid"))
	if err != nil {
		u.failed(rq, domain.NotFound("token"))
		return
	}
	toks, err := u.identity.ListTokens(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	found := false
	for _, t := range toks {
		found = found || t.ID == tid
	}
	if !found {
		u.failed(rq, domain.NotFound("token"))
		return
	}
	u.afterUserChange(rq, id, func() error { return u.identity.RevokeToken(rq.ctx, tid) }, "token_revoked")
}
