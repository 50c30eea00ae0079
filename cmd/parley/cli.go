package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `Parley: a real-time chat server for organisations.

Usage:
  parley [serve] [--demo] [flags]    run the server (the default command)
  parley migrate [flags]             bring the database to the newest schema
  parley user create [flags]         add a user to a tenant
  parley user reset-password [flags] set a new password, ending the user's sessions
  parley user deactivate [flags]     deactivate a user, ending their sessions
  parley tenant create [flags]       add a tenant with its first admin
  parley tenant list [flags]         list the tenants
  parley backup --output FILE        write a consistent backup of the database while the
                                     server runs (SQLite: VACUUM INTO; PostgreSQL: pg_dump)
  parley healthcheck [flags]         exit 0 when the local server answers /readyz (for
                                     container health checks without curl)

Run "parley <command> --help" for a command's flags. Every flag can also be
set with its PARLEY_* environment variable; flags win. See
docs/configuration.md and docs/operations.md.
`

// cli is one invocation of the binary.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr, getenv: getenv}
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = c.serve(ctx, rest)
	case "migrate":
		err = c.migrate(ctx, rest)
	case "healthcheck":
		err = c.healthcheck(ctx, rest)
	case "backup":
		err = c.backup(ctx, rest)
	case "user", "tenant":
		if len(rest) == 0 {
			// A bare group: which commands it has, and a failed exit.
			fmt.Fprintf(stderr, "parley %s: a command is missing\n\n%s", cmd, groupUsage(cmd))
			return exitUsage
		}
		sub := rest[0]
		rest = rest[1:]
		if sub == "help" || sub == "-h" || sub == "-help" || sub == "--help" {
			fmt.Fprint(stdout, groupUsage(cmd))
			return exitOK
		}
		err = c.admin(ctx, cmd, sub, rest)
	case "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "parley: unknown command %q\nRun \"parley --help\" for the commands.\n", cmd)
		return exitUsage
	}
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "parley: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "parley: %v\n", err)
		return exitError
	}
}

// groupUsage lists the commands of a group (user, tenant), from usageText.
func groupUsage(group string) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	for line := range strings.SplitSeq(usageText, "\n") {
		if strings.HasPrefix(line, "  parley "+group+" ") {
			b.WriteString(line + "\n")
		}
	}
	fmt.Fprintf(&b, "\nRun \"parley %s <command> --help\" for a command's flags.\n", group)
	return b.String()
}

// usageError is a wrong command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// flags returns a flag set for a command with the configuration options
// named in only (all when none).
func (c *cli) flags(name, summary string, only ...string) (*flag.FlagSet, func() (Config, error)) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package's own printing (the error and the whole usage on
	// every mistake) is silenced: parse prints --help to stdout and a
	// mistake as one line with a hint.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs, configFlags(fs, c.getenv, only...)
}

// parse parses args and resolves the configuration. --help prints the
// command's usage to stdout; a wrong flag is one line and a hint.
func (c *cli) parse(fs *flag.FlagSet, args []string, config func() (Config, error)) (Config, error) {
	hint := fmt.Sprintf("\nRun \"%s --help\" for its flags.", strings.TrimSuffix(fs.Name(), " [serve]"))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(c.stdout)
			fs.Usage()
			return Config{}, err
		}
		return Config{}, usageError{err.Error() + hint}
	}
	if fs.NArg() > 0 {
		return Config{}, usagef("unexpected argument %q%s", fs.Arg(0), hint)
	}
	cfg, err := config()
	if err != nil {
		return Config{}, usageError{err.Error()}
	}
	return cfg, nil
}

// commandLogger is the logger of the operator commands: their output is
// for people, so routine info lines stay out unless asked for.
func (c *cli) commandLogger(cfg Config) zerolog.Logger {
	log := newLogger(cfg, c.stderr)
	if cfg.LogLevel == "info" && c.getenv("PARLEY_LOG_LEVEL") == "" {
		log = log.Level(zerolog.WarnLevel)
	}
	return log
}

// serve runs the server until ctx ends (SIGINT or SIGTERM).
func (c *cli) serve(ctx context.Context, args []string) error {
	fs, config := c.flags("parley [serve]", "Runs the chat server. With no configuration it uses a SQLite file in ./data and an\nin-process broker, creates the first admin on an empty database and prints the login.\n\n"+strings.TrimSpace(usageText[strings.Index(usageText, "Usage:"):]))
	envDemo, _ := strconv.ParseBool(c.getenv("PARLEY_DEMO"))
	demo := fs.Bool("demo", envDemo, "seed a demo tenant with companies and users in every role into an empty database and print their logins (env PARLEY_DEMO)")
	cfg, err := c.parse(fs, args, config)
	if err != nil {
		return err
	}
	cfg.Demo = *demo
	// A configuration error like a too-short key: the same exit status
	// (2) whether the keys are missing or wrong.
	if cfg.Cluster() && len(cfg.SessionKeys) == 0 {
		return usagef("%s", errMissingSessionKeys)
	}
	log := newLogger(cfg, c.stderr)
	useRedisLogger(log)
	m := NewMain(cfg, log, c.stdout)
	if err := m.Run(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info().Str("component", "main").Msg("stopping")
	case err := <-m.Wait():
		_ = m.Close()
		return fmt.Errorf("server stopped: %w", err)
	}
	return m.Close()
}

