package webui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	xcatalog "golang.org/x/text/message/catalog"

	"github.com/custoscrm/custos/internal/domain"
)

// The UI speaks English and Simplified Chinese. A signed-in user's own
// choice wins; otherwise the language cookie the switcher sets; otherwise
// the browser's Accept-Language; otherwise English.

const (
	langEN = "en"
	langZH = "zh-CN"
	// langCookie keeps the language chosen before signing in.
	langCookie = "custos_lang"
)

// catalog holds every message of the UI in both languages.
type catalog struct {
	cat  *xcatalog.Builder
	keys map[string]bool
	en   *message.Printer
	zh   *message.Printer
	// plain holds, per language, the messages that take no argument,
	// printed once: most of a page's text, looked up rather than printed.
	plain map[string]map[string]string
	// zones are the time zones of the settings list, loaded once (a
	// zone otherwise is read from the system's database on every request).
	zones map[string]*time.Location
	// chrome is the layout's text and links per language (see withChrome).
	chrome map[string]*chrome
}

// chrome is what the layout shows around every page in one language,
// prepared once when the UI is built: its labels, the static files'
// URLs and which language is current. Template actions cost reflection
// each; the layout reads these as plain fields.
type chrome struct {
	Lang, AppName, Skip, NavLabel, SignOut, LangLabel, LangEN, LangZH string
	CSS, JS, Icon, CSRFName                                           string
	EN, ZH                                                            bool
}

// withChrome prepares the layout's chrome for both languages, with the
// static files' URLs from a.
func (c *catalog) withChrome(a *assets) error {
	c.chrome = map[string]*chrome{}
	for _, lang := range []string{langEN, langZH} {
		t := func(key string) (string, error) {
			s, ok := c.plain[lang][key]
			if !ok {
				return "", fmt.Errorf("the layout names message %q, which is not in the catalog", key)
			}
			return s, nil
		}
		ch := &chrome{Lang: lang, EN: lang == langEN, ZH: lang == langZH, CSRFName: csrfField}
		for _, f := range []struct {
			dst *string
			key string
		}{{&ch.AppName, "app.name"}, {&ch.Skip, "nav.skip"}, {&ch.NavLabel, "nav.label"}, {&ch.SignOut, "nav.sign_out"},
			{&ch.LangLabel, "lang.label"}, {&ch.LangEN, "lang.en"}, {&ch.LangZH, "lang.zh"}} {
			var err error
			if *f.dst, err = t(f.key); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			dst  *string
			name string
		}{{&ch.CSS, "app.css"}, {&ch.JS, "app.js"}, {&ch.Icon, "icon.svg"}} {
			var err error
			if *f.dst, err = a.URL(f.name); err != nil {
				return err
			}
		}
		c.chrome[lang] = ch
	}
	return nil
}

func newCatalog() (*catalog, error) {
	b := xcatalog.NewBuilder(xcatalog.Fallback(language.English))
	keys := map[string]bool{}
	for _, m := range allMessages() {
		if keys[m.key] {
			return nil, fmt.Errorf("message %q defined twice", m.key)
		}
		if m.en == "" || m.zh == "" {
			return nil, fmt.Errorf("message %q lacks a translation", m.key)
		}
		if strings.Count(m.en, "%") != strings.Count(m.zh, "%") {
			return nil, fmt.Errorf("message %q: the translations take different arguments", m.key)
		}
		keys[m.key] = true
		if err := b.SetString(language.English, m.key, m.en); err != nil {
			return nil, err
		}
		if err := b.SetString(language.SimplifiedChinese, m.key, m.zh); err != nil {
			return nil, err
		}
	}
	c := &catalog{cat: b, keys: keys,
		en:    message.NewPrinter(language.English, message.Catalog(b)),
		zh:    message.NewPrinter(language.SimplifiedChinese, message.Catalog(b)),
		plain: map[string]map[string]string{langEN: {}, langZH: {}},
		zones: map[string]*time.Location{}}
	for _, m := range allMessages() {
		if !strings.Contains(m.en, "%") {
			c.plain[langEN][m.key] = c.en.Sprintf(m.key)
			c.plain[langZH][m.key] = c.zh.Sprintf(m.key)
		}
	}
	for _, name := range zones {
		z, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("time zone %s: %w", name, err)
		}
		c.zones[name] = z
	}
	return c, nil
}

// msg is one message: a key and its two translations (fmt verbs for
// arguments, in the same order in both).
type msg struct{ key, en, zh string }

// locale is how one request is spoken to: a language and a time zone.
type locale struct {
	Lang   string // "en" or "zh-CN"
	Chrome *chrome
	zone   *time.Location
	p      *message.Printer
	cat    *catalog
}

// localeFor picks the request's language and zone (see above).
func (c *catalog) localeFor(r *http.Request, u *domain.User) *locale {
	lang := ""
	if u != nil && u.Locale != "" {
		lang = u.Locale
	}
	if lang == "" {
		if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == langEN || ck.Value == langZH) {
			lang = ck.Value
		}
	}
	if lang == "" {
		lang = negotiate(r.Header.Get("Accept-Language"))
	}
	l := &locale{Lang: lang, Chrome: c.chrome[lang], cat: c, p: c.en, zone: time.UTC}
	if lang == langZH {
		l.p = c.zh
		l.zone = shanghai
	}
	if u != nil && u.TimeZone != "" {
		if z, ok := c.zones[u.TimeZone]; ok {
			l.zone = z
		} else if z, err := time.LoadLocation(u.TimeZone); err == nil {
			l.zone = z
		}
	}
	return l
}

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return z
}

// negotiate picks en or zh-CN from an Accept-Language header: any Chinese
// is zh-CN, anything else English.
func negotiate(header string) string {
	if header == "" || len(header) > 1024 {
		return langEN
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return langEN
	}
	for _, t := range tags {
		if base, _ := t.Base(); base.String() == "zh" {
			return langZH
		}
		if base, _ := t.Base(); base.String() == "en" {
			return langEN
		}
	}
	return langEN
}

// T translates key with args. A key without a message is a bug the
// template check finds; at run time it shows the key.
func (l *locale) T(key string, args ...any) string {
	if len(args) == 0 {
		if s, ok := l.cat.plain[l.Lang][key]; ok {
			return s
		}
	}
	if !l.cat.keys[key] {
		return key
	}
	return l.p.Sprintf(key, args...)
}

// Number formats n with the language's grouping.
func (l *locale) Number(n int64) string { return l.p.Sprintf("%d", n) }

// Time formats t in the locale's zone, to the minute.
func (l *locale) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(l.zone)
	if l.Lang == langZH {
		return t.Format("2006年1月2日 15:04")
	}
	return t.Format("2 Jan 2006, 15:04")
}

// Date formats the day of t in the locale's zone.
func (l *locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(l.zone)
	if l.Lang == langZH {
		return t.Format("2006年1月2日")
	}
	return t.Format("2 Jan 2006")
}

// Clock formats the time of day of t in the locale's zone.
func (l *locale) Clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(l.zone).Format("15:04")
}

// Money formats an amount in minor units of currency: ¥1,234.50 for CNY,
// the code before the figure for others.
func (l *locale) Money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	whole := l.p.Sprintf("%d", minor/100)
	figure := fmt.Sprintf("%s%s.%02d", sign, whole, minor%100)
	if currency == "" || currency == "CNY" {
		return "¥" + figure
	}
	return currency + " " + figure
}

// Zone names the locale's time zone.
func (l *locale) Zone() string { return l.zone.String() }
