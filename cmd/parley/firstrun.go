package main

import (
	"context"
	"fmt"
	"strings"

	"parley/chat"
)

// First run: an empty database gets its first tenant and an admin who is
// also the operator, so that the printed login works at once.

const (
	firstTenantName = "Parley"
	firstAdminName  = "Administrator"
)

// firstRun prepares an empty database (the first tenant and its admin, or
// the demo data) and returns the banner to print once the server is up.
// Nodes starting together on one empty database race harmlessly: the
// admin's email is unique, so exactly one bootstrap commits and the others
// find the work done.
func (m *Main) firstRun(ctx context.Context) (string, error) {
	c := m.Config
	running := "Parley is running at " + m.publicURL
	n, err := m.store.TenantCount(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		if c.Demo {
			return running + "\n(the database is not empty, so no demo data was added; demo data goes into an empty database only)", nil
		}
		return running, nil
	}
	log := m.Log.With().Str("component", "firstrun").Logger()
	if c.Demo {
		logins, err := seedDemo(ctx, m.svc, m.store)
		if chat.IsCode(err, chat.EConflict) {
			log.Info().Msg("another node seeded the demo data")
			return running, nil
		}
		if err != nil {
			return "", fmt.Errorf("demo data: %w", err)
		}
		n, err := discardSeedNotifications(ctx, m.store)
		if err != nil {
			return "", fmt.Errorf("demo data: %w", err)
		}
		log.Info().Int("users", len(logins)).Int("notifications_discarded", n).Msg("demo data seeded")
		return running + "\n" + demoBanner(logins), nil
	}

	password, generated := c.AdminPassword, c.AdminPassword == ""
	if generated {
		if password, err = chat.GeneratePassword(); err != nil {
			return "", err
		}
	}
	_, admin, err := m.svc.Directory.Bootstrap(ctx, chat.BootstrapInput{TenantName: firstTenantName, AdminEmail: c.AdminEmail,
		AdminName: firstAdminName, AdminPassword: password, Superuser: true})
	switch {
	case chat.IsCode(err, chat.EConflict):
		log.Info().Msg("another node created the first tenant")
		return running, nil
	case chat.IsCode(err, chat.EInvalid):
		return "", fmt.Errorf("first run: PARLEY_ADMIN_EMAIL/PARLEY_ADMIN_PASSWORD: %s", chat.ErrorMessage(err))
	case err != nil:
		return "", fmt.Errorf("first run: %w", err)
	}
	log.Info().Int64("tenant", admin.TenantID).Int64("user", admin.ID).Bool("generated_password", generated).
		Msg("first run: created the first tenant and its admin")
	if generated {
		return fmt.Sprintf("%s — log in as %s with password %s\n(the password is shown only this once; change it under Settings after logging in)",
			running, admin.Email, password), nil
	}
	return fmt.Sprintf("%s — log in as %s with the password from PARLEY_ADMIN_PASSWORD", running, admin.Email), nil
}

// demoBanner lists the demo logins.
func demoBanner(logins []demoLogin) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Demo data is ready. Every demo user's password is %q:\n", demoPassword)
	for _, l := range logins {
		fmt.Fprintf(&b, "  %-28s %s\n", l.Email, l.Role)
	}
	return strings.TrimRight(b.String(), "\n")
}
