package sqlite

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
	"parley/storage/sqlrows"
)

func toCategory(r db.CategoryGetRow) (chat.Category, error) {
	roles, err := parseIDs(r.RoleIds)
	if err != nil {
		return chat.Category{}, chat.Internal(err, "category roles")
	}
	return chat.Category{
		ID:            r.Category.ID,
		TenantID:      r.Category.TenantID,
		NameEN:        r.Category.NameEn,
		NameFI:        r.Category.NameFi,
		RoleIDs:       roles,
		RetentionDays: intPtr(r.Category.RetentionDays),
		Active:        r.Category.Active,
	}, nil
}

func (s *Store) categorySetRoles(ctx context.Context, tenantID, categoryID int64, roleIDs []int64) error {
	if err := s.write.CategoryRolesDelete(ctx, db.CategoryRolesDeleteParams{TenantID: tenantID, CategoryID: categoryID}); err != nil {
		return translate(err, "category roles")
	}
	if len(roleIDs) == 0 {
		return nil
	}
	err := s.write.CategoryRolesInsert(ctx, db.CategoryRolesInsertParams{TenantID: tenantID, CategoryID: categoryID, RoleIds: idsJSON(roleIDs)})
	return translate(err, "role")
}

func (s *Store) CategoryCreate(ctx context.Context, c *chat.Category) error {
	return s.inTx(ctx, func(ts *Store) error {
		id, err := ts.write.CategoryInsert(ctx, db.CategoryInsertParams{
			TenantID: c.TenantID, NameEn: c.NameEN, NameFi: c.NameFI,
			RetentionDays: int64Ptr(c.RetentionDays), Active: c.Active,
		})
		if err != nil {
			return translate(err, "category")
		}
		if err := ts.categorySetRoles(ctx, c.TenantID, id, c.RoleIDs); err != nil {
			return err
		}
		c.ID = id
		return nil
	})
}

func (s *Store) CategoryGet(ctx context.Context, tenantID, id int64) (chat.Category, error) {
	r, err := s.read.CategoryGet(ctx, db.CategoryGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return chat.Category{}, translate(err, "category")
	}
	return toCategory(r)
}

func (s *Store) CategoryList(ctx context.Context, tenantID int64) ([]chat.Category, error) {
	return tryList("categories", func(r db.CategoryListRow) (chat.Category, error) {
		return toCategory(db.CategoryGetRow(r))
	})(s.read.CategoryList(ctx, tenantID))
}

func (s *Store) CategoryUpdate(ctx context.Context, c chat.Category) error {
	return s.inTx(ctx, func(ts *Store) error {
		err := mustAffect("category")(ts.write.CategoryUpdate(ctx, db.CategoryUpdateParams{
			TenantID: c.TenantID, ID: c.ID, NameEn: c.NameEN, NameFi: c.NameFI,
			RetentionDays: int64Ptr(c.RetentionDays), Active: c.Active,
		}))
		if err != nil {
			return err
		}
		return ts.categorySetRoles(ctx, c.TenantID, c.ID, c.RoleIDs)
	})
}

// conversationRow is the shape every conversation query returns.
type conversationRow = db.ConversationGetRow

func toConversation(r conversationRow) (chat.Conversation, error) {
	roles, err := parseIDs(r.RoleIds)
	if err != nil {
		return chat.Conversation{}, chat.Internal(err, "conversation roles")
	}
	emails, err := parseStrings(r.Conversation.ExternalEmails)
	if err != nil {
		return chat.Conversation{}, chat.Internal(err, "conversation emails")
	}
	c := r.Conversation
	return chat.Conversation{
		ID:                 c.ID,
		TenantID:           c.TenantID,
		Subject:            c.Subject,
		CategoryID:         c.CategoryID,
		Status:             chat.ConversationStatus(c.Status),
		CreatorID:          c.CreatorID,
		HandlerID:          c.HandlerID,
		CustomerAssigneeID: c.CustomerAssigneeID,
		AdminID:            c.AdminID,
		RelatedCompanyID:   c.RelatedCompanyID,
		RelatedUserID:      c.RelatedUserID,
		RoleIDs:            roles,
		ExternalEmails:     emails,
		NotifyAdmins:       c.NotifyAdmins,
		ToCustomer:         c.ToCustomer,
		CustomerCompanyID:  c.CustomerCompanyID,
		AwaitingSince:      fromMicrosPtr(c.AwaitingSince),
		LastSeq:            r.LastSeq,
		LastActivityAt:     fromMicros(c.LastActivityAt),
		CreatedAt:          fromMicros(c.CreatedAt),
	}, nil
}

