package chat

import "context"

// messengerOn reports whether the tenant has the messenger enabled; when
// off, nothing of the messenger exists for its users.
func (s *MessengerService) messengerOn(ctx context.Context, st Store, tenantID int64) (bool, error) {
	t, err := st.TenantGet(ctx, tenantID)
	if err != nil {
		return false, err
	}
	return t.Settings.MessengerEnabled, nil
}

// TopicReadAccess is what decides whether a user may read a topic, besides
// the topic's own state. Store.TopicAccess returns it.
type TopicReadAccess struct {
	MessengerOn bool // the tenant has the messenger enabled
	GroupActive bool // the topic's group is active
	Member      bool // the user is a member of the group
}

// Allows is the topic read rule: messenger on, topic and group active, the
// user a member of the group (membership is the only rule in the
// messenger; companies do not count). Posting follows reading. It is the
// one statement of the rule in Go; PostgreSQL's TopicPostBatch filters by
// the same predicate in SQL, and storetest's topic access table holds the
// two to the same answers.
func (a TopicReadAccess) Allows(t Topic) bool {
	return a.MessengerOn && t.Active && a.GroupActive && a.Member
}

// topicForRead returns the topic when p may read it; anything else is
// ENotFound.
func (s *core) topicForRead(ctx context.Context, st Store, p *Principal, id int64) (Topic, error) {
	t, acc, err := st.TopicAccess(ctx, p.TenantID, id, p.UserID)
	if IsCode(err, ENotFound) || (err == nil && !acc.Allows(t)) {
		return Topic{}, NotFound("topic")
	}
	if err != nil {
		return Topic{}, err
	}
	return t, nil
}

// checkTopicPost: every member who can read an active topic may post.
func (s *MessageService) checkTopicPost(ctx context.Context, st Store, p *Principal, t Topic) error {
	return nil
}

// topicPosted records the message time and queues notification work when
// the topic emails or the message mentions someone.
func (s *MessageService) topicPosted(ctx context.Context, st Store, p *Principal, t Topic, m *Message) ([]Event, error) {
	if err := st.TopicTouch(ctx, p.TenantID, t.ID, m.CreatedAt); err != nil {
		return nil, err
	}
	if !t.EmailNotify && len(m.Mentions) == 0 {
		return nil, nil
	}
	j := TopicJob(t, *m, topicJobReason(t))
	return nil, st.NotifyJobEnqueue(ctx, &j)
}

// TopicJob is the notification work a stored message m of topic t queues
// for reason: due at once, with the topic's previous message time, which
// the notifier's interval rule compares with. Store.TopicPostBatch queues
// it (with ReasonTopicMessage) when the topic emails.
func TopicJob(t Topic, m Message, reason NotifyReason) NotifyJob {
	return NotifyJob{TenantID: m.TenantID, Reason: reason, Channel: m.Channel, MessageID: m.ID,
		PrevMessageAt: t.LastMessageAt, DueAt: m.CreatedAt}
}

// topicJobReason is why a topic message queues notification work: the
// topic's email, or else (in a quiet topic) its mentions.
func topicJobReason(t Topic) NotifyReason {
	if t.EmailNotify {
		return ReasonTopicMessage
	}
	return ReasonMention
}
