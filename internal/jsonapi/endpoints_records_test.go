package jsonapi_test

import (
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Rows of the endpoint table for the records that hang off a customer
// (contacts, deals, visits, notes, tasks) and for erasure. Each cell works
// on records of a fresh customer owned by the owner caller.

func init() { endpointTable = append(endpointTable, recordRows...) }

// company creates a company customer owned by the owner caller (only
// companies have contacts).
func (f *fixture) company() string {
	c, err := f.a.Records.CreateCustomer(f.a.System(), &domain.CustomerInput{Kind: domain.CustomerCompany,
		Name: fmt.Sprintf("Harbor Foods %d", f.next()), OwnerID: f.users[owner].ID})
	if err != nil {
		f.t.Fatalf("create company: %v", err)
	}
	return string(c.ID)
}

// child creates a record of kind at a fresh customer owned by the owner
// caller and returns its id.
func (f *fixture) child(kind string) string {
	sys := f.a.System()
	var cid domain.ID
	if kind == "contact" {
		cid = domain.ID(f.company())
	} else {
		cid = domain.ID(f.customer().id)
	}
	var id domain.ID
	var err error
	switch kind {
	case "contact":
		var c *domain.Contact
		c, err = f.a.Records.CreateContact(sys, cid, &domain.ContactInput{Name: fmt.Sprintf("联系人%d", f.next()), Phone: fmt.Sprintf("137%08d", f.next())})
		if c != nil {
			id = c.ID
		}
	case "deal":
		amount := domain.AmountInput("1200.50")
		var d *domain.Deal
		d, err = f.a.Records.CreateDeal(sys, &domain.DealInput{CustomerID: cid, Title: "Cold-chain contract", Amount: &amount, Currency: "CNY", OwnerID: f.users[owner].ID})
		if d != nil {
			id = d.ID
		}
	case "visit", "checked-in":
		var v *domain.Visit
		v, err = f.a.Records.CreateVisit(sys, &domain.VisitInput{CustomerID: cid, RepID: f.users[owner].ID, PlannedAt: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		if v != nil {
			id = v.ID
			if kind == "checked-in" {
				lat, lng := 22.54, 113.95
				_, err = f.a.Records.CheckIn(sys, v.ID, &domain.LocationInput{Lat: &lat, Lng: &lng}, domain.Precondition{})
			}
		}
	case "note":
		var n *domain.Note
		n, err = f.a.Records.CreateNote(sys, &domain.NoteInput{CustomerID: cid, Body: "Prefers deliveries before 9am"})
		if n != nil {
			id = n.ID
		}
	case "task":
		var t *domain.Task
		t, err = f.a.Records.CreateTask(sys, &domain.TaskInput{CustomerID: cid, Title: "Call back about the quote", AssigneeID: f.users[owner].ID})
		if t != nil {
			id = t.ID
		}
	}
	if err != nil {
		f.t.Fatalf("create %s: %v", kind, err)
	}
	return string(id)
}

// scoped: readers in scope get ok, the other rep 404 (out of scope),
// auditor and the narrow token 403.
func scoped(ok int) map[caller]int {
	return set(signedIn(ok), other, 404, auditor, 403, narrow, 403)
}

// created: creating a record at a customer outside the caller's scope
// answers as for a customer that does not exist (400 naming customer_id).
func created(ok int) map[caller]int { return set(scoped(ok), other, 400) }

// listed: lists answer 200 to every role that may read (out of scope
// records are simply absent).
func listed() map[caller]int { return set(signedIn(200), auditor, 403, narrow, 403) }

var recordRows = []endpointRow{
	// Contacts: customers.read to read, customers.update and contact write
	// access to change.
	{"GET /api/v1/customers/{id}/contacts", func(f *fixture, c caller) request {
		return p("/api/v1/customers/"+f.company()+"/contacts", nil)
	}, scoped(200)},
	{"POST /api/v1/customers/{id}/contacts", func(f *fixture, c caller) request {
		return p("/api/v1/customers/"+f.company()+"/contacts", map[string]string{"name": "王经理", "phone": fmt.Sprintf("136%08d", f.next())})
	}, set(scoped(201), admin, 403, finance, 403, service, 403)},
	{"GET /api/v1/contacts/{id}", func(f *fixture, c caller) request { return p("/api/v1/contacts/"+f.child("contact"), nil) }, scoped(200)},
	{"PATCH /api/v1/contacts/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/contacts/"+f.child("contact"), map[string]string{"name": "新名字"})
	}, set(scoped(200), admin, 403, finance, 403, service, 403)},
	{"DELETE /api/v1/contacts/{id}", func(f *fixture, c caller) request { return p("/api/v1/contacts/"+f.child("contact"), nil) },
		set(scoped(204), admin, 403, finance, 403, service, 403)},

	// Deals: deals.read / deals.write; amounts are class amount.
	{"GET /api/v1/deals", func(f *fixture, c caller) request { f.child("deal"); return p("/api/v1/deals", nil) }, listed()},
	{"POST /api/v1/deals", func(f *fixture, c caller) request {
		return p("/api/v1/deals", map[string]any{"customer_id": f.customer().id, "title": "Renewal", "amount": "88.00", "currency": "CNY"})
	}, set(created(201), finance, 403, service, 403)},
	{"GET /api/v1/deals/{id}", func(f *fixture, c caller) request { return p("/api/v1/deals/"+f.child("deal"), nil) }, scoped(200)},
	{"PATCH /api/v1/deals/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/deals/"+f.child("deal"), map[string]string{"stage": "proposal"})
	}, set(scoped(200), finance, 403, service, 403)},
	{"DELETE /api/v1/deals/{id}", func(f *fixture, c caller) request { return p("/api/v1/deals/"+f.child("deal"), nil) },
		set(scoped(204), service, 403)},

	// Visits: visits.read / visits.write; locations are class location.
	{"GET /api/v1/visits", func(f *fixture, c caller) request { f.child("visit"); return p("/api/v1/visits", nil) }, listed()},
	{"POST /api/v1/visits", func(f *fixture, c caller) request {
		return p("/api/v1/visits", map[string]any{"customer_id": f.customer().id, "planned_at": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)})
	}, set(created(201), finance, 403, service, 403)},
	{"GET /api/v1/visits/{id}", func(f *fixture, c caller) request { return p("/api/v1/visits/"+f.child("visit"), nil) }, scoped(200)},
	{"PATCH /api/v1/visits/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/visits/"+f.child("visit"), map[string]string{"planned_at": time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)})
	}, set(scoped(200), finance, 403, service, 403)},
	{"DELETE /api/v1/visits/{id}", func(f *fixture, c caller) request { return p("/api/v1/visits/"+f.child("visit"), nil) },
		set(scoped(204), finance, 403, service, 403)},
	{"POST /api/v1/visits/{id}/check-in", func(f *fixture, c caller) request {
		return p("/api/v1/visits/"+f.child("visit")+"/check-in", map[string]float64{"lat": 22.54, "lng": 113.95, "accuracy": 12})
	}, set(scoped(200), admin, 403, manager, 403, finance, 403, service, 403)},
	{"POST /api/v1/visits/{id}/check-out", func(f *fixture, c caller) request {
		return p("/api/v1/visits/"+f.child("checked-in")+"/check-out", map[string]any{"lat": 22.54, "lng": 113.95, "notes": "Ordered 20 cases"})
	}, set(scoped(200), admin, 403, manager, 403, finance, 403, service, 403)},

	// Notes and tasks: notes.read / notes.write.
	{"GET /api/v1/notes", func(f *fixture, c caller) request { f.child("note"); return p("/api/v1/notes", nil) }, listed()},
	{"POST /api/v1/notes", func(f *fixture, c caller) request {
		return p("/api/v1/notes", map[string]string{"customer_id": f.customer().id, "body": "Met at the trade fair"})
	}, set(created(201), admin, 403, finance, 403)},
	{"GET /api/v1/notes/{id}", func(f *fixture, c caller) request { return p("/api/v1/notes/"+f.child("note"), nil) }, scoped(200)},
	{"PATCH /api/v1/notes/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/notes/"+f.child("note"), map[string]string{"body": "Updated"})
	}, set(scoped(200), admin, 403, finance, 403)},
	{"DELETE /api/v1/notes/{id}", func(f *fixture, c caller) request { return p("/api/v1/notes/"+f.child("note"), nil) },
		set(scoped(204), admin, 403, finance, 403)},
	{"GET /api/v1/tasks", func(f *fixture, c caller) request { f.child("task"); return p("/api/v1/tasks", nil) }, listed()},
	{"POST /api/v1/tasks", func(f *fixture, c caller) request {
		return p("/api/v1/tasks", map[string]string{"customer_id": f.customer().id, "title": "Send the price list"})
	}, set(created(201), admin, 403, finance, 403)},
	{"GET /api/v1/tasks/{id}", func(f *fixture, c caller) request { return p("/api/v1/tasks/"+f.child("task"), nil) }, scoped(200)},
	{"PATCH /api/v1/tasks/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/tasks/"+f.child("task"), map[string]string{"status": "done"})
	}, set(scoped(200), finance, 403, service, 403)},
	{"DELETE /api/v1/tasks/{id}", func(f *fixture, c caller) request { return p("/api/v1/tasks/"+f.child("task"), nil) },
		set(scoped(204), admin, 403, finance, 403)},

	// Erasure: administrators only, with a fixed reason code.
	{"POST /api/v1/customers/{id}/erase", func(f *fixture, c caller) request {
		return p("/api/v1/customers/"+f.customer().id+"/erase", map[string]string{"reason": "data_subject_request"})
	}, adminOnly(200)},
}

