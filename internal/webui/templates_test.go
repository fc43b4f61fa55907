package webui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
)

// No text is written in a template: every word a person reads comes from
// the message catalog, in both languages. Text between tags and the
// values of attributes people read (placeholder, title, alt, aria-label,
// value of a visible button) must hold only template actions, markup and
// punctuation. Every message a template names must exist.
func TestTemplatesHoldNoText(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	comments := regexp.MustCompile(`(?s)<!--.*?-->`)
	scripts := regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`)
	tags := regexp.MustCompile(`(?s)<[^>]*>`)
	readable := regexp.MustCompile(`\s(placeholder|title|alt|aria-label|label|content)="([^"]*)"`)
	letters := regexp.MustCompile(`[\p{L}]`)
	keyRef := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	prefixRef := regexp.MustCompile(`\(print "([a-z0-9_.]+\.)"`)
	names, _ := fs.Glob(templateFS, "templates/*.html")
	if len(names) == 0 {
		t.Fatal("no templates found")
	}
	for _, n := range names {
		b, _ := fs.ReadFile(templateFS, n)
		src := string(b)
		for _, m := range keyRef.FindAllStringSubmatch(src, -1) {
			if !cat.keys[m[1]] {
				t.Errorf("%s names message %q, which is not in the catalog", n, m[1])
			}
		}
		for _, m := range prefixRef.FindAllStringSubmatch(src, -1) {
			found := false
			for k := range cat.keys {
				if strings.HasPrefix(k, m[1]) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s builds message keys from %q, but the catalog has none", n, m[1])
			}
		}
		stripped := actions.ReplaceAllString(src, "")
		stripped = comments.ReplaceAllString(stripped, "")
		stripped = scripts.ReplaceAllString(stripped, "")
		for _, m := range readable.FindAllStringSubmatch(stripped, -1) {
			if m[1] == "content" {
				continue // meta content: viewport settings, colours
			}
			if letters.MatchString(m[2]) {
				t.Errorf("%s: attribute %s holds text %q: take it from the catalog", n, m[1], m[2])
			}
		}
		text := tags.ReplaceAllString(stripped, " ")
		for _, word := range strings.Fields(text) {
			if letters.MatchString(word) {
				t.Errorf("%s: text %q is written in the template: take it from the catalog", n, word)
			}
		}
	}
}

// Both languages carry the same arguments in every message.
func TestCatalogIsComplete(t *testing.T) {
	if _, err := newCatalog(); err != nil {
		t.Fatal(err)
	}
	for _, m := range allMessages() {
		if strings.TrimSpace(m.en) == "" || strings.TrimSpace(m.zh) == "" {
			t.Errorf("message %q is empty in a language", m.key)
		}
	}
}

// The customer card labels its fields from the catalog.
func TestCardFieldLabelsAreMessages(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cardFields(&domain.Customer{}) {
		if !cat.keys[f.label] {
			t.Errorf("field %s is labelled %q, which is not in the catalog", f.field, f.label)
		}
	}
}
