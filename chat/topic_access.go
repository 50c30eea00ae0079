package chat

import "context"

// messengerOn reports whether the tenant has the messenger enabled; when
// off, nothing of the messenger exists for its users.
func (s *Service) messengerOn(ctx context.Context, st Store, tenantID int64) (bool, error) {
	t, err := st.TenantGet(ctx, tenantID)
	if err != nil {
		return false, err
	}
	return t.Settings.MessengerEnabled, nil
}

// TopicReadAccess is what decides whether a user may read a topic, besides
// the topic's own state.
type TopicReadAccess struct {
	MessengerOn bool // the tenant has the messenger enabled
	GroupActive bool // the topic's group is active
	Member      bool // the user is a member of the group
}

// topicAccessStore is a Store that answers topicForRead in one query
// (PostgreSQL) instead of three (tenant, topic, group with its members):
// it runs for every published message.
type topicAccessStore interface {
	TopicAccess(ctx context.Context, tenantID, topicID, userID int64) (Topic, TopicReadAccess, error)
}

// topicForRead returns the topic when p may read it: messenger on, topic
// and group active, p a member of the group. Anything else is ENotFound.
func (s *Service) topicForRead(ctx context.Context, st Store, p *Principal, id int64) (Topic, error) {
	if ta, ok := st.(topicAccessStore); ok {
		t, acc, err := ta.TopicAccess(ctx, p.TenantID, id, p.UserID)
		if IsCode(err, ENotFound) || (err == nil && !(acc.MessengerOn && t.Active && acc.GroupActive && acc.Member)) {
			return Topic{}, NotFound("topic")
		}
		if err != nil {
			return Topic{}, err
		}
		return t, nil
	}
	on, err := s.messengerOn(ctx, st, p.TenantID)
	if err != nil {
		return Topic{}, err
	}
	if !on {
		return Topic{}, NotFound("topic")
	}
	t, err := st.TopicGet(ctx, p.TenantID, id)
	if err != nil {
		return Topic{}, err
	}
	if !t.Active {
		return Topic{}, NotFound("topic")
	}
	// The group's member list comes with it; membership is the only rule.
	if _, err := groupForMember(ctx, st, p, t.GroupID); IsCode(err, ENotFound) {
		return Topic{}, NotFound("topic")
	} else if err != nil {
		return Topic{}, err
	}
	return t, nil
}

// checkTopicPost: every member who can read an active topic may post.
func (s *Service) checkTopicPost(ctx context.Context, st Store, p *Principal, t Topic) error {
	return nil
}

// topicPosted records the message time and queues notification work when
// the topic emails or the message mentions someone.
func (s *Service) topicPosted(ctx context.Context, st Store, p *Principal, t Topic, m *Message, touched bool) ([]Event, error) {
	if !touched {
		if err := st.TopicTouch(ctx, p.TenantID, t.ID, m.CreatedAt); err != nil {
			return nil, err
		}
	}
	if !t.EmailNotify && len(m.Mentions) == 0 {
		return nil, nil
	}
	reason := ReasonTopicMessage
	if !t.EmailNotify {
		reason = ReasonMention
	}
	return nil, st.NotifyJobEnqueue(ctx, &NotifyJob{TenantID: p.TenantID, Reason: reason, Channel: m.Channel,
		MessageID: m.ID, PrevMessageAt: t.LastMessageAt, DueAt: m.CreatedAt})
}