// sealedLog integrates every recorded event into the log and signs a
// checkpoint, returning its tree size (at least 2).
func (f *fixture) sealedLog() int64 {
	ctx := f.a.System()
	if _, err := f.a.AuditSequencer.Integrate(ctx); err != nil {
		f.t.Fatalf("integrate: %v", err)
	}
	cp, err := f.a.AuditSequencer.Checkpoint(ctx)
	if err != nil {
		f.t.Fatalf("checkpoint: %v", err)
	}
	return cp.Size
}

// auditRows: the audit log answers sessions and tokens with audit.read
// (administrator, auditor, and the token narrowed to audit:read).
func auditReaders() map[caller]int {
	return set(expect(403), admin, 200, auditor, 200, narrow, 200)
}

var auditRows = []endpointRow{
	{"GET /api/v1/audit/checkpoint", func(f *fixture, c caller) request { f.sealedLog(); return p("/api/v1/audit/checkpoint", nil) }, auditReaders()},
	{"GET /api/v1/audit/proofs/inclusion", func(f *fixture, c caller) request {
		return p(fmt.Sprintf("/api/v1/audit/proofs/inclusion?seq=1&tree_size=%d", f.sealedLog()), nil)
	}, auditReaders()},
	{"GET /api/v1/audit/proofs/consistency", func(f *fixture, c caller) request {
		return p(fmt.Sprintf("/api/v1/audit/proofs/consistency?from=1&to=%d", f.sealedLog()), nil)
	}, auditReaders()},
	{"GET /api/v1/audit/events", func(f *fixture, c caller) request { f.sealedLog(); return p("/api/v1/audit/events?limit=5", nil) }, auditReaders()},
	{"GET /api/v1/audit/export", func(f *fixture, c caller) request {
		return p(fmt.Sprintf("/api/v1/audit/export?format=csv&from_seq=1&to_seq=%d", f.sealedLog()), nil)
	}, auditReaders()},
}

func init() { endpointTable = append(endpointTable, auditRows...) }
