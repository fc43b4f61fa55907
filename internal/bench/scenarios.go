package bench

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/demo"
)

var statuses = []string{"lead", "prospect", "active", "inactive"}

// scenario returns the request generator of a named scenario.
func (f *fixture) scenario(name string) generator {
	g := demo.NewGenerator(1)
	pick := func(rng *rand.Rand) int { return rng.IntN(len(f.ids)) }
	get := func(token string) generator {
		return func(rng *rand.Rand, _ int64) request {
			return request{method: "GET", path: "/api/v1/customers/" + f.ids[pick(rng)], token: token, want: 200}
		}
	}
	create := func(*rand.Rand, int64) request {
		i := int(f.nextCustomer.Add(1))
		b, _ := json.Marshal(managerInput(g.Customer(i)))
		return request{method: "POST", path: "/api/v1/customers", token: f.manager, body: b, want: 201}
	}
	// update behaves like an optimistic client: it sends If-Match with
	// the ETag it last saw for the customer (none the first time), keeps
	// the new ETag, and forgets it when the customer changed meanwhile
	// (412, which counts as an answer).
	update := func(rng *rand.Rand, seq int64) request {
		b, _ := json.Marshal(map[string]string{"status": statuses[seq%int64(len(statuses))]})
		id := f.ids[pick(rng)]
		r := request{method: "PATCH", path: "/api/v1/customers/" + id, token: f.manager, body: b, want: 200, alsoOK: 412}
		if tag, ok := f.etags.Load(id); ok {
			r.header = http.Header{"If-Match": {tag.(string)}}
		}
		r.after = func(status int, h http.Header) {
			switch status {
			case 200:
				f.etags.Store(id, h.Get("ETag"))
			case 412:
				f.etags.Delete(id)
			}
		}
		return r
	}
	searchPhone := func(rng *rand.Rand, _ int64) request {
		return request{method: "GET", path: "/api/v1/customers?phone=" + url.QueryEscape(f.phones[rng.IntN(len(f.phones))]), token: f.manager, want: 200}
	}
	list := func(rng *rand.Rand, _ int64) request {
		cursor := url.QueryEscape(encodeCursor(f.ids[pick(rng)]))
		return request{method: "GET", path: "/api/v1/customers?limit=50&cursor=" + cursor, token: f.service, want: 200}
	}
	switch name {
	case "create":
		return create
	case "get_unmasked":
		return get(f.manager)
	case "get_masked":
		return get(f.service)
	case "search_phone":
		return searchPhone
	case "search_name":
		return func(rng *rand.Rand, _ int64) request {
			return request{method: "GET", path: "/api/v1/customers?limit=50&q=" + url.QueryEscape(f.names[rng.IntN(len(f.names))]), token: f.manager, want: 200}
		}
	case "search_suffix":
		// The last 4 or 6 digits of a customer's phone, as a rep types
		// them; the first page of a search box (20).
		return func(rng *rand.Rand, _ int64) request {
			p := f.phones[rng.IntN(len(f.phones))]
			n := 4 + 2*rng.IntN(2)
			return request{method: "GET", path: "/api/v1/customers?limit=20&q=" + p[len(p)-n:], token: f.manager, want: 200}
		}
	case "search_bigram":
		// Two consecutive characters of a customer's Chinese name (a
		// person's or a company's).
		return func(rng *rand.Rand, _ int64) request {
			r := []rune(f.pickName(rng, true))
			i := rng.IntN(len(r) - 1)
			for r[i] < 0x4e00 || r[i+1] < 0x4e00 { // two Chinese characters, not a branch number
				i = rng.IntN(len(r) - 1)
			}
			return request{method: "GET", path: "/api/v1/customers?limit=20&q=" + url.QueryEscape(string(r[i:i+2])), token: f.manager, want: 200}
		}
	case "search_prefix":
		// The first 3 or more letters of a word of a customer's Latin name.
		return func(rng *rand.Rand, _ int64) request {
			words := strings.Fields(f.pickName(rng, false))
			w := words[rng.IntN(len(words))]
			if len(w) > 3 {
				w = w[:3+rng.IntN(len(w)-3)]
			}
			return request{method: "GET", path: "/api/v1/customers?limit=20&q=" + url.QueryEscape(w), token: f.manager, want: 200}
		}
	case "list":
		return list
	case "update":
		return update
	case "mixed":
		unmasked := get(f.manager)
		return func(rng *rand.Rand, seq int64) request {
			switch p := rng.IntN(100); {
			case p < 70:
				return unmasked(rng, seq)
			case p < 80:
				return searchPhone(rng, seq)
			case p < 90:
				return list(rng, seq)
			case p < 95:
				return create(rng, seq)
			default:
				return update(rng, seq)
			}
		}
	case "ui_card":
		return func(rng *rand.Rand, _ int64) request {
			return request{method: "GET", path: "/customers/" + f.ids[pick(rng)], header: f.managerUI, want: 200}
		}
	case "ui_list":
		return func(rng *rand.Rand, _ int64) request {
			return request{method: "GET", path: "/customers?cursor=" + url.QueryEscape(f.ids[pick(rng)]), header: f.managerUI, want: 200}
		}
	case "login":
		return func(rng *rand.Rand, _ int64) request {
			b, _ := json.Marshal(map[string]string{"email": f.loginUsers[rng.IntN(len(f.loginUsers))], "password": f.loginPass})
			return request{method: "POST", path: "/api/v1/auth/login", body: b, want: 200}
		}
	}
	panic("unknown scenario " + name)
}

// pickName returns the name of a random seeded customer written in
// Chinese (cjk) or in Latin letters.
func (f *fixture) pickName(rng *rand.Rand, cjk bool) string {
	for {
		n := f.fullNames[rng.IntN(len(f.fullNames))]
		r, _ := utf8.DecodeRuneInString(n)
		if (r >= 0x4e00) == cjk && utf8.RuneCountInString(n) >= 2 && strings.TrimFunc(n, unicode.IsDigit) != "" {
			if !cjk {
				n = strings.Map(func(r rune) rune {
					if unicode.IsLetter(r) || r == ' ' {
						return r
					}
					return ' '
				}, n)
				if len(strings.Fields(n)) == 0 {
					continue
				}
			}
			return n
		}
	}
}

// encodeCursor builds the API's opaque cursor for an id (base64url of the
// id), so list pages start at random places.
func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// WriteTable prints a report as a readable table.
func WriteTable(w io.Writer, r *Report) {
	fmt.Fprintf(w, "\nCustos load benchmark — %s, %s, %d customers, %s per scenario\n", r.Machine, r.Database, r.Customers, r.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tconns\treq/s\tratio\tp50 ms\tp95 ms\tp99 ms\terrors\tserver CPU µs/req\tpeak RSS MB\t")
	for _, x := range append([]Result{r.Ceiling}, r.Results...) {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.3f\t%.2f\t%.2f\t%.2f\t%d\t%.0f\t%.0f\t\n", x.Scenario, x.Concurrency, x.RPS, x.Ratio, x.P50Ms, x.P95Ms, x.P99Ms, x.Errors, x.ServerCPUUs, x.PeakRSSMB)
	}
	_ = tw.Flush()
}