// migrate brings the database to the newest schema and exits.
func (c *cli) migrate(ctx context.Context, args []string) error {
	fs, config := c.flags("parley migrate", "Brings the configured database to the newest schema. The server migrates at startup\ntoo; run this to migrate ahead of a deploy. Safe to run on several nodes at once.", storageOptions...)
	cfg, err := c.parse(fs, args, config)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, c.commandLogger(cfg))
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "the database is migrated to the newest schema")
	return st.Close()
}

// admin runs the operator commands on users and tenants.
func (c *cli) admin(ctx context.Context, noun, verb string, args []string) error {
	commands := map[string]func(*adminCmd, context.Context) error{
		"user create":         (*adminCmd).userCreate,
		"user reset-password": (*adminCmd).userResetPassword,
		"user deactivate":     (*adminCmd).userDeactivate,
		"tenant create":       (*adminCmd).tenantCreate,
		"tenant list":         (*adminCmd).tenantList,
	}
	do, ok := commands[noun+" "+verb]
	if !ok {
		return usagef("unknown command %q\nRun \"parley %s --help\" for its commands.", "parley "+noun+" "+verb, noun)
	}
	a := &adminCmd{cli: c}
	fs, config := c.flags("parley "+noun+" "+verb, adminSummaries[noun+" "+verb], storageOptions...)
	a.define(fs, noun+" "+verb)
	cfg, err := c.parse(fs, args, config)
	if err != nil {
		return err
	}
	log := c.commandLogger(cfg)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	a.svc = chat.NewService(chat.Config{Store: st, Logger: log})
	return do(a, chat.OperatorContext(ctx))
}

var adminSummaries = map[string]string{
	"user create": "Adds a user to a tenant. Without --password a password is generated and printed once.\n" +
		"--tenant may be left out while there is only one tenant.",
	"user reset-password": "Sets a new password for the user with --email and ends all their sessions. Without\n" +
		"--password a password is generated and printed once.",
	"user deactivate": "Deactivates the user with --email: they cannot log in and all their sessions end.",
	"tenant create": "Adds a tenant with the built-in roles and its first tenant admin. Without\n" +
		"--admin-password a password is generated and printed once.",
	"tenant list": "Lists the tenants with their ids.",
}

// adminCmd holds the flags of the operator commands.
type adminCmd struct {
	*cli
	svc *chat.Service

	tenant                     int64
	email, name, password      string
	locale, roles, companies   string
	superuser                  bool
	adminEmail, adminName      string
	adminPassword, tenantNameF string
}

func (a *adminCmd) define(fs *flag.FlagSet, cmd string) {
	switch cmd {
	case "user create":
		fs.Int64Var(&a.tenant, "tenant", 0, "id of the tenant (see parley tenant list); optional while there is one tenant")
		fs.StringVar(&a.email, "email", "", "email, the login (required)")
		fs.StringVar(&a.name, "name", "", "display name (required)")
		fs.StringVar(&a.password, "password", "", "password of at least 10 characters; empty: generated and printed")
		fs.StringVar(&a.locale, "locale", "en", "language: en or fi")
		fs.StringVar(&a.roles, "roles", "employee", "comma-separated role keys or names: employee, manager, message_handler, tenant_admin, messenger_manager, or a tenant's own")
		fs.StringVar(&a.companies, "companies", "", "comma-separated company ids")
		fs.BoolVar(&a.superuser, "superuser", false, "make the user an operator of every tenant")
	case "user reset-password":
		fs.StringVar(&a.email, "email", "", "email of the user (required)")
		fs.StringVar(&a.password, "password", "", "new password of at least 10 characters; empty: generated and printed")
	case "user deactivate":
		fs.StringVar(&a.email, "email", "", "email of the user (required)")
	case "tenant create":
		fs.StringVar(&a.tenantNameF, "name", "", "name of the tenant (required)")
		fs.StringVar(&a.adminEmail, "admin-email", "", "email of the tenant's first admin (required)")
		fs.StringVar(&a.adminName, "admin-name", "Administrator", "name of the tenant's first admin")
		fs.StringVar(&a.adminPassword, "admin-password", "", "password of the first admin; empty: generated and printed")
	}
}

// required checks that the named flags were given.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return usagef("--%s is required", pairs[i])
		}
	}
	return nil
}

// passwordOrGenerated returns pw, or a generated password to print.
func passwordOrGenerated(pw string) (string, bool, error) {
	if pw != "" {
		return pw, false, nil
	}
	gen, err := chat.GeneratePassword()
	return gen, true, err
}

// friendly turns a service error into the message for the operator.
func friendly(err error) error {
	if err == nil {
		return nil
	}
	if chat.ErrorCode(err) == chat.EInternal {
		return err
	}
	return errors.New(chat.ErrorMessage(err))
}

