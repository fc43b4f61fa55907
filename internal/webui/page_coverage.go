package webui

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/records"
)

// Visit coverage: how many store visits each rep of the caller's scope
// had planned per week over the last weeks (cancelled ones aside), as a
// server-rendered SVG bar chart per rep — the count written on every bar,
// readable without colour — and the same numbers in a table beside it.

func (u *UI) coverageRoutes() []route {
	return []route{{"GET /coverage", u.signedIn(u.coveragePage)}}
}

// coverageWeeks is how many weeks the report shows unless asked.
const coverageWeeks = 8

type coverageView struct {
	base
	Weeks  []string // each week's first day, short
	WeeksN int
	Reps   []coverageRep
}

type coverageRep struct {
	records.RepCoverage
	Chart template.HTML
}

func (u *UI) coveragePage(rq *request) {
	weeks := coverageWeeks
	if s := rq.r.URL.Query().Get("weeks"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1 // refused by the service, as out of range
		}
		weeks = n
	}
	from := weekStart(u.now().In(rq.loc.zone)).AddDate(0, 0, -7*(weeks-1))
	cov, err := u.records.VisitCoverage(rq.ctx, from, weeks)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &coverageView{base: u.newBase(rq, "coverage.title"), WeeksN: weeks}
	var ticks []string
	for i, w := range cov.Weeks {
		v.Weeks = append(v.Weeks, shortDate(rq.loc, w))
		// The axis names the month where it changes and the day
		// alone otherwise, so eight weeks fit a phone's width.
		if i > 0 && w.In(rq.loc.zone).Month() == cov.Weeks[i-1].In(rq.loc.zone).Month() {
			ticks = append(ticks, w.In(rq.loc.zone).Format("2"))
			continue
		}
		ticks = append(ticks, tickDate(rq.loc, w))
	}
	top := 1
	for _, r := range cov.Reps {
		for _, c := range r.Counts {
			top = max(top, c)
		}
	}
	for _, r := range cov.Reps {
		v.Reps = append(v.Reps, coverageRep{RepCoverage: r,
			Chart: barChart(rq.loc.T("coverage.chart_label", r.DisplayName), ticks, r.Counts, top)})
	}
	u.render(rq, http.StatusOK, "coverage", v)
}

// weekStart is the Monday 00:00 of t's week, in t's zone.
func weekStart(t time.Time) time.Time {
	back := (int(t.Weekday()) + 6) % 7
	y, m, d := t.Date()
	return time.Date(y, m, d-back, 0, 0, 0, 0, t.Location())
}

// shortDate is a day without its year: "2 Nov", "11月2日".
func shortDate(l *locale, t time.Time) string {
	t = t.In(l.zone)
	if l.Lang == langZH {
		return t.Format("1月2日")
	}
	return t.Format("2 Jan")
}

// tickDate is a day as short as a chart's axis needs: "2 Nov", "11/2"
// (month first, as Chinese charts write it).
func tickDate(l *locale, t time.Time) string {
	t = t.In(l.zone)
	if l.Lang == langZH {
		return t.Format("1/2")
	}
	return t.Format("2 Jan")
}

// barChart draws counts as vertical bars on a scale of 0..top, each with
// its count above it and its label below. Every text is escaped; the
// numbers are ours.
func barChart(title string, labels []string, counts []int, top int) template.HTML {
	const (
		barW, gap, plotH, textH = 26, 12, 100, 18
	)
	width := len(counts)*(barW+gap) + gap
	height := plotH + 2*textH + 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	base := textH + plotH
	fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"/>`, base, width, base)
	for i, c := range counts {
		x := gap + i*(barW+gap)
		h := c * plotH / top
		if c > 0 && h < 2 {
			h = 2
		}
		fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d"/>`, x, base-h, barW, h)
		fmt.Fprintf(&b, `<text class="count" x="%d" y="%d" text-anchor="middle">%d</text>`, x+barW/2, base-h-4, c)
		label := ""
		if i < len(labels) {
			label = labels[i]
		}
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%d" text-anchor="middle">%s</text>`, x+barW/2, base+textH-4,
			html.EscapeString(label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above from escaped labels and our numbers
}
