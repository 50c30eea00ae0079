package chat_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"parley/chat"
)

func hitIDs(hits []chat.SearchHit) []int64 {
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.MessageID)
	}
	return ids
}

// TestSearchFilters: where (one thread, one kind), who (author) and when
// narrow a search; a thread the caller cannot read finds nothing; bad
// filters are EInvalid.
func TestSearchFilters(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		member, mgr := w.as(t, a.member), w.as(t, a.mgr)
		ch := chat.TopicChannel(a.topic.ID)
		byMember, err := w.svc.Messages.Publish(member, chat.PublishInput{Channel: ch, Body: "quokka one"})
		msNoErr(t, "Publish", err)
		byMgr, err := w.svc.Messages.Publish(mgr, chat.PublishInput{Channel: ch, Body: "quokka two"})
		msNoErr(t, "Publish", err)
		cat := a.NewCategory(t, "Payroll", a.Roles[chat.RoleMessageHandler].ID)
		own := a.NewConversation(t, cat, a.member.ID, "Quokkas")
		inConv := a.PostMessage(t, chat.ConversationChannel(own.ID), a.member.ID, "quokka three")
		other := a.NewGroup(t, "hidden", a.outsider.ID)
		hidden := chat.TopicChannel(a.NewTopic(t, other.ID, "hidden").ID)
		a.PostMessage(t, hidden, a.outsider.ID, "quokka hidden")

		search := func(q chat.SearchQuery) []int64 {
			t.Helper()
			q.Query = "quokka"
			hits, err := w.svc.Messages.SearchIn(member, q)
			msNoErr(t, "SearchIn", err)
			return hitIDs(hits)
		}
		for _, tc := range []struct {
			name string
			q    chat.SearchQuery
			want []int64
		}{
			{"everything", chat.SearchQuery{}, []int64{inConv.ID, byMgr.ID, byMember.ID}},
			{"topics", chat.SearchQuery{Kind: chat.KindTopic}, []int64{byMgr.ID, byMember.ID}},
			{"conversations", chat.SearchQuery{Kind: chat.KindConversation}, []int64{inConv.ID}},
			{"one thread", chat.SearchQuery{Channel: &ch}, []int64{byMgr.ID, byMember.ID}},
			{"a thread not readable", chat.SearchQuery{Channel: &hidden}, nil},
			{"by author", chat.SearchQuery{AuthorID: a.mgr.ID}, []int64{byMgr.ID}},
			{"since later", chat.SearchQuery{After: time.Now().Add(time.Hour)}, nil},
			{"before now+1h", chat.SearchQuery{Before: time.Now().Add(time.Hour), Kind: chat.KindTopic}, []int64{byMgr.ID, byMember.ID}},
		} {
			if got := search(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: hits %v, want %v", tc.name, got, tc.want)
			}
		}
		now := time.Now()
		user := chat.UserChannel(a.member.ID)
		for i, q := range []chat.SearchQuery{
			{Kind: "user"}, {Channel: &user}, {After: now, Before: now}, {After: now.Add(time.Hour), Before: now},
		} {
			q.Query = "quokka"
			_, err := w.svc.Messages.SearchIn(member, q)
			msWant(t, fmt.Sprint("bad filter ", i), err, chat.EInvalid)
		}
	})
}

// TestHistoryAround: the page centred on a message, newest first, with
// older and newer neighbours; a message of another thread is not found.
func TestHistoryAround(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		member := w.as(t, a.member)
		ch := chat.TopicChannel(a.topic.ID)
		var ms []chat.Message
		for i := range 30 {
			m, err := w.svc.Messages.Publish(member, chat.PublishInput{Channel: ch, Body: fmt.Sprint("message ", i)})
			msNoErr(t, "Publish", err)
			ms = append(ms, m)
		}
		_, err := w.svc.Messages.EditMessage(member, ms[12].ID, "edited")
		msNoErr(t, "EditMessage", err)
		got, err := w.svc.Messages.HistoryAround(member, ch, ms[10].ID, 10)
		msNoErr(t, "HistoryAround", err)
		var want []int64
		for i := 14; i >= 5; i-- {
			want = append(want, ms[i].ID)
		}
		var ids []int64
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("around = %v, want %v", ids, want)
		}
		if got[2].Body != "edited" {
			t.Fatalf("around shows %q, not the edited body", got[2].Body)
		}
		other := a.NewTopic(t, a.group.ID, "other")
		_, err = w.svc.Messages.HistoryAround(member, chat.TopicChannel(other.ID), ms[10].ID, 10)
		msWant(t, "another thread's message", err, chat.ENotFound)
		_, err = w.svc.Messages.HistoryAround(w.as(t, a.outsider), ch, ms[10].ID, 10)
		msWant(t, "outsider", err, chat.ENotFound)
	})
}
