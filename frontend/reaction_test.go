package frontend_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"parley/chat"
)

// TestReactionsAPI: adding and removing a reaction over HTTP answers the
// message with its reactions; an emoji outside the set is 400; a message
// of a thread the caller cannot read is 404.
func TestReactionsAPI(t *testing.T) {
	t.Parallel()
	e, mgr, outsider := msgrEnv(t)
	admin, emp, out, mm := e.client(), e.client(), e.client(), e.client()
	admin.as(e.admin)
	mm.as(mgr)
	emp.as(e.employee)
	out.as(outsider)
	want(t, "enable", admin.do("PATCH", "/api/v1/tenants/"+itoa(e.tenant.ID),
		map[string]any{"settings": map[string]any{"messenger_enabled": true}}), 200, "")
	var g struct{ ID int64 }
	admin.do("POST", "/api/v1/messenger/groups", map[string]any{"name": "Lunch"}).json(t, &g)
	want(t, "members", admin.do("PUT", "/api/v1/messenger/groups/"+itoa(g.ID)+"/members", map[string]any{"user_ids": []int64{e.employee.ID, mgr.ID}}), 200, "")
	var tp struct{ ID int64 }
	res := mm.do("POST", "/api/v1/messenger/groups/"+itoa(g.ID)+"/topics", map[string]any{"name": "Fridays"})
	want(t, "topic", res, 201, "")
	res.json(t, &tp)
	var m struct{ ID int64 }
	res = emp.do("POST", "/api/v1/messenger/topics/"+itoa(tp.ID)+"/messages", map[string]any{"body": "pizza?"})
	want(t, "post", res, 201, "")
	res.json(t, &m)
	path := "/api/v1/messages/" + itoa(m.ID) + "/reactions"

	res = emp.do("POST", path, map[string]any{"emoji": "🎉"})
	want(t, "react", res, 200, "")
	var got struct {
		ID        int64 `json:"id"`
		Reactions []struct {
			Emoji string `json:"emoji"`
			Count int    `json:"count"`
			Users []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"users"`
		} `json:"reactions"`
	}
	res.json(t, &got)
	if got.ID != m.ID || len(got.Reactions) != 1 || got.Reactions[0].Emoji != "🎉" || got.Reactions[0].Count != 1 ||
		got.Reactions[0].Users[0].Name != "Emp" {
		t.Fatalf("after react: %s", res.body)
	}
	want(t, "emoji outside the set", emp.do("POST", path, map[string]any{"emoji": "<script>"}), 400, chat.EInvalid)
	want(t, "outsider", out.do("POST", path, map[string]any{"emoji": "🎉"}), 404, chat.ENotFound)
	want(t, "outsider removes", out.do("DELETE", path+"/%F0%9F%8E%89", nil), 404, chat.ENotFound)
	res = emp.do("DELETE", path+"/%F0%9F%8E%89", nil)
	want(t, "unreact", res, 200, "")
	if strings.Contains(string(res.body), "🎉") {
		t.Fatalf("after unreact: %s", res.body)
	}
	res = emp.do("GET", "/api/v1/reactions", nil)
	want(t, "reaction set", res, 200, "")
	var set struct {
		Emoji []string `json:"emoji"`
	}
	res.json(t, &set)
	if !slices.Equal(set.Emoji, chat.ReactionEmoji) {
		t.Fatalf("reaction set %s", res.body)
	}
}

// TestUserNamesAPI: ?ids= answers the names the caller may see, leaves the
// others out, and bounds the question.
func TestUserNamesAPI(t *testing.T) {
	t.Parallel()
	e, mgr, _ := msgrEnv(t)
	emp := e.client()
	emp.as(e.employee)
	res := emp.do("GET", "/api/v1/users/names?ids="+itoa(mgr.ID)+","+itoa(e.employee.ID)+",999999", nil)
	want(t, "names", res, 200, "")
	var l listOf[person]
	res.json(t, &l)
	if len(l.Items) != 2 || l.Items[0].ID != mgr.ID || l.Items[0].Name != mgr.Name || l.Items[1].Name != "Emp" {
		t.Fatalf("names %s", res.body)
	}
	want(t, "bad ids", emp.do("GET", "/api/v1/users/names?ids=x", nil), 400, chat.EInvalid)
	many := strings.Repeat("1,", 200) + "1"
	want(t, "too many", emp.do("GET", "/api/v1/users/names?ids="+many, nil), 400, chat.EInvalid)
	want(t, "anonymous", e.client().do("GET", "/api/v1/users/names?ids=1", nil), 401, chat.EUnauthenticated)
}

// TestReactionEmojiMatchServer: the browser's picker offers exactly the
// server's set, in its order.
func TestReactionEmojiMatchServer(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("web/static/js/reactions.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export const EMOJI = \[([^\]]*)\]`).FindSubmatch(src)
	if m == nil {
		t.Fatal("reactions.js: no EMOJI list")
	}
	var js []string
	for _, q := range regexp.MustCompile(`'([^']*)'`).FindAllSubmatch(m[1], -1) {
		js = append(js, string(q[1]))
	}
	if !slices.Equal(js, chat.ReactionEmoji) {
		t.Fatalf("reactions.js EMOJI = %q, chat.ReactionEmoji = %q", js, chat.ReactionEmoji)
	}
}
