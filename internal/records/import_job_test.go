package records_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
	"github.com/custoscrm/custos/internal/testkit"
)

// waitEnded polls an import started with StartImport until it ends.
func waitEnded(ctx context.Context, t *testing.T, s *records.Service, id domain.ID) *domain.Import {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		imp, err := s.GetImport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.State != domain.ImportRunning {
			return imp
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still running", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestImportStaleAndExpired: an import whose process died (no heartbeat
// for two minutes) is removed by the next import, contacts included; the
// report of refused rows is erased, its key destroyed, once it is older
// than ReportRetention.
func TestImportStaleAndExpired(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		ctx := a.System()
		raw := testkit.RawDB(t, a)
		imp := func(kind domain.ImportKind, data string) *records.ImportResult {
			t.Helper()
			res, err := a.Records.Import(ctx, source(t, []byte(data), kind), records.ImportOptions{Kind: kind})
			if err != nil {
				t.Fatalf("import %s: %v %+v", kind, err, res)
			}
			return res
		}
		imp(domain.ImportCustomers, "kind,name,phone\ncompany,Northwind Foods,13800138000\n")
		contacts := imp(domain.ImportContacts, "customer_phone,name\n13800138000,Wang Fang\n13800138000,Liu Yang\n")
		if n := raw.Int(t, `SELECT COUNT(*) FROM contacts WHERE import_id = ?`, string(contacts.ID)); n != 2 {
			t.Fatalf("%d contacts carry the import's id", n)
		}

		// The contacts import's process "died" while writing.
		raw.Exec(t, `UPDATE imports SET state = 'running', heartbeat_at = ? WHERE id = ?`,
			clock.Now().Add(-3*time.Minute).UnixMicro(), string(contacts.ID))

		// A refused import started in the background keeps a report;
		// starting it also cleans up the stale one.
		started, err := a.Records.StartImport(ctx, source(t, []byte("name,phone\nAnn,123\n,\n"), domain.ImportCustomers),
			records.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM contacts`); n != 0 {
			t.Errorf("%d contacts of the interrupted import left behind", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM customers`); n != 1 {
			t.Errorf("%d customers: the cleanup removed what another import wrote", n)
		}
		if st, err := a.Records.GetImport(ctx, contacts.ID); err != nil || st.State != domain.ImportAborted {
			t.Errorf("the interrupted import: %+v %v", st, err)
		}

		ended := waitEnded(ctx, t, a.Records, started.ID)
		if ended.State != domain.ImportInvalid || ended.Problems != 2 || ended.RowsInvalid != 2 || ended.ReportBytes == 0 {
			t.Fatalf("refused import: %+v", ended)
		}
		var rep bytes.Buffer
		if err := a.Records.ImportReport(ctx, started.ID, &rep); err != nil || !bytes.HasPrefix(rep.Bytes(), []byte("\ufeffline,name,phone,errors\n2,Ann,123,")) {
			t.Fatalf("report: %v %q", err, rep.Bytes())
		}

		// A week later the next import erases the report.
		clock.Advance(records.ReportRetention + time.Hour)
		if _, err := a.Records.Import(ctx, source(t, []byte("name\nDry\n"), domain.ImportCustomers), records.ImportOptions{DryRun: true}); err != nil {
			t.Fatal(err)
		}
		if err := a.Records.ImportReport(ctx, started.ID, &rep); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("an expired report: %v", err)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM import_reports WHERE import_id = ?`, string(started.ID)); n != 0 {
			t.Errorf("%d chunks of an expired report left", n)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM imports WHERE id = ? AND report_dek_id IS NULL AND report_bytes = 0`, string(started.ID)); n != 1 {
			t.Error("the expired report's key is still named")
		}
	})
}

// blockingSource is a file whose first row waits until release is closed.
type blockingSource struct{ release chan struct{} }

func (b blockingSource) Open() (records.ImportReader, error) {
	return &blockingRows{release: b.release}, nil
}

type blockingRows struct {
	release chan struct{}
	done    bool
}

func (r *blockingRows) Header() []string { return []string{"name"} }

func (r *blockingRows) Next() (records.ImportRow, error) {
	if r.done {
		return records.ImportRow{}, io.EOF
	}
	<-r.release
	r.done = true
	return records.ImportRow{Line: 2, Cells: []string{"Waited"}, Customer: domain.CustomerInput{Name: "Waited"}}, nil
}

// TestStartImportBounded: beyond the imports a service may run at once,
// StartImport is refused (rate_limited) until one ends; Close waits for
// the running ones.
func TestStartImportBounded(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		svc := records.New(records.Deps{
			Customers: a.Store.Customers, Activities: a.Store.Activities, Imports: a.Store.Customers,
			ImportJobs: a.Store.Imports, ActivityImports: a.Store.Activities, Directory: a.Store.Users,
			Audit: a.Audit, Shredder: a.Keys, Checker: a.Store.Customers, Limiter: a.Store.RateLimits,
			Duplicates: a.Store.Customers,
		}, records.Options{Log: a.Log, RunningImports: 1})
		ctx := a.System()
		release := make(chan struct{})
		first, err := svc.StartImport(ctx, blockingSource{release}, records.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.StartImport(ctx, blockingSource{release}, records.ImportOptions{}); domain.ErrorCode(err) != domain.CodeRateLimited {
			t.Fatalf("a second import beside a running one: %v", err)
		}
		if err := svc.CanImport(ctx, domain.ImportDeals); domain.ErrorCode(err) != domain.CodeRateLimited {
			t.Fatalf("CanImport beside a running one: %v", err)
		}
		close(release)
		if imp := waitEnded(ctx, t, svc, first.ID); imp.State != domain.ImportDone || imp.RowsDone != 1 {
			t.Fatalf("the first import: %+v", imp)
		}
		deadline := time.Now().Add(30 * time.Second)
		for svc.CanImport(ctx, domain.ImportCustomers) != nil {
			if time.Now().After(deadline) {
				t.Fatal("the ended import still counts as running")
			}
			time.Sleep(10 * time.Millisecond)
		}
		svc.Close()
	})
}
