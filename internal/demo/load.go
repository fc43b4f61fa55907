package demo

import (
	"context"
	"fmt"
	"io"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// Services is what loading demo data needs from an assembled Custos.
type Services interface {
	CreateUser(ctx context.Context, in *identity.UserInput) (*domain.User, error)
	CreateTeam(ctx context.Context, name string) (domain.ID, error)
	CreateCustomer(ctx context.Context, in *domain.CustomerInput) (*domain.Customer, error)
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
// o.Customers customers owned by the reps. ctx must carry an actor allowed
// to manage users and create customers (the system actor at init).
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
	g := NewGenerator(o.Seed)
	for i := 0; i < o.Customers; i++ {
		in := g.Customer(i)
		in.OwnerID = reps[i%len(reps)]
		if _, err := svc.CreateCustomer(ctx, in); err != nil {
			return nil, fmt.Errorf("create demo customer %d: %w", i, err)
		}
	}
	if o.Out != nil {
		fmt.Fprintf(o.Out, "Demo data: %d customers; demo users (passwords shown once):\n", o.Customers)
		for _, u := range users {
			fmt.Fprintf(o.Out, "  %-32s %-14s %s\n", u.Email, u.Role, u.Password)
		}
	}
	return users, nil
}
