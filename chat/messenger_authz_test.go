package chat_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/chat"
)

// The messenger authorization matrix: every role, as a member of the group
// or not, of the group's tenant or another, against every messenger action
// on tenant A's group G and its topic T.
//
// Cells: "+" allowed, "N" answers as nonexistent (ENotFound, or absent from
// a list), "F" forbidden (EForbidden: the caller sees the thing but may
// not do this). Columns, for tenant A and for tenant B alike:
//
//	employee, manager, message handler, tenant admin, messenger manager;
//	each as a member ("in") of its tenant's group, then not ("out").
//
// Tenant B's members belong to B's own group; to them A's group and topic
// do not exist.
var msMatrix = []struct {
	same   string // tenant A's actors
	other  string // tenant B's actors
	action string
}{
	//  emp mgr hdl adm msg     emp mgr hdl adm msg   (each: in out)
	{"+N +N +N ++ +N", "NN NN NN NN NN", "list groups"},
	{"+N +N +N ++ +N", "NN NN NN NN NN", "read group"},
	{"+N +N +N ++ +N", "NN NN NN NN NN", "read members"},
	{"FF FF FF ++ FF", "FF FF FF ++ FF", "create group"}, // B's admin creates in B
	{"FN FN FN ++ FN", "NN NN NN NN NN", "edit group"},
	{"FN FN FN ++ FN", "NN NN NN NN NN", "set members"},
	{"FN FN FN FF +N", "NN NN NN NN NN", "create topic"},
	{"FN FN FN FF +N", "NN NN NN NN NN", "list all topics"}, // managers' view, inactive included
	{"FN FN FN FN +N", "NN NN NN NN NN", "edit topic"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "list topics"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "read topic"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "read history"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "replay events"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "post"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "edit own"},
	{"FN FN FN FN FN", "NN NN NN NN NN", "edit other's"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "delete own"},
	{"FN FN FN +N FN", "NN NN NN NN NN", "delete other's"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "subscribe"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "typing"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "search"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "mark read"},
	{"+N +N +N +N +N", "NN NN NN NN NN", "mark group read"},
}

// msRoles are the matrix's roles in column order, with the roles a user of
// that kind holds.
var msRoles = []struct {
	name string
	keys []chat.RoleKey
}{
	{"employee", []chat.RoleKey{chat.RoleEmployee}},
	{"manager", []chat.RoleKey{chat.RoleManager, chat.RoleEmployee}},
	{"handler", []chat.RoleKey{chat.RoleMessageHandler}},
	{"tenant-admin", []chat.RoleKey{chat.RoleTenantAdmin, chat.RoleEmployee}},
	{"messenger-manager", []chat.RoleKey{chat.RoleMessengerManager, chat.RoleEmployee}},
}

type msActor struct {
	name   string
	user   chat.User
	tenant *msTenant
	ctx    context.Context
}

// msMatrixWorld is what the matrix's actions act on.
type msMatrixWorld struct {
	*msWorld
	group  chat.Group
	topic  chat.Topic
	poster chat.User // a member whose messages are "other's"
}

const msNeedle = "matrixneedle"

func TestMessengerAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		mw := &msMatrixWorld{msWorld: w}
		var actors [2][]msActor // [0] tenant A, [1] tenant B, in column order
		for i, mt := range []*msTenant{w.a, w.b} {
			members := []int64{}
			for _, r := range msRoles {
				var roleIDs []int64
				for _, k := range r.keys {
					roleIDs = append(roleIDs, mt.Roles[k].ID)
				}
				for _, in := range []bool{true, false} {
					where := "out"
					if in {
						where = "in"
					}
					u := mt.NewUser(t, fmt.Sprintf("%s-%s", r.name, where), []int64{mt.CompanyA.ID}, roleIDs)
					if in {
						members = append(members, u.ID)
					}
					actors[i] = append(actors[i], msActor{name: fmt.Sprintf("%s/%s-%s", mt.Tenant.Name, r.name, where), user: u, tenant: mt})
				}
			}
			poster := mt.NewUser(t, "poster", nil, []int64{mt.Roles[chat.RoleEmployee].ID})
			members = append(members, poster.ID)
			g := mt.NewGroup(t, "matrix group", members...)
			tp := mt.NewTopic(t, g.ID, "matrix topic")
			if i == 0 {
				mw.group, mw.topic, mw.poster = g, tp, poster
				mt.PostMessage(t, chat.TopicChannel(tp.ID), poster.ID, "the "+msNeedle+" is here")
			} else {
				// The same word in B's own topic must not leak into A's results
				// nor A's into B's.
				mt.PostMessage(t, chat.TopicChannel(tp.ID), poster.ID, "another "+msNeedle)
			}
		}
		for i := range actors {
			for j := range actors[i] {
				actors[i][j].ctx = w.as(t, actors[i][j].user)
			}
		}
		w.pub.take()

		for _, row := range msMatrix {
			want := [2]string{strings.ReplaceAll(row.same, " ", ""), strings.ReplaceAll(row.other, " ", "")}
			for i := range actors {
				if len(want[i]) != len(actors[i]) {
					t.Fatalf("matrix row %q has %d cells, want %d", row.action, len(want[i]), len(actors[i]))
				}
				for j, a := range actors[i] {
					t.Run(row.action+"/"+a.name, func(t *testing.T) {
						got := mw.do(t, row.action, a)
						if got != want[i][j] {
							t.Errorf("%s by %s: got %q, want %q", row.action, a.name, got, want[i][j])
						}
					})
				}
			}
		}
	})
}

