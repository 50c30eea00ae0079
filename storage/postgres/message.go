package postgres

import (
	"context"
	"errors"
	"parley/storage/sqlerr"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/chat"
	"parley/storage/postgres/internal/db"
	"parley/storage/sqlrows"
)

// ChannelNextSeq takes the channel's next seq; the counter row stays locked
// until the surrounding transaction ends. A channel the tenant does not
// have is ENotFound.
func (s *Store) ChannelNextSeq(ctx context.Context, tenantID int64, ch chat.Channel) (int64, error) {
	if !ch.Persisted() {
		// Only topics and conversations have counters.
		return 0, chat.NotFound("channel")
	}
	seq, err := s.q.ChannelSeqNext(ctx, db.ChannelSeqNextParams{TenantID: tenantID, Kind: string(ch.Kind), ID: ch.ID})
	if err != nil {
		return 0, translate(err, string(ch.Kind))
	}
	return seq, nil
}

func (s *Store) ChannelLastSeq(ctx context.Context, tenantID int64, ch chat.Channel) (int64, error) {
	seq, err := s.q.ChannelSeqGet(ctx, db.ChannelSeqGetParams{TenantID: tenantID, Kind: string(ch.Kind), ID: ch.ID})
	return seq, translate(err, "channel")
}

func (s *Store) MessageInsert(ctx context.Context, m *chat.Message) error {
	if err := sqlrows.Persisted(m.Channel); err != nil {
		return err
	}
	var clientID *string
	if m.ClientMsgID != "" {
		clientID = &m.ClientMsgID
	}
	kind := m.Kind
	if kind == "" {
		kind = chat.MessageText
	}
	createdAt := orNow(m.CreatedAt)
	return s.inTx(ctx, func(tx *Store) error {
		id, err := tx.q.MessageInsert(ctx, db.MessageInsertParams{
			TenantID:    m.TenantID,
			ChannelKind: string(m.Channel.Kind),
			ChannelID:   m.Channel.ID,
			Seq:         m.Seq,
			AuthorID:    m.AuthorID,
			ClientMsgID: clientID,
			Kind:        string(kind),
			Body:        m.Body,
			ReplyToID:   m.ReplyToID,
			Mentions:    nonNil(m.Mentions),
			CreatedAt:   createdAt,

			ExternalAuthor: m.ExternalAuthor,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return sqlerr.Duplicate(nil, "message", sqlerr.KeyClientMsgID)
		}
		if err != nil {
			return translate(err, "message")
		}
		atts, err := tx.linkAttachments(ctx, m.TenantID, id, m.Attachments)
		if err != nil {
			return err
		}
		m.ID, m.Kind, m.CreatedAt, m.Attachments = id, kind, createdAt, atts
		return nil
	})
}

// linkAttachments claims the uploads in atts (by id) for message id and
// returns them as stored.
func (s *Store) linkAttachments(ctx context.Context, tenantID, id int64, atts []chat.Attachment) ([]chat.Attachment, error) {
	if len(atts) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(atts))
	for _, a := range atts {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	n, err := s.q.AttachmentLink(ctx, db.AttachmentLinkParams{TenantID: tenantID, MessageID: &id, Ids: ids})
	if err != nil {
		return nil, translate(err, "attachment")
	}
	if n != int64(len(ids)) {
		// Another tenant's, already attached, or never uploaded.
		return nil, chat.NotFound("attachment")
	}
	byMsg, err := s.attachments(ctx, tenantID, []int64{id})
	if err != nil {
		return nil, err
	}
	return byMsg[id], nil
}

func (s *Store) MessageGet(ctx context.Context, tenantID, id int64) (chat.Message, error) {
	r, err := s.q.MessageGet(ctx, db.MessageGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return chat.Message{}, translate(err, "message")
	}
	return s.oneMessage(ctx, toMessage(r))
}

func (s *Store) MessageByClientID(ctx context.Context, tenantID, authorID int64, clientMsgID string) (chat.Message, error) {
	if clientMsgID == "" {
		return chat.Message{}, chat.NotFound("message")
	}
	r, err := s.q.MessageByClientID(ctx, db.MessageByClientIDParams{TenantID: tenantID, AuthorID: authorID, ClientMsgID: &clientMsgID})
	if err != nil {
		return chat.Message{}, translate(err, "message")
	}
	return s.oneMessage(ctx, toMessage(db.MessageGetRow(r)))
}

func (s *Store) oneMessage(ctx context.Context, m chat.Message) (chat.Message, error) {
	ms := []chat.Message{m}
	if err := s.withAttachments(ctx, m.TenantID, ms); err != nil {
		return chat.Message{}, err
	}
	return ms[0], nil
}

// MessageEdit replaces the body of a message that is not deleted.
func (s *Store) MessageEdit(ctx context.Context, tenantID, id int64, body string, at time.Time) error {
	n, err := s.q.MessageEdit(ctx, db.MessageEditParams{TenantID: tenantID, ID: id, Body: body, EditedAt: &at})
	return mustAffect("message")(n, err)
}

func (s *Store) MessageDelete(ctx context.Context, tenantID, id int64, at time.Time) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.q.MessageTombstone(ctx, db.MessageTombstoneParams{TenantID: tenantID, ID: id, DeletedAt: &at})
		if err := mustAffect("message")(n, err); err != nil {
			return err
		}
		err = tx.q.AttachmentDeleteByMessage(ctx, db.AttachmentDeleteByMessageParams{TenantID: tenantID, MessageID: &id})
		return translate(err, "attachments")
	})
}

