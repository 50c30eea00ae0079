package sqlite

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func toGroup(r db.GroupGetRow) (chat.Group, error) {
	members, err := parseIDs(r.MemberIds)
	if err != nil {
		return chat.Group{}, chat.Internal(err, "group members")
	}
	return chat.Group{
		ID:          r.Group.ID,
		TenantID:    r.Group.TenantID,
		Name:        r.Group.Name,
		Description: r.Group.Description,
		Active:      r.Group.Active,
		MemberIDs:   members,
		CreatedAt:   fromMicros(r.Group.CreatedAt),
	}, nil
}

func (s *Store) GroupCreate(ctx context.Context, g *chat.Group) error {
	created := orNow(g.CreatedAt)
	return s.inTx(ctx, func(ts *Store) error {
		id, err := ts.write.GroupInsert(ctx, db.GroupInsertParams{
			TenantID: g.TenantID, Name: g.Name, Description: g.Description, Active: g.Active, CreatedAt: micros(created),
		})
		if err != nil {
			return translate(err, "group")
		}
		if err := ts.groupAddMembers(ctx, g.TenantID, id, g.MemberIDs); err != nil {
			return err
		}
		g.ID, g.CreatedAt = id, created
		return nil
	})
}

func (s *Store) groupAddMembers(ctx context.Context, tenantID, groupID int64, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	err := s.write.GroupMembersInsert(ctx, db.GroupMembersInsertParams{TenantID: tenantID, GroupID: groupID, UserIds: idsJSON(userIDs)})
	return translateRef(err, "group member", "user")
}

func (s *Store) GroupGet(ctx context.Context, tenantID, id int64) (chat.Group, error) {
	r, err := s.read.GroupGet(ctx, db.GroupGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return chat.Group{}, translate(err, "group")
	}
	return toGroup(r)
}

func (s *Store) GroupList(ctx context.Context, tenantID, memberID int64, page chat.Page) ([]chat.Group, error) {
	page = page.Normalize()
	return tryList("groups", func(r db.GroupListRow) (chat.Group, error) {
		return toGroup(db.GroupGetRow(r))
	})(s.read.GroupList(ctx, db.GroupListParams{TenantID: tenantID, MemberID: memberID, After: page.After, Lim: int64(page.Limit)}))
}

func (s *Store) GroupUpdate(ctx context.Context, g chat.Group) error {
	return mustAffect("group")(s.write.GroupUpdate(ctx, db.GroupUpdateParams{
		TenantID: g.TenantID, ID: g.ID, Name: g.Name, Description: g.Description, Active: g.Active,
	}))
}

func (s *Store) GroupSetMembers(ctx context.Context, tenantID, groupID int64, userIDs []int64) error {
	return s.inTx(ctx, func(ts *Store) error {
		if _, err := ts.GroupGet(ctx, tenantID, groupID); err != nil {
			return err
		}
		if err := ts.write.GroupMembersDelete(ctx, db.GroupMembersDeleteParams{TenantID: tenantID, GroupID: groupID}); err != nil {
			return translate(err, "group members")
		}
		return ts.groupAddMembers(ctx, tenantID, groupID, userIDs)
	})
}

func (s *Store) GroupIsMember(ctx context.Context, tenantID, groupID, userID int64) (bool, error) {
	ok, err := s.read.GroupIsMember(ctx, db.GroupIsMemberParams{TenantID: tenantID, GroupID: groupID, UserID: userID})
	return ok, translate(err, "group member")
}

func toTopic(r db.TopicGetRow) chat.Topic {
	return chat.Topic{
		ID:             r.Topic.ID,
		TenantID:       r.Topic.TenantID,
		GroupID:        r.Topic.GroupID,
		Name:           r.Topic.Name,
		EmailNotify:    r.Topic.EmailNotify,
		NotifyInterval: time.Duration(r.Topic.NotifyIntervalSeconds) * time.Second,
		Active:         r.Topic.Active,
		LastSeq:        r.LastSeq,
		LastMessageAt:  fromMicrosPtr(r.Topic.LastMessageAt),
		CreatedAt:      fromMicros(r.Topic.CreatedAt),
	}
}

func (s *Store) TopicCreate(ctx context.Context, t *chat.Topic) error {
	created := orNow(t.CreatedAt)
	id, err := s.write.TopicInsert(ctx, db.TopicInsertParams{
		TenantID:              t.TenantID,
		GroupID:               t.GroupID,
		Name:                  t.Name,
		EmailNotify:           t.EmailNotify,
		NotifyIntervalSeconds: int64(t.NotifyInterval / time.Second),
		Active:                t.Active,
		LastMessageAt:         microsPtr(t.LastMessageAt),
		CreatedAt:             micros(created),
	})
	if err != nil {
		return translateRef(err, "topic", "group")
	}
	t.ID, t.CreatedAt = id, created
	return nil
}

func (s *Store) TopicGet(ctx context.Context, tenantID, id int64) (chat.Topic, error) {
	return one("topic", toTopic)(s.read.TopicGet(ctx, db.TopicGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) TopicListByGroups(ctx context.Context, tenantID int64, groupIDs []int64, activeOnly bool) ([]chat.Topic, error) {
	if len(groupIDs) == 0 {
		return nil, nil
	}
	return list("topics", func(r db.TopicListByGroupsRow) chat.Topic {
		return toTopic(db.TopicGetRow(r))
	})(s.read.TopicListByGroups(ctx, db.TopicListByGroupsParams{TenantID: tenantID, GroupIds: idsJSON(groupIDs), ActiveOnly: activeOnly}))
}

func (s *Store) TopicUpdate(ctx context.Context, t chat.Topic) error {
	return mustAffect("topic")(s.write.TopicUpdate(ctx, db.TopicUpdateParams{
		TenantID:              t.TenantID,
		ID:                    t.ID,
		Name:                  t.Name,
		EmailNotify:           t.EmailNotify,
		NotifyIntervalSeconds: int64(t.NotifyInterval / time.Second),
		Active:                t.Active,
	}))
}

func (s *Store) TopicTouch(ctx context.Context, tenantID, id int64, at time.Time) error {
	v := micros(at)
	return mustAffect("topic")(s.write.TopicTouch(ctx, db.TopicTouchParams{TenantID: tenantID, ID: id, LastMessageAt: &v}))
}

// TopicAccess returns the topic and the facts that decide whether userID
// may read it, in one query.
func (s *Store) TopicAccess(ctx context.Context, tenantID, topicID, userID int64) (chat.Topic, chat.TopicReadAccess, error) {
	r, err := s.read.TopicAccess(ctx, db.TopicAccessParams{TenantID: tenantID, ID: topicID, UserID: userID})
	if err != nil {
		return chat.Topic{}, chat.TopicReadAccess{}, translate(err, "topic")
	}
	return toTopic(db.TopicGetRow{Topic: r.Topic, LastSeq: r.LastSeq}),
		chat.TopicReadAccess{MessengerOn: r.MessengerEnabled != 0, GroupActive: r.GroupActive != 0, Member: r.Member != 0}, nil
}