func toConversations[R ~struct {
	Conversation db.Conversation
	RoleIds      string
	LastSeq      int64
}](rows []R) ([]chat.Conversation, error) {
	return sqlrows.TryMap(rows, func(r R) (chat.Conversation, error) { return toConversation(conversationRow(r)) })
}

func (s *Store) conversationSetRoles(ctx context.Context, tenantID, conversationID int64, roleIDs []int64) error {
	if err := s.write.ConversationRolesDelete(ctx, db.ConversationRolesDeleteParams{TenantID: tenantID, ConversationID: conversationID}); err != nil {
		return translate(err, "conversation roles")
	}
	if len(roleIDs) == 0 {
		return nil
	}
	err := s.write.ConversationRolesInsert(ctx, db.ConversationRolesInsertParams{TenantID: tenantID, ConversationID: conversationID, RoleIds: idsJSON(roleIDs)})
	return translate(err, "role")
}

// ConversationCreate inserts c with its roles; Status "" is StatusNew and a
// zero LastActivityAt is the creation time.
func (s *Store) ConversationCreate(ctx context.Context, c *chat.Conversation) error {
	created := orNow(c.CreatedAt)
	lastActivity := c.LastActivityAt
	if lastActivity.IsZero() {
		lastActivity = created
	}
	status := c.Status
	if status == "" {
		status = chat.StatusNew
	}
	return s.inTx(ctx, func(ts *Store) error {
		id, err := ts.write.ConversationInsert(ctx, db.ConversationInsertParams{
			TenantID:           c.TenantID,
			Subject:            c.Subject,
			CategoryID:         c.CategoryID,
			Status:             string(status),
			CreatorID:          c.CreatorID,
			HandlerID:          nonZero(c.HandlerID),
			CustomerAssigneeID: nonZero(c.CustomerAssigneeID),
			AdminID:            nonZero(c.AdminID),
			RelatedCompanyID:   nonZero(c.RelatedCompanyID),
			RelatedUserID:      nonZero(c.RelatedUserID),
			ExternalEmails:     stringsJSON(c.ExternalEmails),
			NotifyAdmins:       c.NotifyAdmins,
			LastActivityAt:     micros(lastActivity),
			CreatedAt:          micros(created),
			ToCustomer:         c.ToCustomer,
			CustomerCompanyID:  nonZero(c.CustomerCompanyID),
			AwaitingSince:      microsPtr(c.AwaitingSince),
		})
		if err != nil {
			return translateRef(err, "conversation", "category")
		}
		if err := ts.conversationSetRoles(ctx, c.TenantID, id, c.RoleIDs); err != nil {
			return err
		}
		c.ID, c.CreatedAt, c.Status, c.LastActivityAt = id, created, status, lastActivity.UTC().Truncate(time.Microsecond)
		return nil
	})
}

func (s *Store) ConversationGet(ctx context.Context, tenantID, id int64) (chat.Conversation, error) {
	r, err := s.read.ConversationGet(ctx, db.ConversationGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return chat.Conversation{}, translate(err, "conversation")
	}
	return toConversation(r)
}

