package jsonapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// waitImport polls an import until it ends and returns it as the API
// shows it.
func waitImport(t *testing.T, s *testkit.Server, tok, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := s.Do(t, "GET", "/api/v1/imports/"+id, tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET import %s: %d %s", id, r.Status, r.Body)
		}
		m := r.Map(t)
		if st := m["state"]; st != "validating" && st != "writing" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %v", id, m["state"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// importer is an app whose sales managers may import (the built-in roles
// give customers.import to the administrator only, who sees contact data
// masked and so cannot write it), with a manager signed in.
type importer struct {
	a    *testkit.TestApp
	s    *testkit.Server
	tok  string
	logs *lockedBuffer
}

func newImporter(t *testing.T, d testkit.Dialect, cfg func(*config.Config)) *importer {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := testkit.NewApp(t, d, testkit.AppOptions{Log: log, Config: cfg})
	a.UpdateRole(t, domain.RoleSalesManager, func(r *domain.Role) { r.Functions[domain.FnCustomersImport] = true })
	team := a.CreateTeam(t, "East")
	a.CreateUser(t, "importer@x.example.com", domain.RoleSalesManager, team)
	s := testkit.Serve(t, a)
	return &importer{a: a, s: s, tok: s.LoginAs(t, "importer@x.example.com"), logs: logs}
}

// upload sends a raw text/csv upload.
func (im *importer) upload(t *testing.T, path string, body []byte) *testkit.Response {
	t.Helper()
	return im.s.DoWith(t, "POST", path, im.tok, body, csvUpload)
}

// run uploads a file and waits for its import to end.
func (im *importer) run(t *testing.T, path string, body []byte) map[string]any {
	t.Helper()
	r := im.upload(t, path, body)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	id := r.Map(t)["id"].(string)
	if loc := r.Header.Get("Location"); loc != "/api/v1/imports/"+id {
		t.Errorf("Location %q", loc)
	}
	return waitImport(t, im.s, im.tok, id)
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16LE(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func multipartUpload(t *testing.T, part string, content []byte) ([]byte, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(part, "customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}
}

// TestImportUpload imports customers, contacts and deals through the API
// in each encoding, as a raw body and as multipart, polls their progress
// and downloads the report of a refused file.
func TestImportUpload(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		im := newImporter(t, d, nil)
		expectDone := func(m map[string]any, enc string, rows float64) {
			t.Helper()
			if m["state"] != "done" || m["encoding"] != enc || m["rows_total"] != rows || m["rows_done"] != rows || m["imported"] != rows {
				rep := ""
				if path, ok := m["report"].(string); ok {
					rep = string(im.s.Do(t, "GET", path, im.tok, nil).Body)
				}
				t.Fatalf("import: %v\n%s", m, rep)
			}
			if _, ok := m["report"]; ok {
				t.Errorf("an import without refused rows offers a report: %v", m)
			}
		}

		m := im.run(t, "/api/v1/imports/customers", []byte("\ufeffkind,name,phone,email\n"+
			"company,深圳恒信冷链物流有限公司,13800138000,buyer@hengxin.example.com\n"+
			"person,Ann Smith,13900139000,ann@example.com\n"))
		expectDone(m, "utf-8-bom", 2)

		body, h := multipartUpload(t, "file", gbk(t, "name,phone,city\n李娜,13700137000,广州市\n王强,13600136000,北京市\n"))
		r := im.s.DoWith(t, "POST", "/api/v1/imports/customers", im.tok, body, h)
		if r.Status != http.StatusAccepted {
			t.Fatalf("multipart GBK upload: %d %s", r.Status, r.Body)
		}
		expectDone(waitImport(t, im.s, im.tok, r.Map(t)["id"].(string)), "gb18030", 2)

		expectDone(im.run(t, "/api/v1/imports/customers", utf16LE(t, "name,industry\n陈静,零售\n")), "utf-16le", 1)

		list := im.s.Do(t, "GET", "/api/v1/customers?limit=200", im.tok, nil)
		for _, name := range []string{"深圳恒信冷链物流有限公司", "李娜", "王强", "陈静", "零售"} {
			if !strings.Contains(string(list.Body), name) {
				t.Errorf("imported customer %s not listed (or not decoded): %s", name, clip(list.Body))
			}
		}

		// Contacts and deals name their customer by id or by an exact
		// identifier.
		companyID := ""
		for _, c := range list.Map(t)["items"].([]any) {
			if c.(map[string]any)["name"] == "深圳恒信冷链物流有限公司" {
				companyID = c.(map[string]any)["id"].(string)
			}
		}
		expectDone(im.run(t, "/api/v1/imports/contacts", []byte("customer_id,customer_email,name,title\n"+
			companyID+",,王芳,采购经理\n,buyer@hengxin.example.com,刘洋,财务\n")), "utf-8", 2)
		expectDone(im.run(t, "/api/v1/imports/deals", gbk(t, "customer_phone,customer_email,title,amount,stage\n"+
			"13800138000,,冷链年度合同,120000.50,proposal\n,ann@example.com,咨询,800,\n")), "gb18030", 2)
		contacts := im.s.Do(t, "GET", "/api/v1/customers/"+companyID+"/contacts", im.tok, nil)
		if !strings.Contains(string(contacts.Body), "王芳") || !strings.Contains(string(contacts.Body), "刘洋") {
			t.Errorf("imported contacts: %d %s", contacts.Status, clip(contacts.Body))
		}
		deals := im.s.Do(t, "GET", "/api/v1/deals?customer_id="+companyID, im.tok, nil)
		if !strings.Contains(string(deals.Body), "冷链年度合同") {
			t.Errorf("imported deals: %d %s", deals.Status, clip(deals.Body))
		}

		// Imported titles are sealed like any other.
		if n := testkit.RawDB(t, im.a).Int(t, `SELECT (SELECT COUNT(*) FROM deals WHERE title <> '' OR title_sealed IS NULL) +
			(SELECT COUNT(*) FROM contacts WHERE title <> '' OR title_sealed IS NULL)`); n != 0 {
			t.Errorf("%d imported titles stored in the clear", n)
		}

		// A refused file: every problem of every row, nothing written,
		// the rows in the report with a column of their problems.
		before := testkit.RawDB(t, im.a).Int(t, `SELECT COUNT(*) FROM customers`)
		m = im.run(t, "/api/v1/imports/customers", []byte("name,phone,email,status\n"+
			"Good Row,13500135000,good@example.com,\n"+
			"Two Problems,123,not-an-email,\n"+
			",13800138000,,sleeping\n"))
		if m["state"] != "invalid" || m["problems"] != 5.0 || m["rows_invalid"] != 2.0 || m["imported"] != 0.0 {
			t.Fatalf("refused import: %v", m)
		}
		if after := testkit.RawDB(t, im.a).Int(t, `SELECT COUNT(*) FROM customers`); after != before {
			t.Errorf("a refused import wrote %d customers", after-before)
		}
		rep := im.s.Do(t, "GET", m["report"].(string), im.tok, nil)
		if rep.Status != http.StatusOK || !strings.HasPrefix(rep.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(rep.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("report: %d %v", rep.Status, rep.Header)
		}
		lines := strings.Split(strings.TrimSuffix(string(rep.Body), "\n"), "\n")
		if len(lines) != 3 || lines[0] != "\ufeffline,name,phone,email,status,errors" ||
			!strings.HasPrefix(lines[1], "3,Two Problems,123,not-an-email,,") ||
			!strings.Contains(lines[1], "phone: ") || !strings.Contains(lines[1], "email: ") ||
			!strings.HasPrefix(lines[2], "4,,13800138000,,sleeping,") ||
			!strings.Contains(lines[2], "name: ") || !strings.Contains(lines[2], "status: ") ||
			!strings.Contains(lines[2], "phone: another customer already has this phone") {
			t.Errorf("report:\n%s", rep.Body)
		}
		if strings.Contains(string(rep.Body), "Good Row") {
			t.Error("the report holds a row that was not refused")
		}
		logs := im.logs.String()
		for _, v := range []string{"Two Problems", "not-an-email", "13800138000", "王芳", "冷链年度合同", "李娜"} {
			if strings.Contains(logs, v) {
				t.Errorf("the server log holds an imported value %q", v)
			}
		}
		// An import is its starter's: another importer finds neither it
		// nor its report.
		im.a.CreateUser(t, "importer2@x.example.com", domain.RoleSalesManager, "")
		tok2 := im.s.LoginAs(t, "importer2@x.example.com")
		for _, path := range []string{"/api/v1/imports/" + m["id"].(string), m["report"].(string)} {
			if r := im.s.Do(t, "GET", path, tok2, nil); r.Status != http.StatusNotFound {
				t.Errorf("GET %s as another importer: %d %s", path, r.Status, clip(r.Body))
			}
		}

		// A dry run validates and writes nothing.
		before = testkit.RawDB(t, im.a).Int(t, `SELECT COUNT(*) FROM customers`)
		if m := im.run(t, "/api/v1/imports/customers?dry_run=true", []byte("name\nDry Run\n")); m["state"] != "validated" || m["imported"] != 0.0 {
			t.Errorf("dry run: %v", m)
		}
		if after := testkit.RawDB(t, im.a).Int(t, `SELECT COUNT(*) FROM customers`); after != before {
			t.Errorf("a dry run wrote %d customers", after-before)
		}

		// Reading the report is audited.
		if _, err := im.a.AuditSequencer.Integrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		ev := im.s.Do(t, "GET", "/api/v1/audit/events?action=import.report", im.s.LoginAs(t, testkit.AdminEmail), nil)
		if n := strings.Count(string(ev.Body), `"action":"import.report"`); ev.Status != http.StatusOK || n != 1 ||
			!strings.Contains(string(ev.Body), m["id"].(string)) {
			t.Errorf("import.report audit events: %d %s", ev.Status, clip(ev.Body))
		}
	})
}

// TestImportUploadBadInput sends uploads the API must refuse as a whole,
// each with a 400 (or 413) naming what is wrong, never the content, and
// nothing stored.
func TestImportUploadBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		const limit = 200 << 10
		im := newImporter(t, d, func(c *config.Config) { c.MaxImportBytes = limit })
		const secret = "Sentinel-Secret-9"
		huge := "name,industry\nAnn," + strings.Repeat("x", 70<<10) + secret + "\n"
		jsonType := http.Header{"Content-Type": {"application/json"}}
		wrongPart, wrongPartType := multipartUpload(t, "upload", []byte("name\nAnn "+secret+"\n"))
		for _, c := range []struct {
			name   string
			path   string
			body   []byte
			header http.Header
			status int
			field  string
			want   string
		}{
			{"unknown kind", "/api/v1/imports/widgets", []byte("name\nAnn\n"), csvUpload, 400, "kind", ""},
			{"dry_run not a boolean", "/api/v1/imports/customers?dry_run=maybe", []byte("name\nAnn\n"), csvUpload, 400, "dry_run", ""},
			{"unknown parameter", "/api/v1/imports/customers?mode=fast", []byte("name\nAnn\n"), csvUpload, 400, "mode", ""},
			{"owner not a user id", "/api/v1/imports/customers?owner_id=cus_x", []byte("name\nAnn\n"), csvUpload, 400, "owner_id", ""},
			{"JSON body", "/api/v1/imports/customers", []byte(`{"name":"Ann"}`), jsonType, 400, "Content-Type", ""},
			{"multipart part not named file", "/api/v1/imports/customers", wrongPart, wrongPartType, 400, "file", ""},
			{"UTF-16 without a byte-order mark", "/api/v1/imports/customers",
				utf16LE(t, "name\nAnn "+secret+"\n")[2:], csvUpload, 400, "file", "without a byte-order mark"},
			{"truncated in the middle of a character", "/api/v1/imports/customers",
				[]byte("name\nAnn " + secret + "\n张伟")[:len("name\nAnn "+secret+"\n张伟")-1], csvUpload, 400, "file",
				"ends in the middle of a character (line 3, byte 30)"},
			{"GBK truncated in the middle of a character", "/api/v1/imports/customers",
				append(gbk(t, "name\n李娜 "+secret+"\n王"), 0xC7), csvUpload, 400, "file", "ends in the middle of a character"},
			{"mixed encodings", "/api/v1/imports/customers",
				append([]byte("name\n张伟 "+secret+"\n"), gbk(t, "李娜\n")...), csvUpload, 400, "file", "mixes encodings: line 2 is UTF-8 and line 3 is not"},
			{"neither UTF-8 nor GB18030", "/api/v1/imports/customers",
				[]byte("name\nAnn " + secret + "\xff\xff\n"), csvUpload, 400, "file", "neither UTF-8 (not valid at line 2, byte 26)"},
			{"a huge line", "/api/v1/imports/customers", []byte(huge), csvUpload, 400, "file", "line 2 is longer than 65536 bytes"},
			{"over the upload limit", "/api/v1/imports/customers", []byte("name\n" + strings.Repeat("Ann "+secret+"\n", limit/20)),
				csvUpload, 413, "", "larger than"},
			{"not an import file", "/api/v1/imports/customers", []byte("root:$6$" + secret + ":19000:0\n"), csvUpload, 400, "file",
				"column 1 of the header is not a known column"},
			{"header only", "/api/v1/imports/deals", []byte("customer_id,title\n"), csvUpload, 202, "", ""},
		} {
			r := im.s.DoWith(t, "POST", c.path, im.tok, c.body, c.header)
			if r.Status != c.status || (c.field != "" && r.ErrorField() != c.field) || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("%s: %d %s, want %d naming %q (%q)", c.name, r.Status, clip(r.Body), c.status, c.field, c.want)
			}
			if strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), "Ann") {
				t.Errorf("%s: the answer repeats the file: %s", c.name, clip(r.Body))
			}
		}

		// Reading imports: an id of another kind, an unknown import, a
		// report of an import that refused nothing.
		clean := im.run(t, "/api/v1/imports/customers?dry_run=true", []byte("name\nAnn\n"))
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/api/v1/imports/cus_01m8y1pybhvfzwwrm3vsjvtkcw", 400},
			{"/api/v1/imports/imp_01m8y1pybhvfzwwrm3vsjvtkcw", 404},
			{"/api/v1/imports/imp_01m8y1pybhvfzwwrm3vsjvtkcw/report", 404},
			{"/api/v1/imports/" + clean["id"].(string) + "/report", 404},
			{"/api/v1/imports/" + clean["id"].(string) + "?verbose=1", 400},
		} {
			if r := im.s.Do(t, "GET", c.path, im.tok, nil); r.Status != c.status {
				t.Errorf("GET %s: %d %s, want %d", c.path, r.Status, clip(r.Body), c.status)
			}
		}

		// An upload of unknown length is cut off at the limit as it
		// streams.
		big := io.MultiReader(strings.NewReader("name\n"), strings.NewReader(strings.Repeat("Ann\n", limit/2)))
		req, err := http.NewRequest("POST", im.s.URL+"/api/v1/imports/customers", io.NopCloser(big)) //nolint:noctx // a test request
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+im.tok)
		resp, err := im.s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a streamed upload over the limit: %d", resp.StatusCode)
		}

		raw := testkit.RawDB(t, im.a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM customers`); n != 0 {
			t.Errorf("refused uploads stored %d customers", n)
		}
		if strings.Contains(im.logs.String(), secret) {
			t.Error("the server log repeats an upload")
		}
	})
}
