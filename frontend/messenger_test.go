package frontend_test

import (
	"net/http"
	"testing"

	"parley/chat"
)

type msgrGroup struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Active      bool    `json:"active"`
	MemberIDs   []int64 `json:"member_ids"`
}

type msgrTopic struct {
	ID                    int64  `json:"id"`
	GroupID               int64  `json:"group_id"`
	Name                  string `json:"name"`
	EmailNotify           bool   `json:"email_notify"`
	NotifyIntervalSeconds int64  `json:"notify_interval_seconds"`
	Active                bool   `json:"active"`
	LastSeq               int64  `json:"last_seq"`
	ReadSeq               *int64 `json:"read_seq"`
	Unread                *int64 `json:"unread"`
}

type msgrOverview struct {
	Groups []struct {
		msgrGroup
		Unread    int64       `json:"unread"`
		CanManage bool        `json:"can_manage"`
		Topics    []msgrTopic `json:"topics"`
	} `json:"groups"`
}

// msgrEnv is the frontend env with the messenger routes, a messenger
// manager and a user outside every group.
func msgrEnv(t *testing.T) (*env, chat.User, chat.User) {
	t.Helper()
	e := newEnv(t)
	e.srv.EnsureMessengerRoutes()
	op := chat.OperatorContext(t.Context())
	roles, err := e.svc.Directory.RoleList(op, e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	var mm, emp int64
	for _, r := range roles {
		switch r.Key {
		case chat.RoleMessengerManager:
			mm = r.ID
		case chat.RoleEmployee:
			emp = r.ID
		}
	}
	mgr, err := e.svc.Directory.UserCreate(op, e.tenant.ID, chat.UserInput{Email: "mm@acme.example", Name: "Mia Manager",
		Password: testPassword, RoleIDs: []int64{mm, emp}})
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := e.svc.Directory.UserCreate(op, e.tenant.ID, chat.UserInput{Email: "out@acme.example", Name: "Otto",
		Password: testPassword, RoleIDs: []int64{emp}})
	if err != nil {
		t.Fatal(err)
	}
	return e, mgr, outsider
}

func TestMessengerAPI(t *testing.T) {
	t.Parallel()
	e, mgr, outsider := msgrEnv(t)
	admin, emp, mm, out := e.client(), e.client(), e.client(), e.client()
	admin.login("admin@acme.example")
	emp.login(e.employee.Email)
	mm.login(mgr.Email)
	out.login(outsider.Email)

	// Off by default: nothing of the messenger exists.
	var ov msgrOverview
	res := emp.do("GET", "/api/v1/messenger", nil)
	want(t, "overview while off", res, 200, "")
	res.json(t, &ov)
	if len(ov.Groups) != 0 {
		t.Fatalf("overview while off: %s", res.body)
	}
	want(t, "groups while off", admin.do("GET", "/api/v1/messenger/groups", nil), 404, chat.ENotFound)
	want(t, "enable", admin.do("PATCH", "/api/v1/tenants/"+itoa(e.tenant.ID),
		map[string]any{"settings": map[string]any{"messenger_enabled": true}}), 200, "")

	// Groups: tenant admins create them and assign members.
	want(t, "employee creates a group", emp.do("POST", "/api/v1/messenger/groups", map[string]any{"name": "x"}), 403, chat.EForbidden)
	res = admin.do("POST", "/api/v1/messenger/groups", map[string]any{"name": "Payroll", "description": "Payments"})
	want(t, "create group", res, 201, "")
	var g msgrGroup
	res.json(t, &g)
	if !g.Active || g.Name != "Payroll" || res.header.Get("Location") != "/api/v1/messenger/groups/"+itoa(g.ID) {
		t.Fatalf("created %s (Location %q)", res.body, res.header.Get("Location"))
	}
	gpath := "/api/v1/messenger/groups/" + itoa(g.ID)
	want(t, "unknown member", admin.do("PUT", gpath+"/members", map[string]any{"user_ids": []int64{e.employee.ID, 999999}}), 400, chat.EInvalid)
	want(t, "set members", admin.do("PUT", gpath+"/members", map[string]any{"user_ids": []int64{e.employee.ID, mgr.ID}}), 200, "")
	res = emp.do("GET", gpath+"/members", nil)
	want(t, "members", res, 200, "")
	var members listOf[person]
	res.json(t, &members)
	if len(members.Items) != 2 || members.Items[0].Name != "Emp" || members.Items[1].Name != "Mia Manager" {
		t.Fatalf("members %s", res.body)
	}
	want(t, "outsider reads members", out.do("GET", gpath+"/members", nil), 404, chat.ENotFound)
	want(t, "member edits group", emp.do("PATCH", gpath, map[string]any{"name": "Mine"}), 403, chat.EForbidden)
	res = admin.do("PATCH", gpath, map[string]any{"description": "Payments processing"})
	want(t, "patch group", res, 200, "")
	res.json(t, &g)
	if g.Name != "Payroll" || g.Description != "Payments processing" || !g.Active {
		t.Fatalf("patched group %s", res.body)
	}

	// Topics: the group's messenger managers create and edit them.
	want(t, "member creates topic", emp.do("POST", gpath+"/topics", map[string]any{"name": "x"}), 403, chat.EForbidden)
	want(t, "interval over 7 days", mm.do("POST", gpath+"/topics", map[string]any{"name": "x",
		"notify_interval_seconds": 7*24*3600 + 1}), 400, chat.EInvalid)
	res = mm.do("POST", gpath+"/topics", map[string]any{"name": "Salaries", "email_notify": true, "notify_interval_seconds": 3600})
	want(t, "create topic", res, 201, "")
	var tp msgrTopic
	res.json(t, &tp)
	if !tp.Active || !tp.EmailNotify || tp.NotifyIntervalSeconds != 3600 || tp.GroupID != g.ID {
		t.Fatalf("created topic %s", res.body)
	}
	tpath := "/api/v1/messenger/topics/" + itoa(tp.ID)

	// Messages, history, unread counts and read markers.
	for _, body := range []string{"first", "the payday moves to Friday"} {
		want(t, "post", emp.do("POST", tpath+"/messages", map[string]any{"body": body}), 201, "")
	}
	want(t, "outsider posts", out.do("POST", tpath+"/messages", map[string]any{"body": "x"}), 404, chat.ENotFound)
	res = mm.do("GET", "/api/v1/messenger", nil)
	want(t, "overview", res, 200, "")
	ov = msgrOverview{}
	res.json(t, &ov)
	if len(ov.Groups) != 1 || !ov.Groups[0].CanManage || ov.Groups[0].Unread != 2 || len(ov.Groups[0].Topics) != 1 ||
		*ov.Groups[0].Topics[0].Unread != 2 {
		t.Fatalf("overview %s", res.body)
	}
	res = mm.do("GET", tpath+"/messages?limit=1", nil)
	want(t, "history", res, 200, "")
	var hist listOf[struct {
		Seq  int64  `json:"seq"`
		Body string `json:"body"`
	}]
	res.json(t, &hist)
	if len(hist.Items) != 1 || hist.Items[0].Body != "the payday moves to Friday" || hist.Next != "2" {
		t.Fatalf("history page %s", res.body)
	}
	res = mm.do("GET", tpath+"/messages?before="+hist.Next, nil)
	res.json(t, &hist)
	if len(hist.Items) != 1 || hist.Items[0].Body != "first" || hist.Next != "" {
		t.Fatalf("older page %s", res.body)
	}
	res = mm.raw("POST", tpath+"/read", "", nil)
	want(t, "mark read", res, 200, "")
	res = mm.do("GET", tpath, nil)
	res.json(t, &tp)
	if *tp.Unread != 0 || *tp.ReadSeq != 2 {
		t.Fatalf("topic after read %s", res.body)
	}
	want(t, "mark group read", emp.raw("POST", gpath+"/read", "", nil), http.StatusNoContent, "")

	// Search links to the message in its thread and only for readers.
	res = emp.do("GET", "/api/v1/search?q=payday", nil)
	want(t, "search", res, 200, "")
	var hits listOf[struct {
		Channel string `json:"channel"`
		Seq     int64  `json:"seq"`
		Title   string `json:"title"`
		Excerpt string `json:"excerpt"`
	}]
	res.json(t, &hits)
	if len(hits.Items) != 1 || hits.Items[0].Channel != "topic:"+itoa(tp.ID) || hits.Items[0].Seq != 2 || hits.Items[0].Title != "Salaries" {
		t.Fatalf("search %s", res.body)
	}
	for _, c := range []*client{out, admin} {
		res = c.do("GET", "/api/v1/search?q=payday", nil)
		hits.Items = nil
		res.json(t, &hits)
		if len(hits.Items) != 0 {
			t.Fatalf("non-member found %s", res.body)
		}
	}
	want(t, "empty search", emp.do("GET", "/api/v1/search?q=+", nil), 400, chat.EInvalid)

	// Deactivating keeps the settings and hides the topic from everyone but
	// the managers' list.
	res = mm.do("PATCH", tpath, map[string]any{"active": false})
	want(t, "deactivate topic", res, 200, "")
	res.json(t, &tp)
	if tp.Active || tp.Name != "Salaries" || tp.NotifyIntervalSeconds != 3600 {
		t.Fatalf("deactivated %s", res.body)
	}
	want(t, "inactive topic", emp.do("GET", tpath, nil), 404, chat.ENotFound)
	want(t, "inactive history", emp.do("GET", tpath+"/messages", nil), 404, chat.ENotFound)
	want(t, "post to inactive", emp.do("POST", tpath+"/messages", map[string]any{"body": "x"}), 404, chat.ENotFound)
	res = mm.do("GET", gpath+"/topics", nil)
	want(t, "managers' topics", res, 200, "")
	var all struct{ Items []msgrTopic }
	res.json(t, &all)
	if len(all.Items) != 1 || all.Items[0].Active {
		t.Fatalf("managers' topics %s", res.body)
	}
	want(t, "member lists all topics", emp.do("GET", gpath+"/topics", nil), 403, chat.EForbidden)
	want(t, "malformed id", emp.do("GET", "/api/v1/messenger/topics/abc", nil), 404, chat.ENotFound)
}
