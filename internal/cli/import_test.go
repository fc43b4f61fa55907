package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/custoscrm/custos/internal/testkit"
)

// TestImportKindsAndEncodings imports customers from a GBK file, contacts
// from a UTF-16 one naming their customer by phone, and deals naming
// theirs by email, through the real binary on both databases; a deals
// file with several problems in a row is refused with every one of them,
// in the report beside the row, and nothing stored.
func TestImportKindsAndEncodings(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		db := []string{"--data", a.Dir}
		if a.DatabaseURL != "" {
			db = append(db, "--database-url", a.DatabaseURL)
		}
		tmp := t.TempDir()
		file := func(name string, b []byte) string {
			p := filepath.Join(tmp, name)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		encode := func(e encoding.Encoding, s string) []byte {
			b, err := e.NewEncoder().Bytes([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		imp := func(kind string, args ...string) (string, string, int) {
			return run(t, append(append([]string{"import", kind}, db...), args...)...)
		}

		customers := file("customers.csv", encode(simplifiedchinese.GBK,
			"kind,name,phone,email,city\ncompany,深圳恒信冷链物流有限公司,13800138000,buy@hengxin.example.com,深圳市\nperson,李娜,13900139000,,广州市\n"))
		out, errOut, code := imp("customers", customers)
		if code != 0 || !strings.Contains(out, "imported 2 customers") || !strings.Contains(errOut, "as gb18030: 2 rows") {
			t.Fatalf("GBK customers: exit %d %q %q", code, out, errOut)
		}
		contacts := file("contacts.csv", encode(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM),
			"customer_phone,name,title\r\n13800138000,王芳,采购经理\r\n+86 138 0013 8000,刘洋,财务\r\n"))
		if out, errOut, code := imp("contacts", "--quiet", contacts); code != 0 || !strings.Contains(out, "imported 2 contacts") {
			t.Fatalf("UTF-16 contacts: exit %d %q %q", code, out, errOut)
		}

		bad := file("deals-bad.csv", []byte("customer_email,customer_phone,title,amount,stage\n"+
			"buy@hengxin.example.com,,冷链年度合同,120000.50,proposal\n"+
			"nobody@example.com,,Ghost deal,12x,dreaming\n"+
			",13900139000,,5,\n"))
		report := filepath.Join(tmp, "deals-report.csv")
		_, errOut, code = imp("deals", "--quiet", "--report", report, bad)
		for _, w := range []string{"line 3, customer_email: no customer has this email", "line 3, amount", "line 3, stage",
			"line 4, title", "4 problems in 2 rows; nothing was imported"} {
			if code == 0 || !strings.Contains(errOut, w) {
				t.Errorf("deals with problems: exit %d, stderr %q, want %q", code, errOut, w)
			}
		}
		if strings.Contains(errOut, "nobody@example.com") || strings.Contains(errOut, "Ghost") {
			t.Errorf("stderr repeats the file: %q", errOut)
		}
		rep, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(rep), "\n"), "\n")
		if len(lines) != 3 || lines[0] != "\ufeffline,customer_email,customer_phone,title,amount,stage,errors" ||
			!strings.HasPrefix(lines[1], "3,nobody@example.com,,Ghost deal,12x,dreaming,\"customer_email: ") ||
			strings.Count(lines[1], "; ") != 2 || !strings.HasPrefix(lines[2], "4,,13900139000,,5,,title: ") {
			t.Errorf("report:\n%s", rep)
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM deals`); n != 0 {
			t.Errorf("a refused deals import stored %d deals", n)
		}

		good := file("deals.csv", []byte("customer_email,title,amount\nbuy@hengxin.example.com,冷链年度合同,120000.50\n"))
		if out, errOut, code := imp("deals", "--quiet", good); code != 0 || !strings.Contains(out, "imported 1 deals") {
			t.Fatalf("deals: exit %d %q %q", code, out, errOut)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM contacts`); n != 2 {
			t.Errorf("%d contacts stored, want 2", n)
		}
	})
}
