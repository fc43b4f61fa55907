package jsonapi

import (
	"errors"
	"net/url"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
)

func TestParseInclusionRequest(t *testing.T) {
	for q, want := range map[string]InclusionRequest{
		"seq=0":                {0, 0},
		"seq=5&tree_size=6":    {5, 6},
		"seq=9007199254740991": {9007199254740991, 0},
	} {
		v, _ := url.ParseQuery(q)
		got, err := ParseInclusionRequest(v)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", q, got, err)
		}
	}
}

// FuzzParseProofRequests: any query either parses into a request within
// the documented bounds or is refused as invalid input naming a field.
func FuzzParseProofRequests(f *testing.F) {
	for _, s := range []string{"seq=0", "seq=3&tree_size=10", "from=1&to=5", "seq=-1", "from=0", "seq=01",
		"tree_size=%00", "seq=1&seq=2", "to=18446744073709551616&from=1", "seq=9007199254740993"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		check := func(err error) {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field == "" {
				t.Fatalf("%q: error %v is not an invalid-input error naming a field", raw, err)
			}
		}
		if r, err := ParseInclusionRequest(q); err != nil {
			check(err)
		} else if r.Seq < 0 || r.Seq > maxTreeSize || r.TreeSize < 0 || r.TreeSize > maxTreeSize || (r.TreeSize != 0 && r.TreeSize <= r.Seq) {
			t.Fatalf("%q: out of bounds %+v", raw, r)
		}
		if r, err := ParseConsistencyRequest(q); err != nil {
			check(err)
		} else if r.From < 1 || r.From > maxTreeSize || r.To < 0 || r.To > maxTreeSize || (r.To != 0 && r.To < r.From) {
			t.Fatalf("%q: out of bounds %+v", raw, r)
		}
		if _, err := decodeSeqCursor(q.Get("cursor")); err != nil {
			check(err)
		}
	})
}
