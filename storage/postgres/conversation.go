package postgres

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

func (s *Store) CategoryCreate(ctx context.Context, c *chat.Category) error {
	return s.inTx(ctx, func(tx *Store) error {
		id, err := tx.q.CategoryInsert(ctx, db.CategoryInsertParams{
			TenantID: c.TenantID, NameEn: c.NameEN, NameFi: c.NameFI, RetentionDays: int32Ptr(c.RetentionDays), Active: c.Active,
		})
		if err != nil {
			return translate(err, "category")
		}
		if len(c.RoleIDs) > 0 {
			err := tx.q.CategoryRolesInsert(ctx, db.CategoryRolesInsertParams{TenantID: c.TenantID, CategoryID: id, RoleIds: c.RoleIDs})
			if err != nil {
				return translate(err, "role")
			}
		}
		c.ID = id
		return nil
	})
}

func (s *Store) CategoryGet(ctx context.Context, tenantID, id int64) (chat.Category, error) {
	return one("category", toCategory)(s.q.CategoryGet(ctx, db.CategoryGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) CategoryList(ctx context.Context, tenantID int64) ([]chat.Category, error) {
	return list("categories", func(r db.CategoryListRow) chat.Category {
		return toCategory(db.CategoryGetRow(r))
	})(s.q.CategoryList(ctx, tenantID))
}

// CategoryUpdate saves names, retention, active and the receiver roles.
func (s *Store) CategoryUpdate(ctx context.Context, c chat.Category) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.q.CategoryUpdate(ctx, db.CategoryUpdateParams{
			TenantID: c.TenantID, ID: c.ID, NameEn: c.NameEN, NameFi: c.NameFI,
			RetentionDays: int32Ptr(c.RetentionDays), Active: c.Active,
		})
		if err := mustAffect("category")(n, err); err != nil {
			return err
		}
		if err := tx.q.CategoryRolesDelete(ctx, db.CategoryRolesDeleteParams{TenantID: c.TenantID, CategoryID: c.ID}); err != nil {
			return translate(err, "category roles")
		}
		if len(c.RoleIDs) == 0 {
			return nil
		}
		err = tx.q.CategoryRolesInsert(ctx, db.CategoryRolesInsertParams{TenantID: c.TenantID, CategoryID: c.ID, RoleIds: c.RoleIDs})
		return translate(err, "role")
	})
}

