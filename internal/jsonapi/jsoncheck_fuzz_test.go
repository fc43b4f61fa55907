package jsonapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jsonapi"
)

// FuzzDecodeStrictExact compares the strict decoder with encoding/json
// alone on arbitrary bodies. The strict one must accept exactly the bodies
// encoding/json reads without rewriting anything: valid UTF-8, no U+FFFD
// that was not sent (a lone surrogate escape), no object naming a member
// twice (ignoring case, as fields are matched), at most
// jsonapi.MaxJSONDepth levels deep. When both accept, they agree on the
// value. Every refusal is 400 invalid with a short field name in UTF-8.
func FuzzDecodeStrictExact(f *testing.F) {
	for _, s := range []string{
		`{"name":"a"}`, `{"name":"A","name":"B"}`, `{"name":"A","NAME":"B"}`, `{"n\u0061me":1,"name":2}`,
		`{"a":{"b":1,"b":2}}`, `{"a":[{"b":1},{"b":1,"B":2}]}`, `{"k":1,"` + "\u212a" + `":2}`,
		"{\"name\":\"\xff\xfe\"}", "{\"\xff\":1}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":1}\xff",
		`{"a":"\ud800"}`, `{"a":"\udc00"}`, `{"a":"\ud800\ud800"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`,
		`{"a":"\ufffd"}`, "{\"a\":\"\uFFFD\"}", `{"a":"\uD800`, `["\ud800"]`, `{"a":[1,2,{"b":"\udfff"}]}`,
		strings.Repeat("[", 65) + strings.Repeat("]", 65), strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64),
		`{"a":1} {"a":2}`, ``, `{`, `{"a":tru}`, `{"a":-01}`, `{"a":1.}`, `{"a":1e}`, "{\"a\":\"\t\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4<<10 {
			return // the reference below compares names pairwise
		}
		var strict any
		err := jsonapi.DecodeStrict(b, &strict)
		if err != nil {
			e := domain.AsError(err)
			if e.Code != domain.CodeInvalid || len(e.Field) > 70 || !utf8.ValidString(e.Field) || !utf8.ValidString(e.Message) {
				t.Fatalf("refusal %v (field %q)", err, e.Field)
			}
		}
		var plain any
		plainErr := plainDecode(b, &plain)
		if err == nil {
			if plainErr != nil {
				t.Fatalf("strict accepted what encoding/json refuses: %v", plainErr)
			}
			if !reflect.DeepEqual(strict, plain) {
				t.Fatalf("strict read %#v, encoding/json %#v", strict, plain)
			}
		}
		if plainErr != nil {
			return
		}
		exact := utf8.Valid(b) && countReplacements(plain) == sentReplacements(b)
		dup, depth := duplicateNames(b)
		want := exact && !dup && depth <= jsonapi.MaxJSONDepth
		if want != (err == nil) {
			t.Fatalf("strict: %v; exact %v, duplicate %v, depth %d", err, exact, dup, depth)
		}
	})
}

// plainDecode is DecodeStrict without its checks: encoding/json alone.
func plainDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// countReplacements counts U+FFFD in the names and strings of v.
func countReplacements(v any) int {
	switch x := v.(type) {
	case string:
		return strings.Count(x, "\uFFFD")
	case []any:
		n := 0
		for _, e := range x {
			n += countReplacements(e)
		}
		return n
	case map[string]any:
		n := 0
		for k, e := range x {
			n += strings.Count(k, "\uFFFD") + countReplacements(e)
		}
		return n
	}
	return 0
}

// sentReplacements counts the U+FFFD a valid JSON body sends: as UTF-8,
// or as a \ufffd escape (a backslash that starts an escape, not one
// escaped itself).
func sentReplacements(b []byte) int {
	n := bytes.Count(b, []byte("\uFFFD"))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+5 < len(b) && b[i+1] == 'u' && strings.EqualFold(string(b[i+2:i+6]), "fffd") {
			n++
		}
		i++ // skip the escaped character, so "\\" never starts another
	}
	return n
}

// duplicateNames reads b with json.Decoder.Token and reports whether an
// object names a member twice (strings.EqualFold, the same folding as
// bytes.EqualFold), and how deep it nests.
// It assumes encoding/json accepts b.
func duplicateNames(b []byte) (dup bool, maxDepth int) {
	type level struct {
		object, wantName bool
		names            []string
	}
	var stack []level
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return dup, maxDepth
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].wantName = true
				}
				stack = append(stack, level{object: d == '{', wantName: d == '{'})
				maxDepth = max(maxDepth, len(stack))
			default:
				stack = stack[:top]
				if len(stack) == 0 {
					return dup, maxDepth
				}
			}
			continue
		}
		if top < 0 {
			return dup, maxDepth
		}
		l := &stack[top]
		if !l.object {
			continue
		}
		if !l.wantName {
			l.wantName = true
			continue
		}
		name := tok.(string)
		for _, n := range l.names {
			if strings.EqualFold(n, name) {
				dup = true
			}
		}
		l.names = append(l.names, name)
		l.wantName = false
	}
}