func (s *Store) MessageHistory(ctx context.Context, tenantID int64, ch chat.Channel, beforeSeq int64, n int) ([]chat.Message, error) {
	return s.messagesWithAttachments(ctx, tenantID)(list("messages", func(r db.MessageHistoryRow) chat.Message {
		return toMessage(db.MessageGetRow(r))
	})(s.q.MessageHistory(ctx, db.MessageHistoryParams{
		TenantID: tenantID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, BeforeSeq: beforeSeq, Lim: limit(n),
	})))
}

func (s *Store) ChannelEventInsert(ctx context.Context, tenantID int64, ch chat.Channel, seq int64, typ chat.EventType, messageID int64, at time.Time) error {
	if err := sqlrows.Persisted(ch); err != nil {
		return err
	}
	// The insert selects the message of the tenant, so a foreign message
	// inserts nothing and is not found.
	tag, err := s.q.ChannelEventInsert(ctx, db.ChannelEventInsertParams{
		TenantID: tenantID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, Seq: seq,
		Type: string(typ), MessageID: messageID, CreatedAt: orNow(at),
	})
	return mustAffect("message")(tag, err)
}

func (s *Store) ChannelEventsSince(ctx context.Context, tenantID int64, ch chat.Channel, since int64, n int) ([]chat.ChannelEvent, error) {
	rows, err := s.q.ChannelEventsSince(ctx, db.ChannelEventsSinceParams{
		TenantID: tenantID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, Since: since, Lim: limit(n),
	})
	if err != nil {
		return nil, translate(err, "channel events")
	}
	return s.eventsFromRows(ctx, tenantID, rows)
}

func (s *Store) ChannelEventsAfter(ctx context.Context, tenantID int64, cursors []chat.ChannelCursor, n int) ([]chat.ChannelEvent, error) {
	if err := chat.CheckCursors(cursors); err != nil || len(cursors) == 0 {
		return nil, err
	}
	arg := db.ChannelEventsAfterParams{TenantID: tenantID, Lim: int64(limit(n))}
	for _, c := range cursors {
		arg.ChannelKinds = append(arg.ChannelKinds, string(c.Channel.Kind))
		arg.ChannelIds = append(arg.ChannelIds, c.Channel.ID)
		arg.Afters = append(arg.Afters, max(c.Seq, 0))
	}
	rows, err := s.q.ChannelEventsAfter(ctx, arg)
	if err != nil {
		return nil, translate(err, "channel events")
	}
	since := sqlrows.Map(rows, func(r db.ChannelEventsAfterRow) db.ChannelEventsSinceRow { return db.ChannelEventsSinceRow(r) })
	return s.eventsFromRows(ctx, tenantID, since)
}