// cell turns an outcome into a matrix cell.
func msCell(t *testing.T, err error) byte {
	t.Helper()
	switch chat.ErrorCode(err) {
	case "":
		return '+'
	case chat.ENotFound:
		return 'N'
	case chat.EForbidden:
		return 'F'
	}
	t.Fatalf("unexpected error: %v", err)
	return 0
}

// listed is '+' when a list holds the thing and 'N' when it does not.
func msListed(t *testing.T, err error, found bool) byte {
	t.Helper()
	if err != nil {
		return msCell(t, err)
	}
	if found {
		return '+'
	}
	return 'N'
}

// do performs one action as a and returns its cell. Actions that change
// something leave G and T as the other cells need them.
func (w *msMatrixWorld) do(t *testing.T, action string, a msActor) byte {
	ctx, svc := a.ctx, w.svc
	a1 := w.a // the tenant whose group and topic are acted on
	ch := chat.TopicChannel(w.topic.ID)
	// message makes a fresh message in T by author, as if posted earlier.
	message := func(author int64) chat.Message {
		return a1.PostMessage(t, ch, author, "a message by "+fmt.Sprint(author))
	}
	switch action {
	case "list groups":
		gs, err := svc.Messenger.Groups(ctx, chat.Page{})
		return msListed(t, err, slices.ContainsFunc(gs, func(g chat.Group) bool { return g.ID == w.group.ID }))
	case "read group":
		g, err := svc.Messenger.Group(ctx, w.group.ID)
		if err == nil && g.ID != w.group.ID {
			t.Fatalf("Group returned %+v", g)
		}
		return msCell(t, err)
	case "read members":
		_, err := svc.Messenger.GroupMembers(ctx, w.group.ID)
		return msCell(t, err)
	case "create group":
		g, err := svc.Messenger.CreateGroup(ctx, chat.GroupInput{Name: "made by " + a.name, Active: true})
		if err == nil && g.TenantID != a.user.TenantID {
			t.Fatalf("group created in tenant %d by a user of %d", g.TenantID, a.user.TenantID)
		}
		return msCell(t, err)
	case "edit group":
		_, err := svc.Messenger.UpdateGroup(ctx, w.group.ID, chat.GroupInput{Name: w.group.Name, Description: "edited by " + a.name, Active: true})
		return msCell(t, err)
	case "set members":
		_, err := svc.Messenger.SetGroupMembers(ctx, w.group.ID, w.group.MemberIDs)
		return msCell(t, err)
	case "create topic":
		_, err := svc.Messenger.CreateTopic(ctx, w.group.ID, chat.TopicInput{Name: "by " + a.name, Active: true})
		return msCell(t, err)
	case "list all topics":
		_, err := svc.Messenger.GroupTopics(ctx, w.group.ID)
		return msCell(t, err)
	case "edit topic":
		_, err := svc.Messenger.UpdateTopic(ctx, w.topic.ID, chat.TopicInput{Name: w.topic.Name, EmailNotify: true,
			NotifyInterval: time.Hour, Active: true})
		return msCell(t, err)
	case "list topics":
		gvs, err := svc.Messenger.Topics(ctx)
		return msListed(t, err, slices.Contains(topicIDs(gvs), w.topic.ID))
	case "read topic":
		_, err := svc.Messenger.Topic(ctx, w.topic.ID)
		return msCell(t, err)
	case "read history":
		_, err := svc.Messages.History(ctx, ch, 0, 10)
		return msCell(t, err)
	case "replay events":
		_, _, err := svc.Messages.Events(ctx, ch, 0, 10)
		return msCell(t, err)
	case "post":
		_, err := svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "posted by " + a.name})
		return msCell(t, err)
	case "edit own":
		_, err := svc.Messages.EditMessage(ctx, message(a.user.ID).ID, "edited")
		return msCell(t, err)
	case "edit other's":
		_, err := svc.Messages.EditMessage(ctx, message(w.poster.ID).ID, "edited")
		return msCell(t, err)
	case "delete own":
		_, err := svc.Messages.DeleteMessage(ctx, message(a.user.ID).ID)
		return msCell(t, err)
	case "delete other's":
		_, err := svc.Messages.DeleteMessage(ctx, message(w.poster.ID).ID)
		return msCell(t, err)
	case "subscribe":
		return msCell(t, svc.Messages.Authorize(ctx, ch))
	case "typing":
		return msCell(t, svc.Messages.Typing(ctx, ch))
	case "search":
		hits, err := svc.Messages.Search(ctx, msNeedle, 50)
		found := false
		for _, h := range hits {
			if h.Channel == ch {
				found = true
			} else if h.Channel.Kind == chat.KindTopic {
				// Any other topic hit must be the caller's own tenant's.
				if _, err := w.st.TopicGet(t.Context(), a.user.TenantID, h.Channel.ID); err != nil {
					t.Fatalf("search returned %s outside the caller's tenant", h.Channel)
				}
			}
		}
		return msListed(t, err, found)
	case "mark read":
		_, err := svc.Messenger.MarkTopicRead(ctx, w.topic.ID, 0)
		return msCell(t, err)
	case "mark group read":
		return msCell(t, svc.Messenger.MarkGroupRead(ctx, w.group.ID))
	}
	t.Fatalf("unknown action %q", action)
	return 0
}
