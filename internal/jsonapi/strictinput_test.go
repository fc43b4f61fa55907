package jsonapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// storedState is what a refused request must leave exactly as it was:
// every customer as listed (id, name, status, version) and the row counts
// of the tables a write touches.
func storedState(t *testing.T, a *testkit.TestApp, s *testkit.Server, tok string) string {
	t.Helper()
	var b strings.Builder
	var list struct {
		Items []map[string]any `json:"items"`
	}
	r := s.Do(t, "GET", "/api/v1/customers?limit=200", tok, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &list)
	for _, c := range list.Items {
		fmt.Fprintf(&b, "%s|%v|%v|%v|%v\n", c["id"], c["name"], c["status"], c["version"], c["address"])
	}
	raw := testkit.RawDB(t, a)
	for _, table := range []string{"customers", "blind_index", "data_keys", "users"} {
		fmt.Fprintf(&b, "%s=%d\n", table, raw.Int(t, `SELECT COUNT(*) FROM `+table))
	}
	return b.String()
}

// TestBodiesAreReadExactly sends bodies that encoding/json alone would
// have accepted after rewriting them: raw bytes that are not UTF-8, lone
// surrogate escapes, and members given twice (at the top, nested, by
// case, by escape). Each is a 400 naming the member, and nothing stored
// changes.
func TestBodiesAreReadExactly(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
		tok := s.LoginAs(t, "mgr@x.example.com")
		r := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Existing", "address": map[string]string{"street": "1 Harbour Rd"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("seed: %d %s", r.Status, r.Body)
		}
		id := r.Map(t)["id"].(string)
		before := storedState(t, a, s, tok)
		for _, c := range []struct {
			name, method, path, body, field string
		}{
			{"raw ff fe", "POST", "/api/v1/customers", "{\"name\":\"\xff\xfe\"}", "name"},
			{"raw bytes nested", "POST", "/api/v1/customers", "{\"name\":\"a\",\"address\":{\"street\":\"\x80\x81\"}}", "address.street"},
			{"raw bytes in a tag", "POST", "/api/v1/customers", "{\"name\":\"a\",\"tags\":[\"vip\",\"\xc0\xaf\"]}", "tags[1]"},
			{"raw bytes in a name", "POST", "/api/v1/customers", "{\"name\":\"a\",\"\xffname\":\"b\"}", ""},
			{"lone surrogate", "POST", "/api/v1/customers", `{"name":"\ud800"}`, "name"},
			{"lone low surrogate", "PATCH", "/api/v1/customers/" + id, `{"address":{"city":"x\udc00"}}`, "address.city"},
			{"duplicate", "POST", "/api/v1/customers", `{"name":"A","name":"B"}`, "name"},
			{"duplicate by case", "POST", "/api/v1/customers", `{"name":"A","Name":"B"}`, "Name"},
			{"duplicate by escape", "PATCH", "/api/v1/customers/" + id, `{"status":"active","st\u0061tus":"inactive"}`, "status"},
			{"duplicate nested", "PATCH", "/api/v1/customers/" + id, `{"address":{"street":"A","street":"B"}}`, "address.street"},
			{"duplicate in search", "POST", "/api/v1/customers/search", `{"phone":"13800000001","phone":"13800000002"}`, "phone"},
			{"duplicate in login", "POST", "/api/v1/auth/login", `{"email":"x@x.example.com","email":"y@x.example.com","password":"p"}`, "email"},
		} {
			got := s.Do(t, c.method, c.path, tok, c.body)
			if got.Status != http.StatusBadRequest || got.ErrorCode() != "invalid" || got.ErrorField() != c.field {
				t.Errorf("%s: %d %s, want 400 invalid field %q", c.name, got.Status, clip(got.Body), c.field)
			}
			if strings.Contains(string(got.Body), "\\ufffd") || strings.Contains(string(got.Body), "\uFFFD") {
				t.Errorf("%s: the answer holds U+FFFD: %s", c.name, got.Body)
			}
		}
		if after := storedState(t, a, s, tok); after != before {
			t.Errorf("stored data changed:\nbefore %s\nafter  %s", before, after)
		}
		// The exact forms are accepted: a valid pair, and U+FFFD sent as itself.
		r = s.Do(t, "POST", "/api/v1/customers", tok, `{"name":"Smile \ud83d\ude00 \uFFFD"}`)
		if r.Status != http.StatusCreated || r.Map(t)["name"] != "Smile 😀 \uFFFD" {
			t.Errorf("exact text: %d %s", r.Status, r.Body)
		}
	})
}

