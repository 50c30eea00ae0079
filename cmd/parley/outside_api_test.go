package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// The conventions of docs/api.md hold on the real server: headers, list
// shape and paging, 401 without a session, 405 with Allow, and for every
// newer resource (messenger, conversations, categories, attachments,
// drafts, notifications) another tenant's ids answer 404 exactly like
// missing ones.
func TestOutsideAPIConventions(t *testing.T) {
	t.Parallel()
	s := startOutside(t, "sqlite", nil)

	// Tenant B, with one of everything.
	out, errOut, code := command(t, []string{"PARLEY_DATA_DIR=" + s.m.Config.DataDir}, "tenant", "create", "--name", "Tenant B",
		"--admin-email", "admin@b.example", "--admin-password", "tenant b password")
	if code != 0 {
		t.Fatalf("tenant create: %s %s", out, errOut)
	}
	b := newClient(t, s.base)
	var bMe struct {
		User   struct{ ID int64 }
		Tenant struct{ ID int64 }
		Roles  []struct {
			ID  int64
			Key string
		}
	}
	b.login("admin@b.example", "tenant b password").decode(t, &bMe)
	var bRoles struct {
		Items []struct {
			ID  int64
			Key string
		}
	}
	b.do("GET", "/api/v1/roles", nil).decode(t, &bRoles)
	roleB := map[string]int64{}
	for _, r := range bRoles.Items {
		roleB[r.Key] = r.ID
	}
	expect(t, "B: messenger on", b.do("PATCH", fmt.Sprintf("/api/v1/tenants/%d", bMe.Tenant.ID),
		map[string]any{"settings": map[string]any{"messenger_enabled": true}}), 200, "", "")
	expect(t, "B: admin manages the messenger", b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", bMe.User.ID),
		map[string]any{"role_ids": []int64{roleB["tenant_admin"], roleB["messenger_manager"], roleB["message_handler"]}}), 200, "", "")
	b.login("admin@b.example", "tenant b password")
	id := func(res response, what string) string {
		t.Helper()
		expect(t, what, res, 201, "", "")
		var v struct{ ID int64 }
		res.decode(t, &v)
		return fmt.Sprint(v.ID)
	}
	group := id(b.do("POST", "/api/v1/messenger/groups", map[string]any{"name": "B group"}), "B group")
	expect(t, "B members", b.do("PUT", "/api/v1/messenger/groups/"+group+"/members", map[string]any{"user_ids": []int64{bMe.User.ID}}), 200, "", "")
	topic := id(b.do("POST", "/api/v1/messenger/groups/"+group+"/topics", map[string]any{"name": "B topic"}), "B topic")
	message := id(b.do("POST", "/api/v1/messenger/topics/"+topic+"/messages", map[string]any{"body": "secret of B", "client_msg_id": "b1"}), "B message")
	category := id(b.do("POST", "/api/v1/categories", map[string]any{"name_en": "B cat", "role_ids": []int64{roleB["message_handler"]}}), "B category")
	conv := id(b.do("POST", "/api/v1/conversations", map[string]any{"subject": "B subject", "category_id": json.RawMessage(category), "body": "B body"}), "B conversation")
	draft := id(b.do("POST", "/api/v1/drafts", map[string]any{"subject": "B draft", "body": "x"}), "B draft")
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "b.txt")
	fw.Write([]byte("tenant b text\n"))
	mw.Close()
	attachment := id(b.raw("POST", "/api/v1/attachments", mw.FormDataContentType(), &form), "B attachment")

	// Tenant A's admin (an operator, but an operator acts in their own
	// tenant on these paths) and employee find none of it.
	_, emp := s.user("emp@example.com", "employee")
	for _, c := range []*client{s.admin, emp} {
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/messenger/groups/" + group, nil},
			{"GET", "/api/v1/messenger/groups/" + group + "/members", nil},
			{"PATCH", "/api/v1/messenger/groups/" + group, map[string]any{"name": "x"}},
			{"PUT", "/api/v1/messenger/groups/" + group + "/members", map[string]any{"user_ids": []int64{}}},
			{"GET", "/api/v1/messenger/topics/" + topic, nil},
			{"GET", "/api/v1/messenger/topics/" + topic + "/messages", nil},
			{"POST", "/api/v1/messenger/topics/" + topic + "/messages", map[string]any{"body": "x", "client_msg_id": "a1"}},
			{"POST", "/api/v1/messenger/topics/" + topic + "/read", nil},
			{"GET", "/api/v1/categories/" + category, nil},
			{"PUT", "/api/v1/categories/" + category, map[string]any{"name_en": "x", "role_ids": []int64{}}},
			{"GET", "/api/v1/conversations/" + conv, nil},
			{"GET", "/api/v1/conversations/" + conv + "/messages", nil},
			{"POST", "/api/v1/conversations/" + conv + "/messages", map[string]any{"body": "x", "client_msg_id": "a2"}},
			{"POST", "/api/v1/conversations/" + conv + "/take", nil},
			{"PUT", "/api/v1/conversations/" + conv + "/status", map[string]any{"status": "solved"}},
			{"GET", "/api/v1/drafts/" + draft, nil},
			{"PUT", "/api/v1/drafts/" + draft, map[string]any{"subject": "x"}},
			{"DELETE", "/api/v1/drafts/" + draft, nil},
			{"GET", "/api/v1/attachments/" + attachment, nil},
			{"GET", "/api/v1/notifications/mutes/topic:" + topic, nil},
		} {
			res := c.do(req.method, req.path, req.body)
			if res.status != 404 {
				t.Errorf("tenant A: %s %s answered %d %s, want 404", req.method, req.path, res.status, res.body)
				continue
			}
			if code, _ := res.errorOf(t); code != "not_found" {
				t.Errorf("tenant A: %s %s: code %q", req.method, req.path, code)
			}
		}
		var hits struct{ Items []any }
		c.do("GET", "/api/v1/search?q=secret", nil).decode(t, &hits)
		if len(hits.Items) != 0 {
			t.Errorf("tenant A finds tenant B's message %s: %+v", message, hits.Items)
		}
	}

	// Conventions.
	res := emp.do("GET", "/api/v1/me", nil)
	if res.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		t.Fatalf("headers %v", res.header)
	}
	anon := newClient(t, s.base)
	for _, path := range []string{"/api/v1/me", "/api/v1/users", "/api/v1/messenger", "/api/v1/conversations", "/api/v1/drafts",
		"/api/v1/notifications", "/api/v1/search?q=x", "/api/v1/categories", "/api/v1/retention/runs"} {
		expect(t, "anonymous "+path, anon.do("GET", path, nil), 401, "unauthenticated", "")
	}
	res = s.admin.do("PUT", "/api/v1/companies", map[string]any{})
	expect(t, "PUT on a list", res, 405, "invalid", "")
	if res.header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
	expect(t, "unknown endpoint", s.admin.do("GET", "/api/v1/nothing-here", nil), 404, "not_found", "")
	res = s.admin.do("POST", "/api/v1/companies", map[string]any{"name": "Located Oy"})
	expect(t, "create", res, 201, "", "")
	if loc := res.header.Get("Location"); !strings.HasPrefix(loc, "/api/v1/companies/") {
		t.Fatalf("Location %q", loc)
	}
	for i := range 3 {
		s.admin.do("POST", "/api/v1/companies", map[string]any{"name": fmt.Sprintf("Paged %d Oy", i)})
	}
	var seen []string
	for after := ""; ; {
		var page struct {
			Items []struct{ Name string }
			Next  string
		}
		s.admin.do("GET", "/api/v1/companies?limit=2&after="+after, nil).decode(t, &page)
		for _, c := range page.Items {
			seen = append(seen, c.Name)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(seen) != 4 {
		t.Fatalf("paging by 2 saw %v", seen)
	}
	expect(t, "limit 0", s.admin.do("GET", "/api/v1/users?limit=0", nil), 400, "invalid", "limit")

	// Retention is for tenant admins, and says so.
	expect(t, "employee: retention runs", emp.do("GET", "/api/v1/retention/runs", nil), 403, "forbidden", "retention")
	expect(t, "admin: retention runs", s.admin.do("GET", "/api/v1/retention/runs", nil), 200, "", "")

	// A draft's data is the client's JSON as a string.
	res = emp.do("POST", "/api/v1/drafts", map[string]any{"subject": "s", "body": "b", "data": `{"category_id":3}`})
	expect(t, "draft with data", res, 201, "", "")
	var d struct{ Data string }
	res.decode(t, &d)
	if d.Data != `{"category_id":3}` {
		t.Fatalf("draft data %q", d.Data)
	}
	expect(t, "draft data as an object", emp.do("POST", "/api/v1/drafts", map[string]any{"data": map[string]any{"x": 1}}), 400, "invalid", "data")
	if res := emp.raw("GET", "/api/v1/attachments/"+attachment, "", nil); res.status != http.StatusNotFound {
		t.Fatalf("another tenant's attachment: %d", res.status)
	}
}
