package webui

import (
	"net/http"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// Teams and territories: the lists and a form to create each. A
// territory is named and covers one region (a province, optionally one
// of its cities) when created here.

func (u *UI) adminTeamRoutes() []route {
	return []route{
		{"GET /admin/teams", u.signedIn(u.teamsPage)},
		{"POST /admin/teams", u.signedIn(u.teamCreate)},
		{"POST /admin/territories", u.signedIn(u.territoryCreate)},
	}
}

const teamsPath = "/admin/teams"

type teamsView struct {
	base
	Tabs        []auditTab
	Teams       []*domain.Team
	Territories []*domain.Territory
	TeamName    string
	Territory   identity.RegionInput
	TerrName    string
	Errors      map[string]string
}

func (u *UI) teamsPage(rq *request) { u.showTeams(rq, &teamsView{}, http.StatusOK) }

func (u *UI) showTeams(rq *request, v *teamsView, status int) {
	teams, err := u.identity.ListTeams(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	terrs, err := u.identity.ListTerritories(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v.base, v.Tabs, v.Teams, v.Territories = u.newBase(rq, "teams.title"), adminTabs(rq.r.URL.Path), teams, terrs
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	u.render(rq, status, "admin_teams", v)
}

func (u *UI) teamCreate(rq *request) {
	name := strings.TrimSpace(rq.r.PostForm.Get("name"))
	_, err := u.identity.CreateTeam(rq.ctx, name)
	if stepUpNeeded(rq, err, teamsPath) {
		return
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeInvalid || domain.ErrorCode(err) == domain.CodeConflict {
			u.showTeams(rq, &teamsView{TeamName: name, Errors: map[string]string{"team_name": "teams.bad_name"}}, http.StatusBadRequest)
			return
		}
		u.failed(rq, err)
		return
	}
	seeOther(rq, teamsPath+"?done=team_created")
}

func (u *UI) territoryCreate(rq *request) {
	pf := rq.r.PostForm
	name := strings.TrimSpace(pf.Get("name"))
	region := identity.RegionInput{Province: strings.TrimSpace(pf.Get("province")), City: strings.TrimSpace(pf.Get("city"))}
	in := &identity.TerritoryInput{Name: name}
	if region.Province != "" || region.City != "" {
		in.Regions = []identity.RegionInput{region}
	}
	_, err := u.identity.CreateTerritory(rq.ctx, in)
	if stepUpNeeded(rq, err, teamsPath) {
		return
	}
	if err != nil {
		if c := domain.ErrorCode(err); c == domain.CodeInvalid || c == domain.CodeConflict {
			field, key := "territory_name", "territories.bad_name"
			if e := domain.AsError(err); strings.HasPrefix(e.Field, "regions") {
				field, key = "province", "territories.bad_region"
			}
			u.showTeams(rq, &teamsView{TerrName: name, Territory: region, Errors: map[string]string{field: key}}, http.StatusBadRequest)
			return
		}
		u.failed(rq, err)
		return
	}
	seeOther(rq, teamsPath+"?done=territory_created")
}
