package webui

import (
	"net/http"
	"slices"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
)

// The pipeline: the deals of the caller's scope by stage, as a board
// (a column per stage with its count and CNY total) or as a table. The
// records service decides who may see it (roles that oversee others'
// deals) and how amounts show.

func (u *UI) pipelineRoutes() []route {
	return []route{{"GET /pipeline", u.signedIn(u.pipelinePage)}}
}

// pipelineStages is the board's columns, in the order deals move.
var pipelineStages = []domain.DealStage{domain.StageQualification, domain.StageProposal, domain.StageNegotiation,
	domain.StageWon, domain.StageLost}

// dealRow is a deal with its customer's name as the caller sees it.
type dealRow struct {
	*domain.Deal
	Customer string
}

// AmountShown reports whether the caller may see the deal's amount.
func (d dealRow) AmountShown() bool { return !slices.Contains(d.Hidden, "amount") }

// stageColumn is one column of the board.
type stageColumn struct {
	Stage domain.DealStage
	Deals []dealRow
	// TotalMinor sums the column's CNY amounts; Other counts deals in
	// other currencies (not in the total).
	TotalMinor int64
	Other      int
}

type pipelineView struct {
	base
	Table   bool
	Columns []stageColumn
	Rows    []dealRow
	Amounts bool // the caller sees amounts
	More    bool
	Max     int64 // how many deals the view shows at most
}

func (u *UI) pipelinePage(rq *request) {
	p, err := u.records.Pipeline(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	ids := make([]domain.ID, 0, len(p.Deals))
	for _, d := range p.Deals {
		ids = append(ids, d.CustomerID)
	}
	names, err := u.customerNames(rq, ids)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &pipelineView{base: u.newBase(rq, "pipeline.title"), Table: rq.r.URL.Query().Get("view") == "table", More: p.More,
		Amounts: true, Max: records.MaxPipelineDeals}
	v.Columns = make([]stageColumn, len(pipelineStages))
	for i, st := range pipelineStages {
		v.Columns[i].Stage = st
	}
	for _, d := range p.Deals {
		row := dealRow{Deal: d, Customer: names[d.CustomerID]}
		v.Amounts = v.Amounts && row.AmountShown()
		v.Rows = append(v.Rows, row)
		i := slices.Index(pipelineStages, d.Stage)
		if i < 0 {
			continue
		}
		col := &v.Columns[i]
		col.Deals = append(col.Deals, row)
		switch {
		case !row.AmountShown():
		case d.Currency == "" || d.Currency == domain.DefaultCurrency:
			col.TotalMinor += d.AmountMinor
		default:
			col.Other++
		}
	}
	u.render(rq, http.StatusOK, "pipeline", v)
}
