package pool_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/testkit"
)

// genRows serves demo customers to an import without a CSV file.
type genRows struct {
	g    *demo.Generator
	i, n int
}

func (r *genRows) Header() []string { return demo.CSVHeader }

func (r *genRows) Next() (records.ImportRow, error) {
	if r.i == r.n {
		return records.ImportRow{}, io.EOF
	}
	r.i++
	return records.ImportRow{Line: r.i + 1, Customer: *r.g.Customer(r.i - 1)}, nil
}

// genSource opens n rows of g afresh for each pass of an import.
type genSource struct {
	g *demo.Generator
	n int
}

func (s genSource) Open() (records.ImportReader, error) { return &genRows{g: s.g, n: s.n}, nil }

// benchCustomers is how many customers the pool benchmarks seed
// (CUSTOS_BENCH_CUSTOMERS overrides the default 100,000).
func benchCustomers(b *testing.B) int {
	if v := os.Getenv("CUSTOS_BENCH_CUSTOMERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("CUSTOS_BENCH_CUSTOMERS=%q", v)
		}
		return n
	}
	return 100_000
}

// seededTeam imports n demo customers owned by a rep of a team, on
// SQLite, and returns the app, the rep's context and the team.
func seededTeam(b *testing.B, n int) (*testkit.TestApp, context.Context, domain.ID) {
	b.Helper()
	a := testkit.NewApp(b, testkit.SQLite, testkit.AppOptions{})
	team := a.CreateTeam(b, "South")
	rep := a.CreateUser(b, "rep@x.example.com", domain.RoleSalesRep, team)
	g := demo.NewGenerator(9)
	res, err := a.Records.Import(a.System(), genSource{g: g, n: n}, records.ImportOptions{Owner: string(rep.ID), BatchSize: 5000})
	if err != nil || res.Imported != n {
		b.Fatalf("import: %v %+v", err, res)
	}
	return a, a.ActAs(b, "rep@x.example.com"), team
}

// BenchmarkReturnScan is one run of the automatic return over n owned
// customers none of which is due (the common case: the job reads every
// owned customer's quiet spell once and finds nothing to do).
func BenchmarkReturnScan(b *testing.B) {
	n := benchCustomers(b)
	a, _, _ := seededTeam(b, n)
	sys := a.System()
	cpu := testkit.StartCPU(b)
	defer cpu.Stop()
	for b.Loop() {
		rep, err := a.Pool.ReturnDue(sys)
		if err != nil || rep.Returned != 0 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(n)/(b.Elapsed().Seconds()/float64(b.N)), "customers/s")
}

// BenchmarkReturnDue returns 1,000 due customers of n (their spell began
// 40 days ago) to the pool in one run: a move, a notification and an
// audit event each.
func BenchmarkReturnDue(b *testing.B) {
	n := benchCustomers(b)
	clock := testkit.NewClock(time.Now())
	for b.Loop() {
		b.StopTimer()
		a, _, _ := seededTeam(b, n)
		raw := testkit.RawDB(b, a)
		raw.Exec(b, `INSERT INTO pool_clock (customer_id, quiet_since) SELECT id, ? FROM customers ORDER BY id LIMIT 1000
			ON CONFLICT (customer_id) DO UPDATE SET quiet_since = excluded.quiet_since`, clock.Now().Add(-40*24*time.Hour).UnixMicro())
		b.StartTimer()
		rep, err := a.Pool.ReturnDue(a.System())
		if err != nil || rep.Returned != 1000 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}

// BenchmarkListPool reads pages of 50 pool customers, masked, as a rep
// of the team, from n customers of which 10,000 are in the pool.
func BenchmarkListPool(b *testing.B) {
	n := benchCustomers(b)
	a, ctx, _ := seededTeam(b, n)
	raw := testkit.RawDB(b, a)
	raw.Exec(b, `UPDATE customers SET owner_id = NULL WHERE id IN (SELECT id FROM customers ORDER BY id DESC LIMIT 10000)`)
	for b.Loop() {
		page, err := a.Pool.ListPool(ctx, "", 50)
		if err != nil || len(page.Items) != 50 {
			b.Fatalf("%d items, %v", len(page.Items), err)
		}
	}
}

// BenchmarkCompanyNameBackfill writes the company-name blind-index
// entries of n customers' companies (a fifth of the demo customers), as
// the first start after the upgrade does.
func BenchmarkCompanyNameBackfill(b *testing.B) {
	n := benchCustomers(b)
	a, _, _ := seededTeam(b, n)
	raw := testkit.RawDB(b, a)
	companies := raw.Int(b, `SELECT COUNT(*) FROM customers WHERE kind = 'company'`)
	for b.Loop() {
		b.StopTimer()
		raw.Exec(b, `DELETE FROM blind_index WHERE field = 6`)
		raw.Exec(b, `INSERT INTO pending_backfills (name) VALUES ('company_name_index')`)
		b.StartTimer()
		if err := a.Store.Customers.RunBackfills(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(companies)/(b.Elapsed().Seconds()/float64(b.N)), "companies/s")
}

// BenchmarkCreateCustomer creates person customers as the system (no
// duplicate check) and as a rep (the duplicate bucket read first), and
// company customers as a rep (the company-name check too), one at a time.
func BenchmarkCreateCustomer(b *testing.B) {
	a, rep, _ := seededTeam(b, 1000)
	for _, c := range []struct {
		name    string
		ctx     context.Context
		company bool
	}{{"system", a.System(), false}, {"rep", rep, false}, {"rep_company", rep, true}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				in := &domain.CustomerInput{Name: fmt.Sprintf("Bench Person %s%d", c.name, i), Phone: fmt.Sprintf("137%08d", i)}
				if c.company {
					in = &domain.CustomerInput{Kind: domain.CustomerCompany, Name: fmt.Sprintf("Bench Trading %d Ltd", i)}
				} else if c.name == "rep" {
					in.Phone = fmt.Sprintf("136%08d", i)
				}
				if _, err := a.Records.CreateCustomer(c.ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