// eventsFromRows turns event rows into events with their messages and
// attachments; ChannelEventsSince and ChannelEventsAfter share it.
func (s *Store) eventsFromRows(ctx context.Context, tenantID int64, rows []db.ChannelEventsSinceRow) ([]chat.ChannelEvent, error) {
	msgs := make([]chat.Message, 0, len(rows))
	for _, r := range rows {
		msgs = append(msgs, toMessage(db.MessageGetRow{
			ID: r.ID, TenantID: r.TenantID, ChannelKind: r.ChannelKind, ChannelID: r.ChannelID, Seq: r.Seq,
			AuthorID: r.AuthorID, AuthorName: r.AuthorName, ClientMsgID: r.ClientMsgID, Kind: r.Kind,
			Body: r.Body, ReplyToID: r.ReplyToID, Mentions: r.Mentions, EditedAt: r.EditedAt,
			DeletedAt: r.DeletedAt, CreatedAt: r.CreatedAt, ExternalAuthor: r.ExternalAuthor,
		}))
	}
	if err := s.withAttachments(ctx, tenantID, msgs); err != nil {
		return nil, err
	}
	out := make([]chat.ChannelEvent, 0, len(rows))
	for i, r := range rows {
		out = append(out, chat.ChannelEvent{Seq: r.EventSeq, Type: chat.EventType(r.EventType), Message: msgs[i]})
	}
	return out, nil
}

func (s *Store) ReadStateSet(ctx context.Context, tenantID, userID int64, ch chat.Channel, seq int64) (int64, error) {
	stored, err := s.q.ReadStateSet(ctx, db.ReadStateSetParams{
		TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, Seq: seq,
	})
	if err != nil {
		return 0, translateRef(err, "read state", "user")
	}
	return stored, nil
}

func (s *Store) ReadStateList(ctx context.Context, tenantID, userID int64, chs []chat.Channel) ([]chat.ReadState, error) {
	topics, convs, _ := sqlrows.ChannelIDs(chs)
	if len(topics)+len(convs) == 0 {
		return nil, nil
	}
	return list("read states", func(r db.ReadStateListRow) chat.ReadState {
		return chat.ReadState{
			Channel: chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID}, UserID: r.UserID, Seq: r.Seq,
		}
	})(s.q.ReadStateList(ctx, db.ReadStateListParams{
		TenantID: tenantID, UserID: userID, TopicIds: topics, ConversationIds: convs,
	}))
}

func (s *Store) MessageSearch(ctx context.Context, tenantID int64, query string, chs []chat.Channel, f chat.MessageFilter, n int) ([]chat.Message, error) {
	topics, convs, notes := sqlrows.ChannelIDs(chs)
	if strings.TrimSpace(query) == "" || len(topics)+len(convs)+len(notes) == 0 {
		return nil, nil
	}
	return s.messagesWithAttachments(ctx, tenantID)(list("messages", func(r db.MessageSearchRow) chat.Message {
		return toMessage(db.MessageGetRow(r))
	})(s.q.MessageSearch(ctx, db.MessageSearchParams{
		TenantID: tenantID, Query: query, TopicIds: topics, ConversationIds: convs, NoteIds: notes, Lim: limit(n),
		AuthorID: f.AuthorID, CreatedAfter: timeBound(f.After, searchEpochStart), CreatedBefore: timeBound(f.Before, searchEpochEnd),
	})))
}