func toCategory(r db.CategoryGetRow) chat.Category {
	c := chat.Category{
		ID: r.ID, TenantID: r.TenantID, NameEN: r.NameEn, NameFI: r.NameFi,
		RoleIDs: nilIfEmpty(r.RoleIds), Active: r.Active,
	}
	if r.RetentionDays != nil {
		days := int(*r.RetentionDays)
		c.RetentionDays = &days
	}
	return c
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func (s *Store) ConversationCreate(ctx context.Context, c *chat.Conversation) error {
	createdAt := orNow(c.CreatedAt)
	lastActivity := c.LastActivityAt
	if lastActivity.IsZero() {
		lastActivity = createdAt
	}
	return s.inTx(ctx, func(tx *Store) error {
		id, err := tx.q.ConversationInsert(ctx, db.ConversationInsertParams{
			TenantID:           c.TenantID,
			Subject:            c.Subject,
			CategoryID:         c.CategoryID,
			Status:             string(c.Status),
			CreatorID:          c.CreatorID,
			HandlerID:          c.HandlerID,
			CustomerAssigneeID: c.CustomerAssigneeID,
			AdminID:            c.AdminID,
			RelatedCompanyID:   c.RelatedCompanyID,
			RelatedUserID:      c.RelatedUserID,
			ExternalEmails:     nonNil(c.ExternalEmails),
			NotifyAdmins:       c.NotifyAdmins,
			LastActivityAt:     lastActivity,
			CreatedAt:          createdAt,
			ToCustomer:         c.ToCustomer,
			CustomerCompanyID:  c.CustomerCompanyID,
			AwaitingSince:      c.AwaitingSince,
		})
		if err != nil {
			return translateRef(err, "conversation", "category")
		}
		if len(c.RoleIDs) > 0 {
			err := tx.q.ConversationRolesInsert(ctx, db.ConversationRolesInsertParams{TenantID: c.TenantID, ConversationID: id, RoleIds: c.RoleIDs})
			if err != nil {
				return translate(err, "role")
			}
		}
		c.ID, c.CreatedAt, c.LastActivityAt = id, createdAt, lastActivity
		return nil
	})
}

func (s *Store) ConversationGet(ctx context.Context, tenantID, id int64) (chat.Conversation, error) {
	return one("conversation", toConversation)(s.q.ConversationGet(ctx, db.ConversationGetParams{TenantID: tenantID, ID: id}))
}

// ConversationList is newest activity first, or with f.OldestFirst
// oldest creation first. The cursor is a conversation id; its time in that
// order and id are the keyset position, so a cursor the tenant does not
// have is ENotFound.
func (s *Store) ConversationList(ctx context.Context, tenantID int64, f chat.ConversationFilter, p chat.Page) ([]chat.Conversation, error) {
	after, lim := page(p)
	params := db.ConversationListParams{
		TenantID:            tenantID,
		Status:              string(f.Status),
		CategoryID:          f.CategoryID,
		HandlerID:           f.HandlerID,
		CompanyID:           f.CompanyID,
		Unsolved:            f.Unsolved,
		AwaitingBefore:      timeOrNil(f.AwaitingBefore),
		AllOfTenant:         f.AllOfTenant,
		VisibleTo:           f.VisibleTo,
		AddresseeCompanyIds: nonNil(f.AddresseeCompanyIDs),
		RoleIds:             nonNil(f.RoleIDs),
		CompanyIds:          nonNil(f.CompanyIDs),
		Lim:                 lim,
	}
	if after > 0 {
		at, err := s.cursorTime(ctx, tenantID, after, f.OldestFirst)
		if err != nil {
			return nil, err
		}
		params.HasCursor, params.CursorAt, params.CursorID = true, at, after
	}
	var out []chat.Conversation
	if f.OldestFirst {
		rows, err := s.q.ConversationListOldest(ctx, db.ConversationListOldestParams(params))
		if err != nil {
			return nil, translate(err, "conversations")
		}
		for _, r := range rows {
			out = append(out, toConversation(db.ConversationGetRow(r)))
		}
		return nonNil(out), nil
	}
	rows, err := s.q.ConversationList(ctx, params)
	if err != nil {
		return nil, translate(err, "conversations")
	}
	for _, r := range rows {
		out = append(out, toConversation(db.ConversationGetRow(r)))
	}
	return nonNil(out), nil
}

// cursorTime is the keyset time of the cursor conversation id.
func (s *Store) cursorTime(ctx context.Context, tenantID, id int64, created bool) (time.Time, error) {
	var at time.Time
	var err error
	if created {
		at, err = s.q.ConversationCreated(ctx, db.ConversationCreatedParams{TenantID: tenantID, ID: id})
	} else {
		at, err = s.q.ConversationActivity(ctx, db.ConversationActivityParams{TenantID: tenantID, ID: id})
	}
	if err != nil {
		return time.Time{}, translate(err, "conversation")
	}
	return at, nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Store) ConversationQueueCounts(ctx context.Context, tenantID int64, f chat.ConversationFilter, handlerID int64, staleBefore time.Time) ([]chat.QueueCount, error) {
	return list("conversations", func(r db.ConversationQueueCountsRow) chat.QueueCount {
		return chat.QueueCount{CategoryID: r.CategoryID, Unsolved: r.Unsolved, New: r.NewCount,
			Mine: r.Mine, Waiting: r.Waiting, Stale: r.Stale}
	})(s.q.ConversationQueueCounts(ctx, db.ConversationQueueCountsParams{
		HandlerID:           handlerID,
		StaleBefore:         staleBefore,
		TenantID:            tenantID,
		AllOfTenant:         f.AllOfTenant,
		VisibleTo:           f.VisibleTo,
		AddresseeCompanyIds: nonNil(f.AddresseeCompanyIDs),
		RoleIds:             nonNil(f.RoleIDs),
		CompanyIds:          nonNil(f.CompanyIDs),
	}))
}

func (s *Store) ConversationUpdate(ctx context.Context, c chat.Conversation) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.q.ConversationUpdate(ctx, db.ConversationUpdateParams{
			TenantID:           c.TenantID,
			ID:                 c.ID,
			Status:             string(c.Status),
			HandlerID:          c.HandlerID,
			CustomerAssigneeID: c.CustomerAssigneeID,
			AdminID:            c.AdminID,
			RelatedCompanyID:   c.RelatedCompanyID,
			RelatedUserID:      c.RelatedUserID,
			ExternalEmails:     nonNil(c.ExternalEmails),
			NotifyAdmins:       c.NotifyAdmins,
			LastActivityAt:     c.LastActivityAt,
			AwaitingSince:      c.AwaitingSince,
		})
		if err := mustAffect("conversation")(n, err); err != nil {
			return err
		}
		if err := tx.q.ConversationRolesDelete(ctx, db.ConversationRolesDeleteParams{TenantID: c.TenantID, ConversationID: c.ID}); err != nil {
			return translate(err, "conversation roles")
		}
		if len(c.RoleIDs) == 0 {
			return nil
		}
		err = tx.q.ConversationRolesInsert(ctx, db.ConversationRolesInsertParams{TenantID: c.TenantID, ConversationID: c.ID, RoleIds: c.RoleIDs})
		return translate(err, "role")
	})
}

