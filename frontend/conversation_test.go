package frontend_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"parley/chat"
	"parley/frontend"
)

type convView struct {
	ID          int64                   `json:"id"`
	Status      chat.ConversationStatus `json:"status"`
	StatusLabel string                  `json:"status_label"`
	HandlerID   *int64                  `json:"handler_id"`
	RoleIDs     []int64                 `json:"role_ids"`
	Unread      int64                   `json:"unread"`
	Can         struct {
		Take bool `json:"take"`
	} `json:"can"`
}

type convMessage struct {
	Seq         int64                    `json:"seq"`
	Kind        chat.MessageKind         `json:"kind"`
	AuthorName  string                   `json:"author_name"`
	Body        string                   `json:"body"`
	Change      *chat.ConversationChange `json:"change"`
	Attachments []struct {
		ID       int64  `json:"id"`
		Filename string `json:"filename"`
	} `json:"attachments"`
}

// convEnv is the frontend env with the conversation routes, a message
// handler and a category routed to the handler role.
func convEnv(t *testing.T) (*env, chat.User, int64) {
	t.Helper()
	e := newEnv(t)
	e.srv.EnsureConversationRoutes()
	ctx := t.Context()
	roles, err := e.store.RoleList(ctx, e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	var handlerRole int64
	for _, r := range roles {
		if r.Key == chat.RoleMessageHandler {
			handlerRole = r.ID
		}
	}
	h := chat.User{TenantID: e.tenant.ID, Email: "handler@acme.example", Name: "Hanna Handler", Locale: "en",
		Active: true, RoleIDs: []int64{handlerRole}}
	if err := e.store.UserCreate(ctx, &h, passwordHash(t)); err != nil {
		t.Fatal(err)
	}
	admin := e.client()
	admin.as(e.admin)
	res := admin.do("POST", "/api/v1/categories", map[string]any{"name_en": "Payroll", "name_fi": "Palkat", "role_ids": []int64{handlerRole}})
	want(t, "create category", res, http.StatusCreated, "")
	var cat struct{ ID int64 }
	res.json(t, &cat)
	return e, h, cat.ID
}

func upload(t *testing.T, c *client, filename string, data []byte) response {
	t.Helper()
	return uploadTo(t, c, "POST", "/api/v1/attachments", filename, data)
}

// uploadTo sends data as the "file" part of a multipart form, as the
// browser's uploads do.
func uploadTo(t *testing.T, c *client, method, path, filename string, data []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	return c.raw(method, path, mw.FormDataContentType(), &buf)
}

func TestConversationAPI(t *testing.T) {
	t.Parallel()
	e, handler, catID := convEnv(t)
	emp, hc, other := e.client(), e.client(), e.client()
	emp.as(e.employee)
	hc.as(handler)

	res := emp.do("POST", "/api/v1/categories", map[string]any{"name_en": "Mine", "role_ids": []int64{1}})
	want(t, "employee creates category", res, http.StatusForbidden, chat.EForbidden)
	res = emp.do("GET", "/api/v1/categories", nil)
	want(t, "list categories", res, http.StatusOK, "")

	res = upload(t, emp, "../../payslip.pdf", []byte("%PDF-1.4\nbody"))
	want(t, "upload", res, http.StatusCreated, "")
	var att struct {
		ID       int64  `json:"id"`
		Filename string `json:"filename"`
	}
	res.json(t, &att)
	if att.Filename != "payslip.pdf" {
		t.Fatalf("filename %q", att.Filename)
	}
	res = upload(t, emp, "invoice.pdf", []byte("MZ\x90\x00program"))
	want(t, "renamed executable", res, http.StatusBadRequest, chat.EInvalid)

	res = emp.do("POST", "/api/v1/conversations/preview", map[string]any{"category_id": catID})
	want(t, "preview", res, http.StatusOK, "")
	var preview chat.ReceiverList
	res.json(t, &preview)
	if len(preview.Receivers) < 2 {
		t.Fatalf("preview %+v", preview)
	}

	res = emp.do("POST", "/api/v1/conversations", map[string]any{"category_id": catID, "subject": "Late payslip",
		"body": "Where is it?", "attachment_ids": []int64{att.ID}})
	want(t, "create", res, http.StatusCreated, "")
	var cv convView
	res.json(t, &cv)
	if cv.Status != chat.StatusNew || cv.StatusLabel != "New" || len(cv.RoleIDs) != 1 {
		t.Fatalf("created %+v", cv)
	}
	p := fmt.Sprintf("/api/v1/conversations/%d", cv.ID)

	res = hc.do("GET", p, nil)
	want(t, "handler reads", res, http.StatusOK, "")
	res.json(t, &cv)
	if !cv.Can.Take || cv.Unread != 1 {
		t.Fatalf("handler view %+v", cv)
	}
	want(t, "take", hc.do("POST", p+"/take", nil), http.StatusOK, "")
	want(t, "customer sets status", emp.do("PUT", p+"/status", map[string]string{"status": "solved"}), http.StatusForbidden, chat.EForbidden)
	want(t, "waiting", hc.do("PUT", p+"/status", map[string]string{"status": "waiting"}), http.StatusOK, "")
	want(t, "reply", emp.do("POST", p+"/messages", map[string]any{"body": "Here you go"}), http.StatusCreated, "")
	want(t, "solved", hc.do("PUT", p+"/status", map[string]string{"status": "solved"}), http.StatusOK, "")
	want(t, "bad status", hc.do("PUT", p+"/status", map[string]string{"status": "new"}), http.StatusBadRequest, chat.EInvalid)
	want(t, "emails", hc.do("POST", p+"/external-emails", map[string]any{"emails": []string{"auditor@example.com"}}), http.StatusOK, "")
	want(t, "notify admins", hc.do("POST", p+"/notify-admins", nil), http.StatusOK, "")
	want(t, "unassign", hc.do("PUT", p+"/handler", map[string]any{"user_id": nil}), http.StatusOK, "")

	res = emp.do("GET", p+"/messages", nil)
	want(t, "history", res, http.StatusOK, "")
	var hist struct{ Items []convMessage }
	res.json(t, &hist)
	var changes []string
	for _, m := range hist.Items {
		if m.Kind == chat.MessageStatus {
			if m.Change == nil || m.AuthorName == "" {
				t.Fatalf("status entry without change or author: %+v", m)
			}
			changes = append(changes, string(m.Change.What)+":"+string(m.Change.To))
		}
	}
	wantChanges := "handler: status:open status:waiting status:open status:solved external_emails: notify_admins: handler:"
	if got := strings.Join(reverse(changes), " "); got != wantChanges {
		t.Fatalf("changes = %q, want %q", got, wantChanges)
	}
	first := hist.Items[len(hist.Items)-1]
	if first.Seq != 1 || len(first.Attachments) != 1 {
		t.Fatalf("first message %+v", first)
	}

	// Download: a safe attachment to those who see the conversation, 404
	// to anyone else.
	res = hc.raw("GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), "", nil)
	want(t, "download", res, http.StatusOK, "")
	for k, v := range map[string]string{
		"Content-Type":            "application/pdf",
		"Content-Disposition":     `attachment; filename="payslip.pdf"; filename*=UTF-8''payslip.pdf`,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	} {
		if got := res.header.Get(k); got != v {
			t.Fatalf("%s = %q, want %q", k, got, v)
		}
	}
	if string(res.body) != "%PDF-1.4\nbody" {
		t.Fatalf("body %q", res.body)
	}
	otherUser := chat.User{TenantID: e.tenant.ID, Email: "other@acme.example", Name: "Other", Locale: "en", Active: true,
		RoleIDs: e.employee.RoleIDs}
	if err := e.store.UserCreate(t.Context(), &otherUser, passwordHash(t)); err != nil {
		t.Fatal(err)
	}
	other.as(otherUser)
	want(t, "outsider downloads", other.raw("GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), "", nil), http.StatusNotFound, chat.ENotFound)
	want(t, "outsider reads", other.do("GET", p, nil), http.StatusNotFound, chat.ENotFound)
	want(t, "outsider replies", other.do("POST", p+"/messages", map[string]any{"body": "hi"}), http.StatusNotFound, chat.ENotFound)

	res = emp.do("GET", "/api/v1/conversations?status=solved&mine=1", nil)
	want(t, "list", res, http.StatusOK, "")
	var l struct{ Items []convView }
	res.json(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != cv.ID {
		t.Fatalf("list %+v", l)
	}
	want(t, "bad filter", emp.do("GET", "/api/v1/conversations?status=bogus", nil), http.StatusBadRequest, chat.EInvalid)
	want(t, "retention preview as employee", emp.do("GET", "/api/v1/retention/preview", nil), http.StatusForbidden, chat.EForbidden)
	admin := e.client()
	admin.as(e.admin)
	want(t, "retention preview", admin.do("GET", "/api/v1/retention/preview", nil), http.StatusOK, "")
	want(t, "retention runs", admin.do("GET", "/api/v1/retention/runs", nil), http.StatusOK, "")
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestDraftAPI(t *testing.T) {
	t.Parallel()
	e, _, _ := convEnv(t)
	laptop, phone, other := e.client(), e.client(), e.client()
	laptop.as(e.employee)
	phone.as(e.employee)
	other.as(e.admin)

	res := laptop.do("POST", "/api/v1/drafts", map[string]any{"subject": "Holiday", "body": "I would", "data": `{"category_id":1}`})
	want(t, "save", res, http.StatusCreated, "")
	var d struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
	}
	res.json(t, &d)
	p := fmt.Sprintf("/api/v1/drafts/%d", d.ID)
	want(t, "update", phone.do("PUT", p, map[string]any{"subject": "Holiday", "body": "I would like"}), http.StatusOK, "")
	res = laptop.do("GET", p, nil)
	want(t, "resume", res, http.StatusOK, "")
	res.json(t, &d)
	if d.Body != "I would like" {
		t.Fatalf("resumed %q", d.Body)
	}
	want(t, "other reads", other.do("GET", p, nil), http.StatusNotFound, chat.ENotFound)
	want(t, "other deletes", other.do("DELETE", p, nil), http.StatusNotFound, chat.ENotFound)
	want(t, "discard", laptop.do("DELETE", p, nil), http.StatusNoContent, "")
	want(t, "gone", laptop.do("GET", p, nil), http.StatusNotFound, chat.ENotFound)
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"report.pdf":           `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
		"Palkka äö.pdf":        `attachment; filename="Palkka __.pdf"; filename*=UTF-8''Palkka%20%C3%A4%C3%B6.pdf`,
		"a\"b\\c\r\nX: y.txt":  `attachment; filename="a_b_c__X: y.txt"; filename*=UTF-8''a%22b%5Cc%0D%0AX%3A%20y.txt`,
		"x; filename=evil.exe": `attachment; filename="x; filename=evil.exe"; filename*=UTF-8''x%3B%20filename%3Devil.exe`,
	} {
		got := frontend.ContentDisposition(in)
		if got != want {
			t.Errorf("ContentDisposition(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("header breaks lines: %q", got)
		}
	}
}
