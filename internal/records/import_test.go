package records_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/csvimport"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/testkit"
)

// source serves an in-memory file through the CSV reader, as the CLI and
// the API serve a file. A file the reader refuses as a whole is nil with
// the problem.
func source(t testing.TB, data []byte, kind domain.ImportKind) records.ImportSource {
	t.Helper()
	f, err := csvimport.Inspect(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, kind, nil)
	if err != nil {
		return refused{err}
	}
	return f
}

// refused is a source whose file the reader refused as a whole.
type refused struct{ err error }

func (r refused) Open() (records.ImportReader, error) { return nil, r.err }

func generated(t testing.TB, n int) []byte {
	var b bytes.Buffer
	if err := demo.NewGenerator(3).WriteCSV(&b, 0, n); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// countCustomers summarizes what customers occupy in storage.
func countCustomers(t *testing.T, a *testkit.TestApp) string {
	t.Helper()
	raw := testkit.RawDB(t, a)
	return fmt.Sprintf("customers %d, data keys %d, index entries %d, tags %d",
		raw.Int(t, `SELECT COUNT(*) FROM customers`), raw.Int(t, `SELECT COUNT(*) FROM data_keys`),
		raw.Int(t, `SELECT COUNT(*) FROM blind_index`), raw.Int(t, `SELECT COUNT(*) FROM customer_tags`))
}

func TestImportCustomers(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		owner := a.CreateUser(t, "owner@x.example.com", domain.RoleSalesRep, "")
		data := generated(t, 1500)
		res, err := a.Records.Import(a.System(), source(t, data, domain.ImportCustomers), records.ImportOptions{Owner: "owner@x.example.com", BatchSize: 200})
		if err != nil {
			t.Fatalf("import: %v %+v", err, res)
		}
		if res.Rows != 1500 || res.Imported != 1500 || res.ProblemCount != 0 {
			t.Fatalf("result %+v", res)
		}
		// Every row is a real, sealed, findable customer owned by the owner.
		g := demo.NewGenerator(3)
		for _, i := range []int{0, 777, 1499} {
			in := g.Customer(i)
			found, err := a.Records.FindCustomers(a.System(), domain.LookupPhone, in.Phone)
			if err != nil || len(found) != 1 {
				t.Fatalf("row %d not found by phone: %v %d", i, err, len(found))
			}
			c := found[0]
			if c.OwnerID != owner.ID || c.Email == "" || c.Name == "" {
				t.Fatalf("row %d imported as %+v", i, c)
			}
		}
		evs, err := a.Store.AuditLog.ListAudit(context.Background(), domain.AuditFilter{Action: "customer.import"})
		if err != nil || len(evs) != 1 || evs[0].TargetID != string(res.ID) {
			t.Fatalf("import audit: %v %+v", err, evs)
		}
	})
}

// TestImportBadFileChangesNothing: a file with bad rows anywhere — even the
// last — imports nothing and reports every problem by line and column.
func TestImportBadFileChangesNothing(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		existing, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "Existing", Phone: "13900000001"})
		if err != nil {
			t.Fatal(err)
		}
		before := countCustomers(t, a)
		good := string(generated(t, 300))
		header := strings.SplitN(good, "\n", 2)[0]
		cases := []struct {
			name, file string
			line       int
			field      string
		}{
			{"bad phone in last row", good + "person,Zed,12345,,,,,,,,,,,,,\n", 302, "phone"},
			{"duplicate within file", good + strings.SplitN(good, "\n", 3)[1] + "\n", 302, "phone"},
			{"taken by a stored customer", good + "person,Yan,+86 139 0000 0001,,,,,,,,,,,,,\n", 302, "phone"},
			{"wrong field count", good + "person,Short\n", 302, ""},
			{"bad quote", good + "person,\"broken,13600000000,,,,,,,,,,,,,\n", 302, ""},
			{"unknown owner", "name,owner\nAnn,ghost@x.example.com\n", 2, "owner"},
		}
		for _, c := range cases {
			res, err := a.Records.Import(a.System(), source(t, []byte(c.file), domain.ImportCustomers), records.ImportOptions{BatchSize: 50})
			if domain.ErrorCode(err) != domain.CodeInvalid || res == nil || res.ProblemCount == 0 {
				t.Fatalf("%s: err %v result %+v", c.name, err, res)
			}
			named := false
			for _, p := range res.Problems {
				named = named || (p.Line == c.line && p.Field == c.field)
				if strings.Contains(p.Message, "12345") || strings.Contains(p.Message, "13900000001") {
					t.Errorf("%s: problem echoes a value: %q", c.name, p.Message)
				}
			}
			if !named {
				t.Errorf("%s: problems %+v, want one at line %d field %q", c.name, res.Problems, c.line, c.field)
			}
			if after := countCustomers(t, a); after != before {
				t.Fatalf("%s: stored rows changed: %s, was %s", c.name, after, before)
			}
		}
		// Files refused as a whole never reach the service.
		for _, file := range []string{"", "nom,phone\nx,1\n", "name,name\n", "phone\n13800000000\n", header + "\nperson,\xff\xfe,,,,,,,,,,,,,,\n"} {
			_, err := csvimport.Inspect(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(file)), nil }, domain.ImportCustomers, nil)
			var fe *csvimport.FileError
			if !errors.As(err, &fe) {
				t.Errorf("file %q: %v", file, err)
			}
		}
		if _, err := a.Records.GetCustomer(a.System(), existing.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestImportFailureMidWriteRemovesEverything: a value taken by another
// customer after validation fails the write; every customer of the import
// is removed.
func TestImportFailureMidWriteRemovesEverything(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		data := generated(t, 600)
		last := demo.NewGenerator(3).Customer(599)
		created := false
		opts := records.ImportOptions{BatchSize: 100, Progress: func(phase string, n int) {
			if phase == "write" && n >= 200 && !created {
				created = true
				// Someone takes the last row's phone while the import runs.
				if _, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "Racer", Phone: last.Phone}); err != nil {
					t.Error(err)
				}
			}
		}}
		res, err := a.Records.Import(a.System(), source(t, data, domain.ImportCustomers), opts)
		if domain.ErrorCode(err) != domain.CodeConflict || res.Imported != 0 {
			t.Fatalf("err %v result %+v", err, res)
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM customers WHERE import_id IS NOT NULL`); n != 0 {
			t.Fatalf("%d imported customers left behind", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM customers`); n != 1 {
			t.Fatalf("%d customers stored, want only the racer", n)
		}
		if st := raw.Int(t, `SELECT COUNT(*) FROM imports WHERE state = 'aborted'`); st != 1 {
			t.Fatalf("import not marked aborted")
		}
	})
}

func BenchmarkImport(b *testing.B) {
	const n = 50000
	data := generated(b, n)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
		b.StartTimer()
		cpu := testkit.StartCPU(b)
		res, err := a.Records.Import(a.System(), source(b, data, domain.ImportCustomers), records.ImportOptions{BatchSize: 5000})
		cpu.Stop()
		if err != nil || res.Imported != n {
			b.Fatalf("%v %+v", err, res)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "customers/s")
	}
}
