package webui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

//go:embed templates
var templateFS embed.FS

// parsePages parses the layout and its partials once and each page on a
// clone of them. A page is templates/<name>.html defining "content" (and
// may define "title"); partials are templates/part_*.html.
func (u *UI) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset":   u.assets.URL,
		"join":    strings.Join,
		"dict":    dict,
		"compact": compact,
		"plain":   plain,
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/part_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		file := path.Base(n)
		if file == "layout.html" || strings.HasPrefix(file, "part_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templateFS, n); err != nil {
			return nil, err
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("%s defines no content", file)
		}
		pages[strings.TrimSuffix(file, ".html")] = t
	}
	return pages, nil
}

// base is what every page's view carries: the request's language and
// zone (T, Time, Money… through the embedded locale), who is signed in,
// the CSRF token and the navigation.
type base struct {
	*locale
	TitleKey string
	User     *domain.User
	Actor    *domain.Actor
	CSRF     string
	CSRFName string
	Path     string
	Nav      []navItem
	// Notice is a message key shown once at the top (an action's result).
	Notice string
}

// Title is the translated page title.
func (b *base) Title() string { return b.T(b.TitleKey) }

// Can reports whether the signed-in role grants function fn.
func (b *base) Can(fn string) bool {
	return b.Actor != nil && b.Actor.Role.Can(domain.Function(fn))
}

// newBase fills the common part of a view.
func (u *UI) newBase(rq *request, titleKey string) base {
	b := base{locale: rq.loc, TitleKey: titleKey, User: rq.user, Actor: rq.actor, CSRF: rq.csrf, CSRFName: csrfField,
		Path: rq.r.URL.Path}
	if rq.actor != nil && rq.actor.Pending == domain.PendingNone {
		b.Nav = navFor(rq.actor, rq.r.URL.Path)
		for i := range b.Nav {
			b.Nav[i].Label = rq.loc.T(b.Nav[i].Key)
		}
	}
	if n := rq.r.URL.Query().Get("done"); n != "" && u.i18n.keys["notice."+n] {
		b.Notice = "notice." + n
	}
	return b
}

// render writes page name with view v.
func (u *UI) render(rq *request, status int, name string, v any) {
	t, ok := u.pages[name]
	if !ok {
		u.failed(rq, fmt.Errorf("no page %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.failed(rq, fmt.Errorf("render %s: %w", name, err))
		return
	}
	rq.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	rq.w.WriteHeader(status)
	_, _ = rq.w.Write(buf.Bytes())
}

// errorView is the error page's view.
type errorView struct {
	base
	Status  int
	Message string
}

// fail answers an error as a page: the service's message for what the
// person can act on, a generic one (and the detail in the log) for the
// rest. loc may be nil before the language is known.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, loc *locale, err error) {
	u.failWith(w, r, loc, err, nil)
}

func (u *UI) failWith(w http.ResponseWriter, r *http.Request, loc *locale, err error, adjust func(*errorView)) {
	if loc == nil {
		loc = u.i18n.localeFor(r, nil)
	}
	e := domain.AsError(err)
	status, key := http.StatusInternalServerError, "error.internal"
	switch e.Code {
	case domain.CodeInvalid:
		status, key = http.StatusBadRequest, "error.invalid"
	case domain.CodeUnauthenticated:
		status, key = http.StatusUnauthorized, "error.unauthenticated"
	case domain.CodeForbidden:
		status, key = http.StatusForbidden, "error.forbidden"
	case domain.CodeNotFound:
		status, key = http.StatusNotFound, "error.not_found"
	case domain.CodeConflict, domain.CodePreconditionFailed:
		status, key = http.StatusConflict, "error.conflict"
	case domain.CodeRateLimited:
		status, key = http.StatusTooManyRequests, "error.rate_limited"
	case domain.CodeUnavailable, domain.CodeStoreUnavailable:
		status, key = http.StatusServiceUnavailable, "error.unavailable"
	case domain.CodeUnreadable:
		key = "error.unreadable"
	}
	if status >= 500 && !errors.Is(err, domain.ErrNotFound) {
		u.log.Error("page failed", "request_id", domain.RequestInfoFrom(r.Context()).RequestID,
			"route", r.Pattern, "code", string(e.Code), "err", errors.Unwrap(e))
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(e.RetryAfter.Seconds()+0.999)))
	}
	rq := &request{w: w, r: r, ctx: r.Context(), loc: loc}
	v := &errorView{base: base{locale: loc, TitleKey: "error.title", CSRFName: csrfField, Path: r.URL.Path}, Status: status, Message: key}
	if adjust != nil {
		adjust(v)
		v.TitleKey = "error.title"
	}
	t := u.pages["error"]
	var buf bytes.Buffer
	if t == nil || t.ExecuteTemplate(&buf, "layout", v) != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	rq.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	rq.w.WriteHeader(status)
	_, _ = rq.w.Write(buf.Bytes())
}

// failed answers an error as a page for a request whose caller is known
// (the page keeps its navigation and sign-out).
func (u *UI) failed(rq *request, err error) {
	u.failWith(rq.w, rq.r, rq.loc, err, func(v *errorView) {
		if rq.actor != nil {
			v.base = u.newBase(rq, "error.title")
		}
	})
}

// seeOther redirects after a successful form (POST/redirect/GET).
func seeOther(rq *request, to string) { http.Redirect(rq.w, rq.r, to, http.StatusSeeOther) }

// dict builds a map for a partial from key, value pairs.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict takes key, value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict keys are strings")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// plain drops the bidirectional controls from text that anyone could
// have written and no one needs them in (a browser's User-Agent): shown
// as is, a right-to-left override makes "gpj.exe" read "exe.jpg".
// Records refuse them when they are stored.
func plain(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// compact drops empty strings.
func compact(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
