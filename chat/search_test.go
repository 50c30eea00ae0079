package chat_test

import (
	"slices"
	"strings"
	"testing"

	"parley/chat"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a, b := w.a, w.b
		member, outsider := w.as(t, a.member), w.as(t, a.outsider)
		ch := chat.TopicChannel(a.topic.ID)
		long := strings.Repeat("filler words before the point ", 10) + "the Zebracrossing budget is approved " +
			strings.Repeat("and more text after it ", 10)
		hit, err := w.svc.Messages.Publish(member, chat.PublishInput{Channel: ch, Body: long})
		msNoErr(t, "Publish", err)
		gone, err := w.svc.Messages.Publish(member, chat.PublishInput{Channel: ch, Body: "zebracrossing draft, withdrawn"})
		msNoErr(t, "Publish", err)
		_, err = w.svc.Messages.DeleteMessage(member, gone.ID)
		msNoErr(t, "DeleteMessage", err)
		// The same word where the member cannot read: another group's topic,
		// an inactive topic, another tenant, someone else's conversation.
		other := a.NewGroup(t, "other group", a.outsider.ID)
		otherTopic := a.NewTopic(t, other.ID, "other topic")
		a.PostMessage(t, chat.TopicChannel(otherTopic.ID), a.outsider.ID, "zebracrossing in a group the member is not in")
		inactive := a.NewTopic(t, a.group.ID, "inactive topic")
		a.PostMessage(t, chat.TopicChannel(inactive.ID), a.mgr.ID, "zebracrossing in a closed topic")
		inactive.Active = false
		msNoErr(t, "TopicUpdate", w.st.TopicUpdate(t.Context(), inactive))
		b.PostMessage(t, chat.TopicChannel(b.topic.ID), b.member.ID, "zebracrossing in tenant beta")
		cat := a.NewCategory(t, "Payroll", a.Roles[chat.RoleMessageHandler].ID)
		own := a.NewConversation(t, cat, a.member.ID, "My salary")
		ownMsg := a.PostMessage(t, chat.ConversationChannel(own.ID), a.member.ID, "question about zebracrossing")
		theirs := a.NewConversation(t, cat, a.EmployeeB.ID, "Their salary")
		a.PostMessage(t, chat.ConversationChannel(theirs.ID), a.EmployeeB.ID, "private zebracrossing matter")

		hits, err := w.svc.Messages.Search(member, "  ZEBRACROSSING!  ", 0)
		msNoErr(t, "Search", err)
		var got []int64
		for _, h := range hits {
			got = append(got, h.MessageID)
		}
		// Newest first: the conversation message was stored last.
		if !slices.Equal(got, []int64{ownMsg.ID, hit.ID}) {
			t.Fatalf("hits %v, want [%d %d]: %+v", got, ownMsg.ID, hit.ID, hits)
		}
		h := hits[1]
		if h.Channel != ch || h.Seq != hit.Seq || h.Title != a.topic.Name || h.AuthorName != a.member.Name {
			t.Fatalf("hit does not link to its thread: %+v", h)
		}
		if !strings.Contains(h.Excerpt, "Zebracrossing budget") || !strings.HasPrefix(h.Excerpt, "…") ||
			!strings.HasSuffix(h.Excerpt, "…") || len([]rune(h.Excerpt)) > 170 {
			t.Fatalf("excerpt %q", h.Excerpt)
		}
		if hits[0].Title != "My salary" || hits[0].Channel != chat.ConversationChannel(own.ID) {
			t.Fatalf("conversation hit %+v", hits[0])
		}
		// Two words must both match.
		hits, err = w.svc.Messages.Search(member, "zebracrossing approved", 10)
		msNoErr(t, "Search", err)
		if len(hits) != 1 || hits[0].MessageID != hit.ID {
			t.Fatalf("two-word search %+v", hits)
		}
		hits, err = w.svc.Messages.Search(member, "zebracrossing", 1)
		msNoErr(t, "Search", err)
		if len(hits) != 1 {
			t.Fatalf("limit 1 gave %d hits", len(hits))
		}

		// The outsider finds only the group they are in; tenant beta only its own.
		hits, err = w.svc.Messages.Search(outsider, "zebracrossing", 50)
		msNoErr(t, "Search", err)
		if len(hits) != 1 || hits[0].Channel != chat.TopicChannel(otherTopic.ID) {
			t.Fatalf("outsider hits %+v", hits)
		}
		hits, err = w.svc.Messages.Search(w.as(t, b.member), "zebracrossing", 50)
		msNoErr(t, "Search", err)
		if len(hits) != 1 || hits[0].Channel != chat.TopicChannel(b.topic.ID) {
			t.Fatalf("tenant beta hits %+v", hits)
		}
		// Neither an admin nor a handler of another tenant finds anything of A.
		for _, u := range []chat.User{b.Admin, b.Handler} {
			hits, err = w.svc.Messages.Search(w.as(t, u), "zebracrossing", 50)
			msNoErr(t, "Search", err)
			for _, h := range hits {
				if h.Channel.Kind == chat.KindTopic && h.Channel.ID != b.topic.ID || h.Channel.Kind == chat.KindConversation {
					t.Fatalf("%s found %+v", u.Email, h)
				}
			}
		}
		// A receiver of the category sees both conversations but no topic.
		hits, err = w.svc.Messages.Search(w.as(t, a.Handler), "zebracrossing", 50)
		msNoErr(t, "Search", err)
		if len(hits) != 2 || hits[0].Channel.Kind != chat.KindConversation || hits[1].Channel.Kind != chat.KindConversation {
			t.Fatalf("handler hits %+v", hits)
		}

		for _, q := range []string{"", "   ", "!!! ---", strings.Repeat("x", chat.MaxSearchQueryLen+1)} {
			_, err := w.svc.Messages.Search(member, q, 10)
			msWant(t, "Search "+q, err, chat.EInvalid)
		}
		_, err = w.svc.Messages.Search(t.Context(), "zebracrossing", 10)
		msWant(t, "Search without login", err, chat.EUnauthenticated)
	})
}