func (a *adminCmd) userCreate(ctx context.Context) error {
	if err := required("email", a.email, "name", a.name); err != nil {
		return err
	}
	tenantID := a.tenant
	if tenantID == 0 {
		ts, err := a.svc.Directory.TenantList(ctx, chat.Page{Limit: 2})
		if err != nil {
			return err
		}
		if len(ts) != 1 {
			return usagef("--tenant is required when there is not exactly one tenant (see parley tenant list)")
		}
		tenantID = ts[0].ID
	}
	roles, err := a.svc.Directory.RoleList(ctx, tenantID)
	if err != nil {
		return friendly(err)
	}
	in := chat.UserInput{Email: a.email, Name: a.name, Locale: a.locale, Superuser: a.superuser}
	for _, want := range splitList(a.roles) {
		found := false
		for _, r := range roles {
			if string(r.Key) == want || strings.EqualFold(r.Name, want) {
				in.RoleIDs, found = append(in.RoleIDs, r.ID), true
				break
			}
		}
		if !found {
			return usagef("--roles: the tenant has no role %q", want)
		}
	}
	for _, s := range splitList(a.companies) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return usagef("--companies: %q is not a company id", s)
		}
		in.CompanyIDs = append(in.CompanyIDs, id)
	}
	var generated bool
	if in.Password, generated, err = passwordOrGenerated(a.password); err != nil {
		return err
	}
	u, err := a.svc.Directory.UserCreate(ctx, tenantID, in)
	if err != nil {
		return friendly(err)
	}
	fmt.Fprintf(a.stdout, "created user %d (%s) in tenant %d\n", u.ID, u.Email, u.TenantID)
	if generated {
		fmt.Fprintf(a.stdout, "password: %s\n", in.Password)
	}
	return nil
}

func (a *adminCmd) userResetPassword(ctx context.Context) error {
	if err := required("email", a.email); err != nil {
		return err
	}
	u, err := a.svc.Directory.UserByEmail(ctx, a.email)
	if err != nil {
		return friendly(err)
	}
	pw, err := a.svc.Directory.UserResetPassword(ctx, u.TenantID, u.ID, a.password)
	if err != nil {
		return friendly(err)
	}
	fmt.Fprintf(a.stdout, "password of %s reset; their sessions have ended\n", u.Email)
	if a.password == "" {
		fmt.Fprintf(a.stdout, "password: %s\n", pw)
	}
	return nil
}

func (a *adminCmd) userDeactivate(ctx context.Context) error {
	if err := required("email", a.email); err != nil {
		return err
	}
	u, err := a.svc.Directory.UserByEmail(ctx, a.email)
	if err != nil {
		return friendly(err)
	}
	inactive := false
	if _, err := a.svc.Directory.UserUpdate(ctx, u.TenantID, u.ID, chat.UserPatch{Active: &inactive}); err != nil {
		return friendly(err)
	}
	fmt.Fprintf(a.stdout, "deactivated %s; their sessions have ended\n", u.Email)
	return nil
}

func (a *adminCmd) tenantCreate(ctx context.Context) error {
	if err := required("name", a.tenantNameF, "admin-email", a.adminEmail); err != nil {
		return err
	}
	pw, generated, err := passwordOrGenerated(a.adminPassword)
	if err != nil {
		return err
	}
	t, admin, err := a.svc.Directory.Bootstrap(ctx, chat.BootstrapInput{TenantName: a.tenantNameF, AdminEmail: a.adminEmail,
		AdminName: a.adminName, AdminPassword: pw})
	if err != nil {
		return friendly(err)
	}
	fmt.Fprintf(a.stdout, "created tenant %d (%s) with admin %s\n", t.ID, t.Name, admin.Email)
	if generated {
		fmt.Fprintf(a.stdout, "password: %s\n", pw)
	}
	return nil
}

func (a *adminCmd) tenantList(ctx context.Context) error {
	for page := (chat.Page{Limit: chat.MaxPageSize}); ; {
		ts, err := a.svc.Directory.TenantList(ctx, page)
		if err != nil {
			return err
		}
		for _, t := range ts {
			fmt.Fprintf(a.stdout, "%d\t%s\n", t.ID, t.Name)
		}
		if len(ts) < page.Limit {
			return nil
		}
		page.After = ts[len(ts)-1].ID
	}
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// healthcheck asks the server on PARLEY_LISTEN (this machine) for
// /readyz and fails unless it answers 200: a distroless image has no curl
// for a HEALTHCHECK.
func (c *cli) healthcheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("parley healthcheck", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	def := c.getenv("PARLEY_LISTEN")
	if def == "" {
		def = ":8080"
	}
	listen := fs.String("listen", def, "the server's listen address (env PARLEY_LISTEN)")
	path := fs.String("path", "/readyz", "the endpoint to ask: /readyz (database answers) or /healthz (process up)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	host, port, err := net.SplitHostPort(*listen)
	if err != nil {
		return usagef("--listen %q: %v", *listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+net.JoinHostPort(host, port)+*path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *path, resp.Status)
	}
	return nil
}
