package chat_test

import (
	"strings"
	"testing"

	"parley/chat"
)

// A retry is recognised by its client id even when it could not be stored
// again (its attachments are claimed), a client id used in another channel
// is a conflict that takes no seq there, and a topic post records the
// topic's message time (folded into one statement on PostgreSQL).
func TestPublishRetrySemantics(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		ctx := w.as(t, w.member)
		att, err := w.svc.Messages.UploadAttachment(ctx, "a.txt", strings.NewReader("data"))
		coreNoErr(t, err, "upload")
		in := chat.PublishInput{Channel: ch, Body: "with file", ClientMsgID: "r-1", AttachmentIDs: []int64{att.ID}}
		m1, err := w.svc.Messages.Publish(ctx, in)
		coreNoErr(t, err, "publish")
		if m1.Seq != 1 || len(m1.Attachments) != 1 {
			t.Fatalf("first message = %+v", m1)
		}
		again, err := w.svc.Messages.Publish(ctx, in)
		coreNoErr(t, err, "retry")
		if again.ID != m1.ID || again.Seq != 1 || len(again.Attachments) != 1 || again.AuthorName != w.member.Name {
			t.Fatalf("retry = %+v, want the original %+v", again, m1)
		}
		// Published again as stored (the first attempt may have died
		// before publishing): same seq, same message, its attachment.
		if evs := w.pub.of(chat.EventMessageNew); len(evs) != 2 || evs[1].Seq != 1 || evs[1].Data.(chat.Message).ID != m1.ID ||
			len(evs[1].Data.(chat.Message).Attachments) != 1 {
			t.Fatalf("retry: published %+v, want the original event twice", evs)
		}

		tp, err := w.f.Store.TopicGet(t.Context(), w.f.Tenant.ID, w.topic.ID)
		coreNoErr(t, err, "topic")
		if tp.LastMessageAt == nil || !tp.LastMessageAt.Equal(m1.CreatedAt) {
			t.Fatalf("topic last message at %v, want %v", tp.LastMessageAt, m1.CreatedAt)
		}

		other := w.f.NewTopic(t, w.topic.GroupID, "second topic")
		otherCh := chat.TopicChannel(other.ID)
		_, err = w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: otherCh, Body: "x", ClientMsgID: "r-1"})
		if !chat.IsCode(err, chat.EConflict) {
			t.Fatalf("client id of another channel: got %v, want conflict", err)
		}
		m2, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: otherCh, Body: "y", ClientMsgID: "r-2"})
		coreNoErr(t, err, "publish in the second topic")
		if m2.Seq != 1 {
			t.Fatalf("the conflict took a seq: next seq %d", m2.Seq)
		}
	})
}
