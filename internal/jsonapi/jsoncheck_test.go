package jsonapi_test

import (
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jsonapi"
)

// TestDecodeStrictRefusesAmbiguousBodies covers what encoding/json would
// otherwise read silently one way: invalid UTF-8 (replaced with U+FFFD),
// lone surrogate escapes (likewise) and duplicate member names (the last
// wins). Each is a 400 naming the JSON path.
func TestDecodeStrictRefusesAmbiguousBodies(t *testing.T) {
	type role struct {
		Name   string            `json:"name"`
		Fields map[string]string `json:"fields"`
		Rules  []struct {
			Province string `json:"province"`
			City     string `json:"city"`
		} `json:"regions"`
	}
	many := func(n int, dup string) string {
		var b strings.Builder
		b.WriteString(`{"fields":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"k` + strings.Repeat("x", i) + `":"v"`)
		}
		if dup != "" {
			b.WriteString(`,"` + dup + `":"w"`)
		}
		b.WriteString(`}}`)
		return b.String()
	}
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"raw ff fe", "{\"name\":\"\xff\xfe\"}", "name", "not valid UTF-8 (byte 9)"},
		{"raw bytes in nested", "{\"regions\":[{\"city\":\"a\"},{\"city\":\"\x80\x81\"}]}", "regions[1].city", "not valid UTF-8"},
		{"truncated sequence", "{\"name\":\"\xe4\xbd\"}", "name", "not valid UTF-8"},
		{"overlong encoding", "{\"name\":\"\xc0\xaf\"}", "name", "not valid UTF-8"},
		{"encoded surrogate", "{\"name\":\"\xed\xa0\x80\"}", "name", "not valid UTF-8"},
		{"bad byte in a name", "{\"na\xffme\":\"a\"}", "", "a member name is not valid UTF-8"},
		{"bad byte in a nested name", "{\"fields\":{\"\xff\":\"a\"}}", "fields", "a member name in fields"},
		{"bad byte outside strings", "{\"name\":\"a\"\xff}", "", "not valid UTF-8 (byte 11)"},
		{"bad byte after syntax error", "{\"name\" \"a\xff\"}", "", "not valid UTF-8 (byte 10)"},
		{"lone high surrogate", `{"name":"\ud800"}`, "name", "unpaired UTF-16 surrogate"},
		{"lone low surrogate", `{"name":"a\udfff"}`, "name", "unpaired UTF-16 surrogate"},
		{"high then high", `{"name":"\ud800\ud800"}`, "name", "unpaired"},
		{"high then letter", `{"name":"\uD800x"}`, "name", "unpaired"},
		{"high at end", `{"name":"\ud800`, "name", "unpaired"},
		{"surrogate in a name", `{"\udc00":1}`, "", "a member name holds an unpaired"},
		{"surrogate in nested array", `{"regions":[{"city":"x"},{"province":"\udbff"}]}`, "regions[1].province", "unpaired"},
		{"duplicate", `{"name":"A","name":"B"}`, "name", "name is given more than once"},
		{"duplicate by case", `{"name":"A","NAME":"B"}`, "NAME", "ignoring case"},
		{"duplicate by kelvin sign", `{"fields":{"k":"1","` + "\u212a" + `":"2"}}`, "fields.\u212a", "more than once"},
		{"duplicate by escape", `{"name":"A","n\u0061me":"B"}`, "name", "more than once"},
		{"duplicate nested", `{"fields":{"contact":"read","contact":"none"}}`, "fields.contact", "more than once"},
		{"duplicate in array element", `{"regions":[{"city":"a"},{"city":"b","city":"c"}]}`, "regions[1].city", "more than once"},
		{"duplicate in a big object", many(100, "k"+strings.Repeat("x", 70)), "fields.k" + strings.Repeat("x", 56) + "…", "more than once"},
		{"duplicate in a big object by case", many(40, "K"), "fields.K", "ignoring case"},
		{"duplicate empty name", `{"fields":{"":"a","":"b"}}`, "fields.", "more than once"},
		{"control character", "{\"name\":\"a\tb\"}", "name", "control character"},
	} {
		var v role
		err := jsonapi.DecodeStrict([]byte(c.body), &v)
		e := domain.AsError(err)
		if err == nil || e.Code != domain.CodeInvalid || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: got %v (field %q), want invalid field %q mentioning %q", c.name, err, e.Field, c.field, c.msg)
		}
	}
}

// TestDecodeStrictAcceptsExactText checks that what is refused above has
// an accepted exact form: valid pairs, escapes, the replacement character
// sent as itself, distinct names and big objects.
func TestDecodeStrictAcceptsExactText(t *testing.T) {
	var v struct {
		Name   string            `json:"name"`
		Fields map[string]string `json:"fields"`
	}
	for body, want := range map[string]string{
		`{"name":"\ud83d\ude00"}`:                   "😀",
		`{"name":"😀 张伟"}`:                           "😀 张伟",
		`{"name":"\uFFFD\uFFFD"}`:                   "\uFFFD\uFFFD",
		"{\"name\":\"\uFFFD\"}":                     "\uFFFD",
		`{"name":"a\\ud800"}`:                       `a\ud800`,
		`{"name":"\"\\\/\b\f\n\r\t\u00e9"}`:         "\"\\/\b\f\n\r\té",
		` {"fields":{"a":"1","b":"2"},"name":"x"} `: "x",
		`{"fields":{"name":"1"},"name":"y"}`:        "y",
	} {
		v.Name = ""
		if err := jsonapi.DecodeStrict([]byte(body), &v); err != nil || v.Name != want {
			t.Errorf("%s: got %q, %v; want %q", body, v.Name, err, want)
		}
	}
	var b strings.Builder
	b.WriteString(`{"fields":{`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"f` + strings.Repeat("x", i%50) + string(rune('a'+i/50)) + `":"v"`)
	}
	b.WriteString(`}}`)
	v.Fields = nil
	if err := jsonapi.DecodeStrict([]byte(b.String()), &v); err != nil || len(v.Fields) != 1000 {
		t.Fatalf("1000 distinct names: %d, %v", len(v.Fields), err)
	}
}
