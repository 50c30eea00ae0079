package postgres

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

func (s *Store) GroupCreate(ctx context.Context, g *chat.Group) error {
	createdAt := orNow(g.CreatedAt)
	id, err := s.q.GroupInsert(ctx, db.GroupInsertParams{
		TenantID: g.TenantID, Name: g.Name, Description: g.Description, Active: g.Active, CreatedAt: createdAt,
	})
	if err != nil {
		return translate(err, "group")
	}
	g.ID, g.CreatedAt = id, createdAt
	return nil
}

func (s *Store) GroupGet(ctx context.Context, tenantID, id int64) (chat.Group, error) {
	return one("group", toGroup)(s.q.GroupGet(ctx, db.GroupGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) GroupList(ctx context.Context, tenantID, memberID int64, p chat.Page) ([]chat.Group, error) {
	after, lim := page(p)
	return list("groups", func(r db.GroupListRow) chat.Group {
		return toGroup(db.GroupGetRow(r))
	})(s.q.GroupList(ctx, db.GroupListParams{TenantID: tenantID, After: after, MemberID: memberID, Lim: lim}))
}

func (s *Store) GroupUpdate(ctx context.Context, g chat.Group) error {
	n, err := s.q.GroupUpdate(ctx, db.GroupUpdateParams{
		TenantID: g.TenantID, ID: g.ID, Name: g.Name, Description: g.Description, Active: g.Active,
	})
	return mustAffect("group")(n, err)
}

// GroupSetMembers replaces the members under the group's row lock, so two
// concurrent replacements end in one of the two lists, not a mix.
func (s *Store) GroupSetMembers(ctx context.Context, tenantID, groupID int64, userIDs []int64) error {
	return s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.q.GroupLock(ctx, db.GroupLockParams{TenantID: tenantID, ID: groupID}); err != nil {
			return translate(err, "group")
		}
		if err := tx.q.GroupMembersDelete(ctx, db.GroupMembersDeleteParams{TenantID: tenantID, GroupID: groupID}); err != nil {
			return translate(err, "group members")
		}
		if len(userIDs) == 0 {
			return nil
		}
		err := tx.q.GroupMembersInsert(ctx, db.GroupMembersInsertParams{TenantID: tenantID, GroupID: groupID, UserIds: userIDs})
		return translateRef(err, "group member", "user")
	})
}

func (s *Store) GroupIsMember(ctx context.Context, tenantID, groupID, userID int64) (bool, error) {
	ok, err := s.q.GroupIsMember(ctx, db.GroupIsMemberParams{TenantID: tenantID, GroupID: groupID, UserID: userID})
	return ok, translate(err, "group member")
}

func toGroup(r db.GroupGetRow) chat.Group {
	return chat.Group{
		ID:          r.ID,
		TenantID:    r.TenantID,
		Name:        r.Name,
		Description: r.Description,
		Active:      r.Active,
		MemberIDs:   nilIfEmpty(r.MemberIds),
		CreatedAt:   r.CreatedAt,
	}
}

func (s *Store) TopicCreate(ctx context.Context, t *chat.Topic) error {
	createdAt := orNow(t.CreatedAt)
	id, err := s.q.TopicInsert(ctx, db.TopicInsertParams{
		TenantID:              t.TenantID,
		GroupID:               t.GroupID,
		Name:                  t.Name,
		EmailNotify:           t.EmailNotify,
		NotifyIntervalSeconds: int64(t.NotifyInterval / time.Second),
		Active:                t.Active,
		LastMessageAt:         t.LastMessageAt,
		CreatedAt:             createdAt,
	})
	if err != nil {
		return translateRef(err, "topic", "group")
	}
	t.ID, t.CreatedAt = id, createdAt
	return nil
}

func (s *Store) TopicGet(ctx context.Context, tenantID, id int64) (chat.Topic, error) {
	return one("topic", toTopic)(s.q.TopicGet(ctx, db.TopicGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) TopicListByGroups(ctx context.Context, tenantID int64, groupIDs []int64, activeOnly bool) ([]chat.Topic, error) {
	if len(groupIDs) == 0 {
		return nil, nil
	}
	return list("topics", func(r db.TopicListByGroupsRow) chat.Topic {
		return toTopic(db.TopicGetRow(r))
	})(s.q.TopicListByGroups(ctx, db.TopicListByGroupsParams{TenantID: tenantID, GroupIds: groupIDs, ActiveOnly: activeOnly}))
}

func (s *Store) TopicUpdate(ctx context.Context, t chat.Topic) error {
	n, err := s.q.TopicUpdate(ctx, db.TopicUpdateParams{
		TenantID:              t.TenantID,
		ID:                    t.ID,
		Name:                  t.Name,
		EmailNotify:           t.EmailNotify,
		NotifyIntervalSeconds: int64(t.NotifyInterval / time.Second),
		Active:                t.Active,
	})
	return mustAffect("topic")(n, err)
}

func (s *Store) TopicTouch(ctx context.Context, tenantID, id int64, at time.Time) error {
	n, err := s.q.TopicTouch(ctx, db.TopicTouchParams{TenantID: tenantID, ID: id, LastMessageAt: &at})
	return mustAffect("topic")(n, err)
}

func toTopic(r db.TopicGetRow) chat.Topic {
	return chat.Topic{
		ID:             r.ID,
		TenantID:       r.TenantID,
		GroupID:        r.GroupID,
		Name:           r.Name,
		EmailNotify:    r.EmailNotify,
		NotifyInterval: time.Duration(r.NotifyIntervalSeconds) * time.Second,
		Active:         r.Active,
		LastSeq:        r.LastSeq,
		LastMessageAt:  r.LastMessageAt,
		CreatedAt:      r.CreatedAt,
	}
}

// TopicAccess returns the topic and what decides whether userID may read
// it, in one query (chat's publish path asks it for every message).
func (s *Store) TopicAccess(ctx context.Context, tenantID, topicID, userID int64) (chat.Topic, chat.TopicReadAccess, error) {
	r, err := s.q.TopicAccess(ctx, db.TopicAccessParams{TenantID: tenantID, ID: topicID, UserID: userID})
	if err != nil {
		return chat.Topic{}, chat.TopicReadAccess{}, translate(err, "topic")
	}
	t := toTopic(db.TopicGetRow{ID: r.ID, TenantID: r.TenantID, GroupID: r.GroupID, Name: r.Name,
		EmailNotify: r.EmailNotify, NotifyIntervalSeconds: r.NotifyIntervalSeconds, Active: r.Active,
		LastMessageAt: r.LastMessageAt, CreatedAt: r.CreatedAt, LastSeq: r.LastSeq})
	return t, chat.TopicReadAccess{MessengerOn: r.MessengerEnabled, GroupActive: r.GroupActive, Member: r.Member}, nil
}
