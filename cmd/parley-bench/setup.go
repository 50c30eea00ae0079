package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// api is a logged-in HTTP client of one Parley user.
type api struct {
	base   string
	client *http.Client
}

func newAPI(base string) (*api, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &api{base: strings.TrimSuffix(base, "/"), client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}, nil
}

// do sends a JSON request and decodes a JSON answer into out (when not nil).
func (a *api) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (a *api) login(ctx context.Context, email, password string) error {
	return a.do(ctx, http.MethodPost, "/api/v1/session", map[string]string{"email": email, "password": password}, nil)
}

// cookieHeader returns the session cookie for WebSocket dials.
func (a *api) cookieHeader() string {
	u, _ := url.Parse(a.base)
	var parts []string
	for _, c := range a.client.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// world is what the benchmark set up: user sessions and topic channels.
type world struct {
	cookies  []string // one session cookie per bench user
	channels []string // "topic:<id>"
	// What -setup-only saves besides (see worldFile).
	url     string
	prefix  string
	groupID int64
	emails  []string
	userIDs []int64
}

// benchPassword is every bench user's password.
const benchPassword = "bench-password-123"

// setup creates (as the tenant admin) the bench users, one group holding
// them and the topics, then logs every bench user in.
func setup(ctx context.Context, cfg config) (*world, error) {
	admin, err := newAPI(cfg.url)
	if err != nil {
		return nil, err
	}
	if err := admin.login(ctx, cfg.adminEmail, cfg.adminPassword); err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	if err := enableMessenger(ctx, admin); err != nil {
		return nil, err
	}
	roleIDs, err := benchRoleIDs(ctx, admin)
	if err != nil {
		return nil, err
	}
	run := time.Now().UnixNano()
	emails, userIDs, err := createUsers(ctx, cfg, admin, run, roleIDs)
	if err != nil {
		return nil, fmt.Errorf("create users: %w", err)
	}
	groupID, err := createGroup(ctx, cfg, admin, run, userIDs)
	if err != nil {
		return nil, err
	}
	w := &world{cookies: make([]string, cfg.users), channels: make([]string, cfg.channels),
		url: cfg.url, prefix: cfg.prefix, groupID: groupID, emails: emails, userIDs: userIDs}
	if err := createTopics(ctx, cfg, emails[0], groupID, w.channels); err != nil {
		return nil, err
	}
	if err := logUsersIn(ctx, cfg, emails, w.cookies); err != nil {
		return nil, fmt.Errorf("log users in: %w", err)
	}
	return w, nil
}

// enableMessenger switches the tenant's messenger on if it is off.
func enableMessenger(ctx context.Context, admin *api) error {
	var tenant struct {
		ID       int64          `json:"id"`
		Settings map[string]any `json:"settings"`
	}
	if err := admin.do(ctx, http.MethodGet, "/api/v1/tenant", nil, &tenant); err != nil {
		return err
	}
	if on, _ := tenant.Settings["messenger_enabled"].(bool); on {
		return nil
	}
	tenant.Settings["messenger_enabled"] = true
	if err := admin.do(ctx, http.MethodPatch, fmt.Sprintf("/api/v1/tenants/%d", tenant.ID),
		map[string]any{"settings": tenant.Settings}, nil); err != nil {
		return fmt.Errorf("enable messenger: %w", err)
	}
	return nil
}

// benchRoleIDs are the roles of a bench user: employee, and messenger
// manager so that the first user can create the topics.
func benchRoleIDs(ctx context.Context, admin *api) ([]int64, error) {
	var roles struct {
		Items []struct {
			ID  int64  `json:"id"`
			Key string `json:"key"`
		} `json:"items"`
	}
	if err := admin.do(ctx, http.MethodGet, "/api/v1/roles", nil, &roles); err != nil {
		return nil, err
	}
	var roleIDs []int64
	for _, r := range roles.Items {
		if r.Key == "employee" || r.Key == "messenger_manager" {
			roleIDs = append(roleIDs, r.ID)
		}
	}
	return roleIDs, nil
}

// createUsers creates cfg.users bench users, named after the run so that
// set-ups on one database do not collide.
func createUsers(ctx context.Context, cfg config, admin *api, run int64, roleIDs []int64) (emails []string, userIDs []int64, err error) {
	emails = make([]string, cfg.users)
	userIDs = make([]int64, cfg.users)
	err = parallel(ctx, cfg.users, 8, func(i int) error {
		emails[i] = fmt.Sprintf("%s-%d-%d@bench.example", cfg.prefix, run, i)
		var u struct {
			ID int64 `json:"id"`
		}
		err := admin.do(ctx, http.MethodPost, "/api/v1/users", map[string]any{
			"email": emails[i], "name": fmt.Sprintf("Bench %d", i), "password": benchPassword, "role_ids": roleIDs,
			"email_notifications": false,
		}, &u)
		userIDs[i] = u.ID
		return err
	})
	return emails, userIDs, err
}

// createGroup creates the bench group holding every bench user.
func createGroup(ctx context.Context, cfg config, admin *api, run int64, userIDs []int64) (int64, error) {
	var g struct {
		ID int64 `json:"id"`
	}
	if err := admin.do(ctx, http.MethodPost, "/api/v1/messenger/groups",
		map[string]any{"name": fmt.Sprintf("%s %d", cfg.prefix, run), "active": true}, &g); err != nil {
		return 0, fmt.Errorf("create group: %w", err)
	}
	if err := admin.do(ctx, http.MethodPut, fmt.Sprintf("/api/v1/messenger/groups/%d/members", g.ID),
		map[string]any{"user_ids": userIDs}, nil); err != nil {
		return 0, fmt.Errorf("set members: %w", err)
	}
	return g.ID, nil
}

// createTopics creates a topic per channel, as the bench user with the
// email (a member holding messenger manager), and fills in channels.
func createTopics(ctx context.Context, cfg config, email string, groupID int64, channels []string) error {
	first, err := newAPI(cfg.url)
	if err != nil {
		return err
	}
	if err := first.login(ctx, email, benchPassword); err != nil {
		return fmt.Errorf("bench user login: %w", err)
	}
	if err := parallel(ctx, len(channels), 8, func(i int) error {
		var t struct {
			ID int64 `json:"id"`
		}
		err := first.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/messenger/groups/%d/topics", groupID),
			map[string]any{"name": fmt.Sprintf("bench %d", i), "active": true}, &t)
		channels[i] = fmt.Sprintf("topic:%d", t.ID)
		return err
	}); err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	return nil
}

// logUsersIn logs every bench user in and fills in their session cookies.
func logUsersIn(ctx context.Context, cfg config, emails, cookies []string) error {
	return parallel(ctx, len(emails), 4, func(i int) error {
		a, err := newAPI(cfg.url)
		if err != nil {
			return err
		}
		if err := a.login(ctx, emails[i], benchPassword); err != nil {
			return err
		}
		cookies[i] = a.cookieHeader()
		return nil
	})
}

// parallel runs fn(0..n-1) on at most workers goroutines; the first error
// wins.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