// TestPasswordsAreExactBytes is the sign-in that used to let different
// passwords in as one user: the JSON decoder turned 0xff, 0xfe and 0x80
// bytes alike into U+FFFD before hashing. Now a password is the exact
// UTF-8 sent: bytes that are not UTF-8 are refused (400) when setting a
// password and when presenting one, U+FFFD sent as itself is an ordinary
// character, and no Unicode normalization makes two spellings one.
func TestPasswordsAreExactBytes(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		tok := s.Login(t, testkit.AdminEmail, testkit.AdminPassword)
		body := func(fields ...string) string {
			var b strings.Builder
			b.WriteByte('{')
			for i := 0; i+1 < len(fields); i += 2 {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`"` + fields[i] + `":"` + fields[i+1] + `"`)
			}
			b.WriteByte('}')
			return b.String()
		}
		const rest = " then a long passphrase"
		before := storedState(t, a, s, tok)
		r := s.Do(t, "POST", "/api/v1/users", tok, body("email", "ff@x.example.com", "password", "\xff\xff\xff\xff"+rest, "role", "sales_rep", "display_name", "FF"))
		if r.Status != http.StatusBadRequest || r.ErrorField() != "password" {
			t.Fatalf("user with a non-UTF-8 password: %d %s", r.Status, r.Body)
		}
		if after := storedState(t, a, s, tok); after != before {
			t.Errorf("a refused user changed the store:\nbefore %s\nafter  %s", before, after)
		}

		// A user whose password begins with four U+FFFD, as one created
		// with four 0xff bytes used to get.
		r = s.Do(t, "POST", "/api/v1/users", tok, body("email", "fffd@x.example.com", "password", `\ufffd\ufffd\ufffd\ufffd`+rest, "role", "sales_rep", "display_name", "FFFD"))
		if r.Status != http.StatusCreated {
			t.Fatalf("user: %d %s", r.Status, r.Body)
		}
		for _, c := range []struct {
			name, password string
			status         int
		}{
			{"four 0xff", "\xff\xff\xff\xff" + rest, 400},
			{"four 0xfe", "\xfe\xfe\xfe\xfe" + rest, 400},
			{"0x80 to 0x83", "\x80\x81\x82\x83" + rest, 400},
			{"lone surrogates", `\ud800\ud800\ud800\ud800` + rest, 400},
			{"U+FFFD escaped", `\ufffd\ufffd\ufffd\ufffd` + rest, 200},
			{"U+FFFD as UTF-8", "\uFFFD\uFFFD\uFFFD\uFFFD" + rest, 200},
			{"three U+FFFD", "\uFFFD\uFFFD\uFFFD" + rest, 401},
			{"an escaped NUL", `\u0000\ufffd\ufffd\ufffd\ufffd` + rest, 400},
		} {
			got := s.Do(t, "POST", "/api/v1/auth/login", "", body("email", "fffd@x.example.com", "password", c.password))
			if got.Status != c.status || (c.status == 400 && got.ErrorField() != "password") {
				t.Errorf("sign-in with %s: %d %s, want %d", c.name, got.Status, clip(got.Body), c.status)
			}
		}
		if got := s.Do(t, "POST", "/api/v1/auth/login", "", body("email", `fffd\u0000@x.example.com`, "password", "x"+rest)); got.Status != 400 || got.ErrorField() != "email" {
			t.Errorf("sign-in with a NUL in the email: %d %s", got.Status, clip(got.Body))
		}
		user := s.Login(t, "fffd@x.example.com", "\uFFFD\uFFFD\uFFFD\uFFFD"+rest)
		for _, c := range []struct{ path, body, field string }{
			{"/api/v1/auth/step-up", body("password", "\xff\xff\xff\xff"+rest), "password"},
			{"/api/v1/auth/password", body("current_password", "\xfe\xfe\xfe\xfe"+rest, "new_password", "another long passphrase, this one"), "current_password"},
			{"/api/v1/auth/password", body("current_password", "\uFFFD\uFFFD\uFFFD\uFFFD"+rest, "new_password", "\x80 another long passphrase"), "new_password"},
			{"/api/v1/auth/step-up", body("password", `\u0000`+rest), "password"},
			{"/api/v1/auth/password", body("current_password", "\uFFFD\uFFFD\uFFFD\uFFFD"+rest, "new_password", `another long\u0000 passphrase`), "new_password"},
		} {
			got := s.Do(t, "POST", c.path, user, c.body)
			if got.Status != http.StatusBadRequest || got.ErrorField() != c.field {
				t.Errorf("%s: %d %s, want 400 on %s", c.path, got.Status, clip(got.Body), c.field)
			}
		}

		// No normalization: a decomposed é and a composed one are two
		// passwords.
		nfd := "Cafe\u0301 au lait on the Quai d'Orsay"
		r = s.Do(t, "POST", "/api/v1/users", tok, map[string]string{"email": "nfd@x.example.com", "password": nfd, "role": "sales_rep", "display_name": "NFD"})
		if r.Status != http.StatusCreated {
			t.Fatalf("user: %d %s", r.Status, r.Body)
		}
		nfc := "Caf\u00e9 au lait on the Quai d'Orsay"
		if got := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "nfd@x.example.com", "password": nfc}); got.Status != http.StatusUnauthorized {
			t.Errorf("composed é signed in as the decomposed one: %d", got.Status)
		}
		s.Login(t, "nfd@x.example.com", nfd)
	})
}