// ConversationList reads by last activity, newest first, or with
// f.OldestFirst by creation, oldest first; the cursor names a
// conversation whose time in that order is the key.
func (s *Store) ConversationList(ctx context.Context, tenantID int64, f chat.ConversationFilter, page chat.Page) ([]chat.Conversation, error) {
	page = page.Normalize()
	params := db.ConversationListParams{
		TenantID:            tenantID,
		Status:              string(f.Status),
		CategoryID:          f.CategoryID,
		HandlerID:           f.HandlerID,
		CompanyID:           f.CompanyID,
		Unsolved:            f.Unsolved,
		AwaitingBefore:      microsOrZero(f.AwaitingBefore),
		AllOfTenant:         f.AllOfTenant,
		VisibleTo:           f.VisibleTo,
		AddresseeCompanyIds: idsJSON(f.AddresseeCompanyIDs),
		RoleIds:             idsJSON(f.RoleIDs),
		CompanyIds:          idsJSON(f.CompanyIDs),
		Lim:                 int64(page.Limit),
	}
	if page.After > 0 {
		at, err := s.cursorTime(ctx, tenantID, page.After, f.OldestFirst)
		if err != nil {
			return nil, err
		}
		params.HasCursor, params.CursorAt, params.CursorID = true, at, page.After
	}
	if f.OldestFirst {
		rows, err := s.read.ConversationListOldest(ctx, db.ConversationListOldestParams(params))
		if err != nil {
			return nil, translate(err, "conversations")
		}
		return toConversations(rows)
	}
	rows, err := s.read.ConversationList(ctx, params)
	if err != nil {
		return nil, translate(err, "conversations")
	}
	return toConversations(rows)
}

// cursorTime is the keyset time of the cursor conversation id.
func (s *Store) cursorTime(ctx context.Context, tenantID, id int64, created bool) (int64, error) {
	var at int64
	var err error
	if created {
		at, err = s.read.ConversationCreated(ctx, db.ConversationCreatedParams{TenantID: tenantID, ID: id})
	} else {
		at, err = s.read.ConversationActivity(ctx, db.ConversationActivityParams{TenantID: tenantID, ID: id})
	}
	return at, translate(err, "conversation")
}

func microsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func (s *Store) ConversationQueueCounts(ctx context.Context, tenantID int64, f chat.ConversationFilter, handlerID int64, staleBefore time.Time) ([]chat.QueueCount, error) {
	return list("conversations", func(r db.ConversationQueueCountsRow) chat.QueueCount {
		return chat.QueueCount{CategoryID: r.CategoryID, Unsolved: r.Unsolved, New: r.NewCount,
			Mine: r.Mine, Waiting: r.Waiting, Stale: r.Stale}
	})(s.read.ConversationQueueCounts(ctx, db.ConversationQueueCountsParams{
		HandlerID:           handlerID,
		StaleBefore:         micros(staleBefore),
		TenantID:            tenantID,
		AllOfTenant:         f.AllOfTenant,
		VisibleTo:           f.VisibleTo,
		AddresseeCompanyIds: idsJSON(f.AddresseeCompanyIDs),
		RoleIds:             idsJSON(f.RoleIDs),
		CompanyIds:          idsJSON(f.CompanyIDs),
	}))
}

func (s *Store) ConversationUpdate(ctx context.Context, c chat.Conversation) error {
	return s.inTx(ctx, func(ts *Store) error {
		err := mustAffect("conversation")(ts.write.ConversationUpdate(ctx, db.ConversationUpdateParams{
			TenantID:           c.TenantID,
			ID:                 c.ID,
			Status:             string(c.Status),
			HandlerID:          nonZero(c.HandlerID),
			CustomerAssigneeID: nonZero(c.CustomerAssigneeID),
			AdminID:            nonZero(c.AdminID),
			RelatedCompanyID:   nonZero(c.RelatedCompanyID),
			RelatedUserID:      nonZero(c.RelatedUserID),
			ExternalEmails:     stringsJSON(c.ExternalEmails),
			NotifyAdmins:       c.NotifyAdmins,
			LastActivityAt:     micros(c.LastActivityAt),
			AwaitingSince:      microsPtr(c.AwaitingSince),
		}))
		if err != nil {
			return err
		}
		return ts.conversationSetRoles(ctx, c.TenantID, c.ID, c.RoleIDs)
	})
}

func (s *Store) ConversationsExpired(ctx context.Context, tenantID int64, retentionDays int, now time.Time, n int) ([]chat.Conversation, error) {
	if retentionDays <= 0 {
		retentionDays = chat.DefaultRetentionDays
	}
	rows, err := s.read.ConversationsExpired(ctx, db.ConversationsExpiredParams{
		TenantID: tenantID, RetentionDays: int64(retentionDays), Now: micros(now), Lim: limit(n),
	})
	if err != nil {
		return nil, translate(err, "conversations")
	}
	return toConversations(rows)
}