// The unbounded ends of a search's time filter, within timestamptz.
var (
	searchEpochStart = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	searchEpochEnd   = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// timeBound is a filter's time, or the unbounded end when zero.
func timeBound(t, unbounded time.Time) time.Time {
	if t.IsZero() {
		return unbounded
	}
	return t
}

func toMessage(r db.MessageGetRow) chat.Message {
	m := chat.Message{
		ID:         r.ID,
		TenantID:   r.TenantID,
		Channel:    chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID},
		Seq:        r.Seq,
		AuthorID:   r.AuthorID,
		AuthorName: r.AuthorName,
		Kind:       chat.MessageKind(r.Kind),
		Body:       r.Body,
		ReplyToID:  r.ReplyToID,
		Mentions:   nilIfEmpty(r.Mentions),
		EditedAt:   r.EditedAt,
		DeletedAt:  r.DeletedAt,
		CreatedAt:  r.CreatedAt,

		ExternalAuthor: r.ExternalAuthor,
	}
	if r.ClientMsgID != nil {
		m.ClientMsgID = *r.ClientMsgID
	}
	return m
}

// messagesWithAttachments passes a list's messages on with their
// attachments filled in, or its failure: with(list(...)(q.X(...))).
func (s *Store) messagesWithAttachments(ctx context.Context, tenantID int64) func([]chat.Message, error) ([]chat.Message, error) {
	return func(ms []chat.Message, err error) ([]chat.Message, error) {
		if err != nil {
			return nil, err
		}
		return ms, s.withAttachments(ctx, tenantID, ms)
	}
}

