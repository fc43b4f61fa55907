package demo

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// Services is what loading demo data needs from an assembled Custos.
type Services interface {
	CreateUser(ctx context.Context, in *identity.UserInput) (*domain.User, error)
	CreateTeam(ctx context.Context, name string) (domain.ID, error)
	CreateCustomer(ctx context.Context, in *domain.CustomerInput) (*domain.Customer, error)
	CreateContact(ctx context.Context, customerID domain.ID, in *domain.ContactInput) (*domain.Contact, error)
	CreateDeal(ctx context.Context, in *domain.DealInput) (*domain.Deal, error)
	CreateVisit(ctx context.Context, in *domain.VisitInput) (*domain.Visit, error)
	UpdateVisit(ctx context.Context, id domain.ID, p *domain.VisitPatch, pre domain.Precondition) (*domain.Visit, error)
	CheckIn(ctx context.Context, id domain.ID, in *domain.LocationInput, pre domain.Precondition) (*domain.Visit, error)
	CheckOut(ctx context.Context, id domain.ID, in *domain.CheckOutInput, pre domain.Precondition) (*domain.Visit, error)
	CreateNote(ctx context.Context, in *domain.NoteInput) (*domain.Note, error)
	CreateTask(ctx context.Context, in *domain.TaskInput) (*domain.Task, error)
}

// Options tune the demo data.
type Options struct {
	Customers int       // default 300
	Seed      uint64    // default 1
	Out       io.Writer // where demo users' passwords are printed; nil: nowhere
}

// DemoUser is a user the demo creates.
type DemoUser struct {
	Email, Role, Password string
	ID                    domain.ID
}

// Load creates a sales team with a manager and reps, a finance, a service
// and an auditor user (random passwords, printed to o.Out), and
// o.Customers customers owned by the reps, each with its deals, visits,
// contacts, notes and tasks. ctx must carry an actor allowed to manage
// users and write every record (the system actor at init).
func Load(ctx context.Context, svc Services, passwords func() string, o Options) ([]DemoUser, error) {
	if o.Customers <= 0 {
		o.Customers = 300
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	team, err := svc.CreateTeam(ctx, "South China Sales 华南销售")
	if err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	specs := []struct {
		email, name, role string
		team              bool
	}{
		{"manager@demo.custos.localhost", "陈经理 Manager Chen", domain.RoleSalesManager, true},
		{"rep1@demo.custos.localhost", "李娜 Li Na", domain.RoleSalesRep, true},
		{"rep2@demo.custos.localhost", "Tom Walker", domain.RoleSalesRep, true},
		{"rep3@demo.custos.localhost", "王磊 Wang Lei", domain.RoleSalesRep, true},
		{"finance@demo.custos.localhost", "赵会计 Zhao Finance", domain.RoleFinance, false},
		{"service@demo.custos.localhost", "周客服 Zhou Service", domain.RoleService, false},
		{"auditor@demo.custos.localhost", "Audit Officer", domain.RoleAuditor, false},
	}
	var users []DemoUser
	var reps []domain.ID
	for _, s := range specs {
		pw := passwords()
		in := &identity.UserInput{Email: s.email, Password: pw, Role: s.role, DisplayName: s.name}
		if s.team {
			in.TeamID = team
		}
		u, err := svc.CreateUser(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("create demo user %s: %w", s.email, err)
		}
		users = append(users, DemoUser{Email: s.email, Role: s.role, Password: pw, ID: u.ID})
		if s.role == domain.RoleSalesRep {
			reps = append(reps, u.ID)
		}
	}
	if err := loadCustomers(ctx, svc, NewGenerator(o.Seed), reps, o.Customers, time.Now().UTC()); err != nil {
		return nil, err
	}
	if o.Out != nil {
		fmt.Fprintf(o.Out, "Demo data: %d customers; demo users (passwords shown once):\n", o.Customers)
		for _, u := range users {
			fmt.Fprintf(o.Out, "  %-32s %-14s %s\n", u.Email, u.Role, u.Password)
		}
	}
	return users, nil
}

// loaders is how many customers load at once: concurrent writes share
// commits, which keeps a demo install quick.
const loaders = 8

func loadCustomers(ctx context.Context, svc Services, g *Generator, reps []domain.ID, n int, now time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range loaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := loadCustomer(ctx, svc, g, reps[i%len(reps)], i, now); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return first
}

// loadCustomer creates the i-th customer, owned by rep, and its activity.
func loadCustomer(ctx context.Context, svc Services, g *Generator, rep domain.ID, i int, now time.Time) error {
	in := g.Customer(i)
	in.OwnerID = rep
	c, err := svc.CreateCustomer(ctx, in)
	if err != nil {
		return fmt.Errorf("create demo customer %d: %w", i, err)
	}
	act := g.Activity(i, in, now)
	for _, ct := range act.Contacts {
		if _, err := svc.CreateContact(ctx, c.ID, ct); err != nil {
			return fmt.Errorf("create demo contact of customer %d: %w", i, err)
		}
	}
	for _, d := range act.Deals {
		d.CustomerID, d.OwnerID = c.ID, rep
		if _, err := svc.CreateDeal(ctx, d); err != nil {
			return fmt.Errorf("create demo deal of customer %d: %w", i, err)
		}
	}
	for _, v := range act.Visits {
		if err := loadVisit(ctx, svc, c.ID, rep, v); err != nil {
			return fmt.Errorf("create demo visit of customer %d: %w", i, err)
		}
	}
	for _, n := range act.Notes {
		n.CustomerID = c.ID
		if _, err := svc.CreateNote(ctx, n); err != nil {
			return fmt.Errorf("create demo note of customer %d: %w", i, err)
		}
	}
	for _, t := range act.Tasks {
		t.CustomerID, t.AssigneeID = c.ID, rep
		if _, err := svc.CreateTask(ctx, t); err != nil {
			return fmt.Errorf("create demo task of customer %d: %w", i, err)
		}
	}
	return nil
}

func loadVisit(ctx context.Context, svc Services, customer, rep domain.ID, v Visit) error {
	v.Plan.CustomerID, v.Plan.RepID = customer, rep
	created, err := svc.CreateVisit(ctx, v.Plan)
	if err != nil {
		return err
	}
	switch {
	case v.Cancelled:
		cancelled := domain.VisitCancelled
		_, err = svc.UpdateVisit(ctx, created.ID, &domain.VisitPatch{Status: &cancelled}, domain.Precondition{})
	case v.CheckIn != nil:
		if _, err = svc.CheckIn(ctx, created.ID, v.CheckIn, domain.Precondition{}); err == nil {
			_, err = svc.CheckOut(ctx, created.ID, v.CheckOut, domain.Precondition{})
		}
	}
	return err
}