func (s *Store) ConversationsExpired(ctx context.Context, tenantID int64, retentionDays int, now time.Time, n int) ([]chat.Conversation, error) {
	if retentionDays <= 0 {
		retentionDays = chat.DefaultRetentionDays
	}
	return list("conversations", func(r db.ConversationsExpiredRow) chat.Conversation {
		return toConversation(db.ConversationGetRow(r))
	})(s.q.ConversationsExpired(ctx, db.ConversationsExpiredParams{
		TenantID: tenantID, RetentionDays: int32(min(retentionDays, 1<<20)), Now: now, Lim: limit(n),
	}))
}

// ConversationDelete removes the conversation and everything kept about its
// channel in one transaction.
func (s *Store) ConversationDelete(ctx context.Context, tenantID, id int64) error {
	return s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ConversationLock(ctx, db.ConversationLockParams{TenantID: tenantID, ID: id}); err != nil {
			return translate(err, "conversation")
		}
		// The conversation's thread and its internal notes go with it.
		for _, kind := range []chat.ChannelKind{chat.KindConversation, chat.KindNote} {
			err := tx.q.ChannelDataDelete(ctx, db.ChannelDataDeleteParams{
				TenantID: tenantID, ChannelKind: string(kind), ChannelID: id,
			})
			if err != nil {
				return translate(err, "conversation data")
			}
		}
		n, err := tx.q.ConversationDelete(ctx, db.ConversationDeleteParams{TenantID: tenantID, ID: id})
		return mustAffect("conversation")(n, err)
	})
}

func toConversation(r db.ConversationGetRow) chat.Conversation {
	return chat.Conversation{
		ID:                 r.ID,
		TenantID:           r.TenantID,
		Subject:            r.Subject,
		CategoryID:         r.CategoryID,
		Status:             chat.ConversationStatus(r.Status),
		CreatorID:          r.CreatorID,
		HandlerID:          r.HandlerID,
		CustomerAssigneeID: r.CustomerAssigneeID,
		AdminID:            r.AdminID,
		RelatedCompanyID:   r.RelatedCompanyID,
		RelatedUserID:      r.RelatedUserID,
		RoleIDs:            nilIfEmpty(r.RoleIds),
		ExternalEmails:     nilIfEmpty(r.ExternalEmails),
		NotifyAdmins:       r.NotifyAdmins,
		ToCustomer:         r.ToCustomer,
		CustomerCompanyID:  r.CustomerCompanyID,
		AwaitingSince:      r.AwaitingSince,
		LastSeq:            r.LastSeq,
		LastActivityAt:     r.LastActivityAt,
		CreatedAt:          r.CreatedAt,
	}
}

func (s *Store) RetentionRunRecord(ctx context.Context, r *chat.RetentionRun) error {
	startedAt := orNow(r.StartedAt)
	id, err := s.q.RetentionRunInsert(ctx, db.RetentionRunInsertParams{
		TenantID: r.TenantID, StartedAt: startedAt, Deleted: r.Deleted, Node: r.Node,
	})
	if err != nil {
		return translate(err, "tenant")
	}
	r.ID, r.StartedAt = id, startedAt
	return nil
}

// RetentionRunList returns the newest runs first.
func (s *Store) RetentionRunList(ctx context.Context, tenantID int64, n int) ([]chat.RetentionRun, error) {
	return list("retention runs", toRetentionRun)(s.q.RetentionRunList(ctx, db.RetentionRunListParams{TenantID: tenantID, Lim: limit(n)}))
}

// toRetentionRun converts a retention run row; the two have the same fields.
func toRetentionRun(r db.RetentionRun) chat.RetentionRun { return chat.RetentionRun(r) }