// withAttachments fills in the attachments of ms with one query.
func (s *Store) withAttachments(ctx context.Context, tenantID int64, ms []chat.Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		if m.DeletedAt == nil {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	byMsg, err := s.attachments(ctx, tenantID, ids)
	if err != nil {
		return err
	}
	for i := range ms {
		ms[i].Attachments = byMsg[ms[i].ID]
	}
	return nil
}

func (s *Store) attachments(ctx context.Context, tenantID int64, messageIDs []int64) (map[int64][]chat.Attachment, error) {
	rows, err := s.q.AttachmentListByMessages(ctx, db.AttachmentListByMessagesParams{TenantID: tenantID, MessageIds: messageIDs})
	if err != nil {
		return nil, translate(err, "attachments")
	}
	byMsg := make(map[int64][]chat.Attachment, len(rows))
	for _, r := range rows {
		a := toAttachment(db.AttachmentGetRow(r))
		byMsg[*a.MessageID] = append(byMsg[*a.MessageID], a)
	}
	return byMsg, nil
}

func (s *Store) AttachmentCreate(ctx context.Context, a *chat.Attachment, data, thumbnail []byte) error {
	createdAt := orNow(a.CreatedAt)
	size := int64(len(data))
	p := db.AttachmentInsertParams{
		TenantID: a.TenantID, UploaderID: a.UploaderID, Filename: a.Filename, ContentType: a.ContentType,
		Size: size, Data: nonNil(data), CreatedAt: createdAt,
	}
	if a.Image != nil {
		p.ImageWidth, p.ImageHeight = int32(a.Image.Width), int32(a.Image.Height)
		p.ThumbnailType, p.Thumbnail = a.Image.ThumbnailType, nonNil(thumbnail)
	}
	id, err := s.q.AttachmentInsert(ctx, p)
	if err != nil {
		return translate(err, "attachment")
	}
	a.ID, a.Size, a.CreatedAt, a.MessageID = id, size, createdAt, nil
	return nil
}

func (s *Store) AttachmentGet(ctx context.Context, tenantID, id int64) (chat.Attachment, error) {
	return one("attachment", toAttachment)(s.q.AttachmentGet(ctx, db.AttachmentGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) AttachmentData(ctx context.Context, tenantID, id int64) ([]byte, error) {
	data, err := s.q.AttachmentData(ctx, db.AttachmentDataParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "attachment")
	}
	return data, nil
}

func (s *Store) AttachmentThumbnail(ctx context.Context, tenantID, id int64) ([]byte, error) {
	data, err := s.q.AttachmentThumbnail(ctx, db.AttachmentThumbnailParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "thumbnail")
	}
	return data, nil
}

func (s *Store) AttachmentThumbnailSet(ctx context.Context, tenantID, id int64, img *chat.Image, thumbnail []byte) error {
	p := db.AttachmentThumbnailSetParams{TenantID: tenantID, ID: id, ThumbnailType: chat.NoThumbnail}
	if img != nil {
		p.ImageWidth, p.ImageHeight = int32(img.Width), int32(img.Height)
		p.ThumbnailType, p.Thumbnail = img.ThumbnailType, nonNil(thumbnail)
	}
	return translate(s.q.AttachmentThumbnailSet(ctx, p), "attachment")
}

func (s *Store) AttachmentDeleteUnlinked(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.q.AttachmentDeleteUnlinked(ctx, before)
	return n, translate(err, "attachments")
}

func toAttachment(r db.AttachmentGetRow) chat.Attachment {
	return chat.Attachment{
		ID: r.ID, TenantID: r.TenantID, MessageID: r.MessageID, UploaderID: r.UploaderID,
		Filename: r.Filename, ContentType: r.ContentType, Size: r.Size, CreatedAt: r.CreatedAt,
		Image:            chat.StoredImage(int(r.ImageWidth), int(r.ImageHeight), r.ThumbnailType),
		ThumbnailPending: chat.ThumbnailPending(r.ContentType, r.ThumbnailType),
	}
}

// DraftSave inserts a draft (ID 0) or updates the user's draft.
func (s *Store) DraftSave(ctx context.Context, d *chat.Draft) error {
	var kind *string
	var chID *int64
	if d.Channel != nil {
		k := string(d.Channel.Kind)
		kind, chID = &k, &d.Channel.ID
	}
	updatedAt := orNow(d.UpdatedAt)
	if d.ID == 0 {
		id, err := s.q.DraftInsert(ctx, db.DraftInsertParams{
			TenantID: d.TenantID, UserID: d.UserID, ChannelKind: kind, ChannelID: chID,
			Subject: d.Subject, Body: d.Body, Data: d.Data, UpdatedAt: updatedAt,
		})
		if err != nil {
			return translateRef(err, "draft", "user")
		}
		d.ID, d.UpdatedAt = id, updatedAt
		return nil
	}
	n, err := s.q.DraftUpdate(ctx, db.DraftUpdateParams{
		TenantID: d.TenantID, UserID: d.UserID, ID: d.ID, ChannelKind: kind, ChannelID: chID,
		Subject: d.Subject, Body: d.Body, Data: d.Data, UpdatedAt: updatedAt,
	})
	if err := mustAffect("draft")(n, err); err != nil {
		return err
	}
	d.UpdatedAt = updatedAt
	return nil
}

func (s *Store) DraftGet(ctx context.Context, tenantID, userID, id int64) (chat.Draft, error) {
	return one("draft", toDraft)(s.q.DraftGet(ctx, db.DraftGetParams{TenantID: tenantID, UserID: userID, ID: id}))
}

func (s *Store) DraftList(ctx context.Context, tenantID, userID int64) ([]chat.Draft, error) {
	return list("drafts", toDraft)(s.q.DraftList(ctx, db.DraftListParams{TenantID: tenantID, UserID: userID}))
}

func (s *Store) DraftDelete(ctx context.Context, tenantID, userID, id int64) error {
	n, err := s.q.DraftDelete(ctx, db.DraftDeleteParams{TenantID: tenantID, UserID: userID, ID: id})
	return mustAffect("draft")(n, err)
}

func toDraft(r db.Draft) chat.Draft {
	d := chat.Draft{
		ID: r.ID, TenantID: r.TenantID, UserID: r.UserID, Subject: r.Subject, Body: r.Body,
		Data: r.Data, UpdatedAt: r.UpdatedAt,
	}
	if r.ChannelKind != nil && r.ChannelID != nil {
		d.Channel = &chat.Channel{Kind: chat.ChannelKind(*r.ChannelKind), ID: *r.ChannelID}
	}
	return d
}
