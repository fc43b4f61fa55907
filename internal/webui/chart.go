package webui

import (
	"fmt"
	"html/template"
	"strings"
)

// Bar charts drawn on the server as SVG: no script, nothing for the CSP
// to allow. Every chart is readable without colour — axis numbers, the
// value written beside each bar, series told apart by pattern as well as
// shade — and the page shows the same numbers in a table. Every text put
// into the SVG is escaped here; the result is template.HTML only because
// it is built from escaped text and numbers.

// column is one vertical bar: a count and, when Label is not "", an axis
// label under it (the caller labels as many columns as fit).
type column struct {
	Label string
	Value int64
}

// columnChart draws counts as vertical bars with a labelled value axis.
func columnChart(id, title, desc string, cols []column) template.HTML {
	const w, h, left, right, top, bottom = 400.0, 220.0, 44.0, 8.0, 16.0, 36.0
	var b strings.Builder
	maxV := int64(0)
	for _, c := range cols {
		maxV = max(maxV, c.Value)
	}
	scale := niceCeil(maxV)
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-labelledby="%s-t %s-d" focusable="false">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	plotW, plotH := w-left-right, h-top-bottom
	for _, f := range []int64{0, 1, 2} { // axis lines at 0, half and the top
		v := scale * f / 2
		y := top + plotH - float64(v)/float64(scale)*plotH
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" class="grid"/>`, left, y, w-right, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="axis" text-anchor="end">%d</text>`, left-4, y+4, v)
	}
	if n := len(cols); n > 0 {
		step := plotW / float64(n)
		gap := step * 0.2
		for i, c := range cols {
			x := left + float64(i)*step
			bh := float64(c.Value) / float64(scale) * plotH
			if c.Value > 0 {
				fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" class="bar"><title>%s: %d</title></rect>`,
					x+gap/2, top+plotH-bh, step-gap, bh, esc(c.Label), c.Value)
			}
			if c.Label != "" {
				fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="axis" text-anchor="middle">%s</text>`, x+step/2, h-bottom+16, esc(c.Label))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above from escaped text and numbers
}

// pairRow is one entry of a paired bar chart: a name and two counts.
type pairRow struct {
	Name string
	A, B int64
}

// pairChart draws, for each row, two horizontal bars — series A solid,
// series B hatched — with their numbers written after them.
func pairChart(id, title, desc, nameA, nameB string, rows []pairRow) template.HTML {
	const w, left, right, rowH, barH, legendH = 400.0, 8.0, 56.0, 62.0, 16.0, 30.0
	h := legendH + float64(len(rows))*rowH + 8
	maxV := int64(1)
	for _, r := range rows {
		maxV = max(maxV, r.A, r.B)
	}
	plotW := w - left - right
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-labelledby="%s-t %s-d" focusable="false">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	fmt.Fprintf(&b, `<defs><pattern id="%s-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">`+
		`<rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>`, id)
	// The legend: a swatch of each series and its name.
	fmt.Fprintf(&b, `<rect x="%g" y="6" width="18" height="14" class="bar"/><text x="%g" y="18" class="label">%s</text>`, left, left+24, esc(nameA))
	fmt.Fprintf(&b, `<rect x="%g" y="6" width="18" height="14" class="bar-b" fill="url(#%s-hatch)"/><text x="%g" y="18" class="label">%s</text>`,
		left+w/2, id, left+w/2+24, esc(nameB))
	for i, r := range rows {
		y := legendH + float64(i)*rowH
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="label name">%s</text>`, left, y+14, esc(shorten(r.Name, 40)))
		for j, v := range []int64{r.A, r.B} {
			by := y + 20 + float64(j)*(barH+4)
			bw := float64(v) / float64(maxV) * plotW
			if j == 0 {
				fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="%.2f" height="%g" class="bar"/>`, left, by, bw, barH)
			} else {
				fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="%.2f" height="%g" class="bar-b" fill="url(#%s-hatch)"/>`, left, by, bw, barH, id)
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="value">%d</text>`, left+bw+6, by+barH-3, v)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above from escaped text and numbers
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten (at least 2),
// so the axis reads in round numbers.
func niceCeil(n int64) int64 {
	if n <= 2 {
		return 2
	}
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// shorten cuts s to at most n characters, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
