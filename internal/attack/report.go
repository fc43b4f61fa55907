package attack

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one number of the summary table.
type Figure struct {
	Name  string // e.g. "cells tried / leaked"
	Value string // e.g. "1204 / 0"
}

// PartResult is one part of the run.
type PartResult struct {
	Name    string
	Figures []Figure
	// Checks counts what was checked; Failures lists each failed check
	// (empty: the part passed).
	Checks   int
	Failures []string
	Notes    []string
	Elapsed  time.Duration
	// Err is set when the part could not run at all (a failure too).
	Err error
}

// Failed reports whether the part found a problem or could not run.
func (p *PartResult) Failed() bool { return p.Err != nil || len(p.Failures) > 0 }

func (p *PartResult) fig(name string, format string, args ...any) {
	p.Figures = append(p.Figures, Figure{Name: name, Value: fmt.Sprintf(format, args...)})
}

func (p *PartResult) fail(format string, args ...any) {
	p.Failures = append(p.Failures, fmt.Sprintf(format, args...))
}

func (p *PartResult) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// check counts one check and records a failure when ok is false.
func (p *PartResult) check(ok bool, format string, args ...any) bool {
	p.Checks++
	if !ok {
		p.fail(format, args...)
	}
	return ok
}

// Report is the whole run.
type Report struct {
	Budget  string
	Machine string
	Started time.Time
	Elapsed time.Duration
	Parts   []*PartResult
}

// Failed reports whether any part failed.
func (r *Report) Failed() bool {
	for _, p := range r.Parts {
		if p.Failed() {
			return true
		}
	}
	return false
}

// WriteTable prints the summary table.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\nCustos attack suite: budget %s, %s, %s, took %s\n\n", r.Budget, r.Machine,
		r.Started.UTC().Format(time.RFC3339), r.Elapsed.Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "part\tfigure\tvalue\tverdict\ttime")
	for _, p := range r.Parts {
		verdict := "ok"
		if p.Failed() {
			verdict = "FAIL"
		}
		if p.Err != nil {
			p.Figures = append(p.Figures, Figure{Name: "error", Value: clip(p.Err.Error(), 70)})
		}
		for i, f := range p.Figures {
			name, v, el := "", "", ""
			if i == 0 {
				name, v, el = p.Name, verdict, p.Elapsed.Round(time.Second).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, f.Name, f.Value, v, el)
		}
		if len(p.Figures) == 0 {
			fmt.Fprintf(tw, "%s\t\t\t%s\t%s\n", p.Name, verdict, p.Elapsed.Round(time.Second))
		}
	}
	_ = tw.Flush()
	verdict := "PASSED"
	if r.Failed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "\nattack suite %s\n", verdict)
}

// WriteDetails prints every failure and note, at most limit lines per
// part (0: all).
func (r *Report) WriteDetails(w io.Writer, limit int) {
	for _, p := range r.Parts {
		if !p.Failed() && len(p.Notes) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n== %s\n", p.Name)
		if p.Err != nil {
			fmt.Fprintf(w, "  could not run: %v\n", p.Err)
		}
		writeLines(w, "FAIL ", p.Failures, limit)
		writeLines(w, "note ", p.Notes, limit)
	}
}

func writeLines(w io.Writer, prefix string, lines []string, limit int) {
	for i, l := range lines {
		if limit > 0 && i == limit {
			fmt.Fprintf(w, "  … %d more (see the full report)\n", len(lines)-limit)
			return
		}
		fmt.Fprintf(w, "  %s%s\n", prefix, strings.ReplaceAll(l, "\n", " "))
	}
}