// TestFiltersNeverVanish lists customers with filters whose query string
// is malformed: each is a 400 naming the filter, never a list with the
// filter silently dropped.
func TestFiltersNeverVanish(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
		tok := s.LoginAs(t, "mgr@x.example.com")
		for i, st := range []string{"lead", "active", "inactive", "inactive", "prospect"} {
			r := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": fmt.Sprintf("张%c", '伟'+rune(i)), "status": st,
				"phone": fmt.Sprintf("137000004%02d", 30+i)})
			if r.Status != http.StatusCreated {
				t.Fatalf("seed: %d %s", r.Status, r.Body)
			}
		}
		count := func(query string) int {
			r := s.Do(t, "GET", "/api/v1/customers?"+query, tok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", query, r.Status, r.Body)
			}
			var list struct {
				Items []any `json:"items"`
			}
			r.JSON(t, &list)
			return len(list.Items)
		}
		if n := count("status=inactive"); n != 2 {
			t.Fatalf("status=inactive: %d customers", n)
		}
		if n := count("phone=13700000432"); n != 1 {
			t.Fatalf("phone lookup: %d customers", n)
		}
		if n := count("q=%E5%BC%A0%E4%BC%9F"); n != 1 {
			t.Fatalf("q=张伟: %d customers", n)
		}
		before := storedState(t, a, s, tok)
		for _, c := range []struct{ query, field string }{
			{"status=inactive%zz", "status"},
			{"status=inactive%", "status"},
			{"status=inactive%2", "status"},
			{"phone=1370000432%zz", "phone"},
			{"status=%ff", "status"},
			{"q=%E5%BC", "q"},
			{"status=inactive&status=lead", "status"},
			{"status=inactive;limit=1", "query"},
			{"stat%zzus=inactive", "query"},
			{"%ff=1", "query"},
			{"status=inactive&limit=5%", "limit"},
		} {
			r := s.Do(t, "GET", "/api/v1/customers?"+c.query, tok, nil)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid" || r.ErrorField() != c.field {
				t.Errorf("?%s: %d %s, want 400 invalid field %q", c.query, r.Status, clip(r.Body), c.field)
			}
			if strings.Contains(string(r.Body), "items") {
				t.Errorf("?%s: answered a list", c.query)
			}
		}
		if after := storedState(t, a, s, tok); after != before {
			t.Errorf("stored data changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// TestUserAgentMustBeUTF8 refuses a sign-in whose User-Agent (stored
// with the session) is not valid UTF-8, and accepts a long valid one,
// stored clipped at a character boundary.
func TestUserAgentMustBeUTF8(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		login := func(ua string) int {
			req, err := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/api/v1/auth/login",
				strings.NewReader(`{"email":"`+testkit.AdminEmail+`","password":"`+testkit.AdminPassword+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", ua)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			return resp.StatusCode
		}
		if st := login("Custos-Test/1.0 \xff"); st != http.StatusBadRequest {
			t.Errorf("non-UTF-8 User-Agent: %d", st)
		}
		if st := login(strings.Repeat("浏览器", 100)); st != http.StatusOK {
			t.Fatalf("long User-Agent: %d", st)
		}
		tok := s.Login(t, testkit.AdminEmail, testkit.AdminPassword)
		r := s.Do(t, "GET", "/api/v1/sessions", tok, nil)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), "\\ufffd") || strings.Contains(string(r.Body), "\uFFFD") {
			t.Errorf("sessions: %d %s", r.Status, clip(r.Body))
		}
		if !strings.Contains(string(r.Body), strings.Repeat("浏览器", 28)) {
			t.Errorf("the long User-Agent was not kept: %s", clip(r.Body))
		}
	})
}