// ConversationDelete removes the conversation and everything of its
// channel and of its note channel (internal notes): messages (with their
// events, attachments and search entries), the sequence counter, read
// state, drafts, in-app notifications, notification jobs and decisions,
// and mutes.
func (s *Store) ConversationDelete(ctx context.Context, tenantID, id int64) error {
	return s.inTx(ctx, func(ts *Store) error {
		q := ts.write
		if _, err := ts.read.ConversationGet(ctx, db.ConversationGetParams{TenantID: tenantID, ID: id}); err != nil {
			return translate(err, "conversation")
		}
		for _, kind := range []chat.ChannelKind{chat.KindConversation, chat.KindNote} {
			if err := channelDataDelete(ctx, q, tenantID, string(kind), id); err != nil {
				return err
			}
		}
		return mustAffect("conversation")(q.ConversationDelete(ctx, db.ConversationDeleteParams{TenantID: tenantID, ID: id}))
	})
}

// channelDataDelete removes everything kept about one channel.
func channelDataDelete(ctx context.Context, q *db.Queries, tenantID int64, kind string, id int64) error {
	steps := []struct {
		what string
		run  func() error
	}{
		{"messages", func() error {
			return q.ChannelMessagesDelete(ctx, db.ChannelMessagesDeleteParams{TenantID: tenantID, ChannelKind: kind, ChannelID: id})
		}},
		{"sequence", func() error {
			return q.ChannelSeqDelete(ctx, db.ChannelSeqDeleteParams{TenantID: tenantID, Kind: kind, ID: id})
		}},
		{"read states", func() error {
			return q.ChannelReadStatesDelete(ctx, db.ChannelReadStatesDeleteParams{TenantID: tenantID, ChannelKind: kind, ChannelID: id})
		}},
		{"drafts", func() error {
			return q.ChannelDraftsDelete(ctx, db.ChannelDraftsDeleteParams{TenantID: tenantID, ChannelKind: &kind, ChannelID: &id})
		}},
		{"notifications", func() error {
			return q.ChannelNotificationsDelete(ctx, db.ChannelNotificationsDeleteParams{TenantID: tenantID, ChannelKind: kind, ChannelID: id})
		}},
		{"notify jobs", func() error {
			return q.ChannelNotifyJobsDelete(ctx, db.ChannelNotifyJobsDeleteParams{TenantID: tenantID, ChannelKind: kind, ChannelID: id})
		}},
		{"notification decisions", func() error {
			return q.ChannelNotifyDecisionsDelete(ctx, db.ChannelNotifyDecisionsDeleteParams{TenantID: tenantID, ChannelKind: kind, ChannelID: id})
		}},
		{"mutes", func() error {
			return q.ChannelMutesDelete(ctx, db.ChannelMutesDeleteParams{TenantID: tenantID, ChannelKind: kind, ChannelID: id})
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return translate(err, "conversation "+st.what)
		}
	}
	return nil
}

func (s *Store) RetentionRunRecord(ctx context.Context, r *chat.RetentionRun) error {
	started := orNow(r.StartedAt)
	id, err := s.write.RetentionRunInsert(ctx, db.RetentionRunInsertParams{
		TenantID: r.TenantID, StartedAt: micros(started), Deleted: r.Deleted, Node: r.Node,
	})
	if err != nil {
		return translate(err, "retention run")
	}
	r.ID, r.StartedAt = id, started
	return nil
}

// RetentionRunList returns the tenant's latest runs, newest start first.
func (s *Store) RetentionRunList(ctx context.Context, tenantID int64, n int) ([]chat.RetentionRun, error) {
	return list("retention runs", func(r db.RetentionRun) chat.RetentionRun {
		return chat.RetentionRun{ID: r.ID, TenantID: r.TenantID, StartedAt: fromMicros(r.StartedAt), Deleted: r.Deleted, Node: r.Node}
	})(s.read.RetentionRunList(ctx, db.RetentionRunListParams{TenantID: tenantID, Lim: limit(n)}))
}
