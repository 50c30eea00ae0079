package main

import (
	"context"
	"fmt"
	"time"

	"parley/chat"
)

// Demo data: `parley --demo` on an empty database seeds a payroll service
// provider with customer companies and a user in every role, so a newcomer
// can try everything. Each area has its own function; a feature adds its
// own (groups and topics, categories, conversations) to demoSteps.

// demoPassword is every demo user's password: the demo is for trying
// Parley, not for production data.
const demoPassword = "parley-demo"

// demoLogin is one printed demo login.
type demoLogin struct {
	Email string
	Role  string // what the user is, in words
}

// demo carries what earlier steps created to the later ones.
type demo struct {
	svc   *chat.Service
	store chat.Store
	op    context.Context // acts as an operator of every tenant

	tenant    chat.Tenant
	admin     chat.User
	roles     map[chat.RoleKey]chat.Role
	companies map[string]chat.Company // by short key
	users     map[string]chat.User    // by short key
	logins    []demoLogin
}

// demoSteps seed the demo tenant, in order.
var demoSteps = []struct {
	area string
	seed func(d *demo) error
}{
	{"tenant", (*demo).seedTenant},
	{"companies", (*demo).seedCompanies},
	{"users", (*demo).seedUsers},
	{"messenger", (*demo).seedMessenger},
	{"conversations", (*demo).seedConversations},
}

// seedDemo fills an empty database with the demo tenant and returns the
// logins to print.
func seedDemo(ctx context.Context, svc *chat.Service, store chat.Store) ([]demoLogin, error) {
	d := &demo{svc: svc, store: store, op: chat.OperatorContext(ctx),
		companies: map[string]chat.Company{}, users: map[string]chat.User{}}
	for _, step := range demoSteps {
		if err := step.seed(d); err != nil {
			return nil, fmt.Errorf("%s: %w", step.area, err)
		}
	}
	return d.logins, nil
}

// seedTenant creates the demo tenant with its admin, who is also the
// operator, and switches the messenger on.
func (d *demo) seedTenant() error {
	var err error
	d.tenant, d.admin, err = d.svc.Directory.Bootstrap(d.op, chat.BootstrapInput{TenantName: "Demo Payroll Services",
		AdminEmail: "admin@demo.example", AdminName: "Aino Admin", AdminPassword: demoPassword, Superuser: true})
	if err != nil {
		return err
	}
	d.users["admin"] = d.admin
	d.logins = append(d.logins, demoLogin{d.admin.Email, "tenant admin and operator"})
	if d.tenant, err = d.svc.Directory.TenantUpdate(d.op, d.tenant.ID, chat.TenantPatch{Settings: &chat.TenantSettings{
		MessengerEnabled: true, CompanyVisibility: true}}); err != nil {
		return err
	}
	roles, err := d.svc.Directory.RoleList(d.op, d.tenant.ID)
	if err != nil {
		return err
	}
	d.roles = map[chat.RoleKey]chat.Role{}
	for _, r := range roles {
		d.roles[r.Key] = r
	}
	return nil
}

// seedCompanies adds the provider's customer companies.
func (d *demo) seedCompanies() error {
	for _, c := range []struct{ key, name string }{
		{"northwind", "Northwind Traders Oy"},
		{"contoso", "Contoso Ltd"},
	} {
		company, err := d.svc.Directory.CompanyCreate(d.op, d.tenant.ID, c.name)
		if err != nil {
			return err
		}
		d.companies[c.key] = company
	}
	return nil
}

// seedUsers adds a user in every role: the provider's message handler and
// messenger manager, and the customers' manager and employees.
func (d *demo) seedUsers() error {
	for _, u := range []struct {
		key, email, name, locale, what string
		roles                          []chat.RoleKey
		companies                      []string
		manager                        string
	}{
		{"handler", "handler@demo.example", "Hannu Handler", "fi", "message handler at the provider",
			[]chat.RoleKey{chat.RoleMessageHandler}, nil, ""},
		{"messenger", "messenger@demo.example", "Mira Messenger", "en", "messenger manager",
			[]chat.RoleKey{chat.RoleMessengerManager, chat.RoleEmployee}, nil, ""},
		{"manager", "manager@demo.example", "Matti Manager", "fi", "manager at Northwind",
			[]chat.RoleKey{chat.RoleManager, chat.RoleEmployee}, []string{"northwind"}, ""},
		{"employee", "employee@demo.example", "Emma Employee", "en", "employee at Northwind, in Matti's team",
			[]chat.RoleKey{chat.RoleEmployee}, []string{"northwind"}, "manager"},
		{"customer", "customer@demo.example", "Carl Customer", "en", "employee at Contoso",
			[]chat.RoleKey{chat.RoleEmployee}, []string{"contoso"}, ""},
	} {
		in := chat.UserInput{Email: u.email, Name: u.name, Locale: u.locale, Password: demoPassword}
		for _, k := range u.roles {
			in.RoleIDs = append(in.RoleIDs, d.roles[k].ID)
		}
		for _, k := range u.companies {
			in.CompanyIDs = append(in.CompanyIDs, d.companies[k].ID)
		}
		if u.manager != "" {
			id := d.users[u.manager].ID
			in.ManagerID = &id
		}
		user, err := d.svc.Directory.UserCreate(d.op, d.tenant.ID, in)
		if err != nil {
			return err
		}
		d.users[u.key] = user
		d.logins = append(d.logins, demoLogin{user.Email, u.what})
	}
	return nil
}

// discardSeedNotifications removes the notification jobs the seeding
// enqueued, before the outbox worker starts: the seeded history is not
// news, and its recipients (at demo.example) are nobody's mailbox, so
// seeding never sends mail, also with SMTP configured. Mail starts with
// what people post after the start. Claiming with a far "now" takes every
// job whatever its due time.
func discardSeedNotifications(ctx context.Context, store chat.Store) (int, error) {
	far := time.Now().AddDate(100, 0, 0)
	n := 0
	for {
		jobs, err := store.NotifyJobClaim(ctx, far, far, 100)
		if err != nil {
			return n, err
		}
		if len(jobs) == 0 {
			return n, nil
		}
		for _, j := range jobs {
			if err := store.NotifyJobDone(ctx, j.ID); err != nil && !chat.IsCode(err, chat.ENotFound) {
				return n, err
			}
			n++
		}
	}
}
