package sqlite

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
	"parley/storage/sqlrows"
)

// maxSearchWords bounds the FTS expression built from a user's query.
const maxSearchWords = 16

func (s *Store) ChannelNextSeq(ctx context.Context, tenantID int64, ch chat.Channel) (int64, error) {
	seq, err := s.write.ChannelSeqNext(ctx, db.ChannelSeqNextParams{TenantID: tenantID, Kind: string(ch.Kind), ID: ch.ID})
	if err != nil {
		return 0, translate(err, "channel")
	}
	return seq, nil
}

func (s *Store) ChannelLastSeq(ctx context.Context, tenantID int64, ch chat.Channel) (int64, error) {
	seq, err := s.read.ChannelSeqGet(ctx, db.ChannelSeqGetParams{TenantID: tenantID, Kind: string(ch.Kind), ID: ch.ID})
	return seq, translate(err, "channel")
}

// messageRow is the shape every message query returns.
type messageRow = db.MessageGetRow

func toMessage(r messageRow) (chat.Message, error) {
	m := chat.Message{
		ID:         r.Message.ID,
		TenantID:   r.Message.TenantID,
		Channel:    chat.Channel{Kind: chat.ChannelKind(r.Message.ChannelKind), ID: r.Message.ChannelID},
		Seq:        r.Message.Seq,
		AuthorID:   r.Message.AuthorID,
		AuthorName: r.AuthorName,
		Kind:       chat.MessageKind(r.Message.Kind),
		Body:       r.Message.Body,
		ReplyToID:  r.Message.ReplyToID,
		EditedAt:   fromMicrosPtr(r.Message.EditedAt),
		DeletedAt:  fromMicrosPtr(r.Message.DeletedAt),
		CreatedAt:  fromMicros(r.Message.CreatedAt),

		ExternalAuthor: r.Message.ExternalAuthor,
	}
	if r.Message.ClientMsgID != nil {
		m.ClientMsgID = *r.Message.ClientMsgID
	}
	mentions, err := parseIDs(r.Message.Mentions)
	if err != nil {
		return chat.Message{}, chat.Internal(err, "message mentions")
	}
	m.Mentions = mentions
	return m, nil
}

// withAttachments converts rows and fills in each message's attachments
// with one query.
func (s *Store) withAttachments(ctx context.Context, tenantID int64, rows []messageRow) ([]chat.Message, error) {
	out := make([]chat.Message, 0, len(rows))
	var ids []int64
	for _, r := range rows {
		m, err := toMessage(r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		if m.DeletedAt == nil {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	atts, err := s.read.AttachmentListByMessages(ctx, db.AttachmentListByMessagesParams{TenantID: tenantID, MessageIds: idsJSON(ids)})
	if err != nil {
		return nil, translate(err, "attachments")
	}
	byMessage := make(map[int64][]chat.Attachment, len(ids))
	for _, a := range atts {
		byMessage[*a.MessageID] = append(byMessage[*a.MessageID], toAttachment(db.AttachmentGetRow(a)))
	}
	for i := range out {
		out[i].Attachments = byMessage[out[i].ID]
	}
	return out, nil
}

func (s *Store) oneMessage(ctx context.Context, tenantID int64, r messageRow) (chat.Message, error) {
	ms, err := s.withAttachments(ctx, tenantID, []messageRow{r})
	if err != nil {
		return chat.Message{}, err
	}
	return ms[0], nil
}

// MessageInsert stores m and links its attachments (by id; each must be an
// unlinked upload of the tenant, else ENotFound). On return m carries its
// ID, CreatedAt and its attachments as stored.
func (s *Store) MessageInsert(ctx context.Context, m *chat.Message) error {
	if err := sqlrows.Persisted(m.Channel); err != nil {
		return err
	}
	created := orNow(m.CreatedAt)
	kind := m.Kind
	if kind == "" {
		kind = chat.MessageText
	}
	var clientID *string
	if m.ClientMsgID != "" {
		clientID = &m.ClientMsgID
	}
	var attIDs []int64
	for _, a := range m.Attachments {
		attIDs = append(attIDs, a.ID)
	}
	slices.Sort(attIDs)
	attIDs = slices.Compact(attIDs)

	return s.inTx(ctx, func(ts *Store) error {
		id, err := ts.write.MessageInsert(ctx, db.MessageInsertParams{
			TenantID:    m.TenantID,
			ChannelKind: string(m.Channel.Kind),
			ChannelID:   m.Channel.ID,
			Seq:         m.Seq,
			AuthorID:    m.AuthorID,
			ClientMsgID: clientID,
			Kind:        string(kind),
			Body:        m.Body,
			ReplyToID:   nonZero(m.ReplyToID),
			Mentions:    idsJSON(m.Mentions),
			CreatedAt:   micros(created),

			ExternalAuthor: m.ExternalAuthor,
		})
		if err != nil {
			return translate(err, "message")
		}
		var atts []chat.Attachment
		if len(attIDs) > 0 {
			n, err := ts.write.AttachmentLink(ctx, db.AttachmentLinkParams{TenantID: m.TenantID, MessageID: &id, Ids: idsJSON(attIDs)})
			if err != nil {
				return translate(err, "attachment")
			}
			if n != int64(len(attIDs)) {
				return chat.NotFound("attachment")
			}
			rows, err := ts.read.AttachmentListByMessages(ctx, db.AttachmentListByMessagesParams{TenantID: m.TenantID, MessageIds: idsJSON([]int64{id})})
			if err != nil {
				return translate(err, "attachments")
			}
			for _, r := range rows {
				atts = append(atts, toAttachment(db.AttachmentGetRow(r)))
			}
		}
		m.ID, m.CreatedAt, m.Kind, m.Attachments = id, created, kind, atts
		return nil
	})
}

func (s *Store) MessageGet(ctx context.Context, tenantID, id int64) (chat.Message, error) {
	r, err := s.read.MessageGet(ctx, db.MessageGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return chat.Message{}, translate(err, "message")
	}
	return s.oneMessage(ctx, tenantID, r)
}

func (s *Store) MessageByClientID(ctx context.Context, tenantID, authorID int64, clientMsgID string) (chat.Message, error) {
	if clientMsgID == "" {
		return chat.Message{}, chat.NotFound("message")
	}
	r, err := s.read.MessageByClientID(ctx, db.MessageByClientIDParams{TenantID: tenantID, AuthorID: authorID, ClientMsgID: &clientMsgID})
	if err != nil {
		return chat.Message{}, translate(err, "message")
	}
	return s.oneMessage(ctx, tenantID, messageRow(r))
}

// MessageEdit replaces the body of a message that is not deleted; a
// tombstone answers ENotFound.
func (s *Store) MessageEdit(ctx context.Context, tenantID, id int64, body string, at time.Time) error {
	v := micros(at)
	return mustAffect("message")(s.write.MessageEdit(ctx, db.MessageEditParams{TenantID: tenantID, ID: id, Body: body, EditedAt: &v}))
}

func (s *Store) MessageDelete(ctx context.Context, tenantID, id int64, at time.Time) error {
	return s.inTx(ctx, func(ts *Store) error {
		v := micros(at)
		if err := mustAffect("message")(ts.write.MessageTombstone(ctx, db.MessageTombstoneParams{TenantID: tenantID, ID: id, DeletedAt: &v})); err != nil {
			return err
		}
		err := ts.write.AttachmentDeleteByMessage(ctx, db.AttachmentDeleteByMessageParams{TenantID: tenantID, MessageID: &id})
		return translate(err, "attachments")
	})
}

func (s *Store) MessageHistory(ctx context.Context, tenantID int64, ch chat.Channel, beforeSeq int64, n int) ([]chat.Message, error) {
	if beforeSeq <= 0 {
		beforeSeq = math.MaxInt64
	}
	rows, err := s.read.MessageHistory(ctx, db.MessageHistoryParams{
		TenantID: tenantID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, BeforeSeq: beforeSeq, Lim: limit(n),
	})
	if err != nil {
		return nil, translate(err, "messages")
	}
	conv := make([]messageRow, len(rows))
	for i, r := range rows {
		conv[i] = messageRow(r)
	}
	return s.withAttachments(ctx, tenantID, conv)
}

func (s *Store) ChannelEventInsert(ctx context.Context, tenantID int64, ch chat.Channel, seq int64, typ chat.EventType, messageID int64, at time.Time) error {
	if err := sqlrows.Persisted(ch); err != nil {
		return err
	}
	n, err := s.write.ChannelEventInsert(ctx, db.ChannelEventInsertParams{
		TenantID: tenantID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, Seq: seq,
		Type: string(typ), MessageID: messageID, CreatedAt: micros(orNow(at)),
	})
	if err != nil {
		return translate(err, "channel event")
	}
	return mustAffect("message")(n, nil)
}

func (s *Store) ChannelEventsSince(ctx context.Context, tenantID int64, ch chat.Channel, since int64, n int) ([]chat.ChannelEvent, error) {
	rows, err := s.read.ChannelEventsSince(ctx, db.ChannelEventsSinceParams{
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
	rows, err := s.read.ChannelEventsAfter(ctx, db.ChannelEventsAfterParams{
		TenantID: tenantID, Cursors: cursorsJSON(cursors), Lim: limit(n),
	})
	if err != nil {
		return nil, translate(err, "channel events")
	}
	since := make([]db.ChannelEventsSinceRow, len(rows))
	for i, r := range rows {
		since[i] = db.ChannelEventsSinceRow(r)
	}
	return s.eventsFromRows(ctx, tenantID, since)
}

// eventsFromRows turns event rows into events with their messages and
// attachments; ChannelEventsSince and ChannelEventsAfter share it.
func (s *Store) eventsFromRows(ctx context.Context, tenantID int64, rows []db.ChannelEventsSinceRow) ([]chat.ChannelEvent, error) {
	conv := make([]messageRow, len(rows))
	for i, r := range rows {
		conv[i] = messageRow{Message: r.Message, AuthorName: r.AuthorName}
	}
	msgs, err := s.withAttachments(ctx, tenantID, conv)
	if err != nil {
		return nil, err
	}
	out := make([]chat.ChannelEvent, len(rows))
	for i, r := range rows {
		out[i] = chat.ChannelEvent{Seq: r.EventSeq, Type: chat.EventType(r.EventType), Message: msgs[i]}
	}
	return out, nil
}

func (s *Store) ReadStateSet(ctx context.Context, tenantID, userID int64, ch chat.Channel, seq int64) (int64, error) {
	stored, err := s.write.ReadStateSet(ctx, db.ReadStateSetParams{
		TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID, Seq: seq,
	})
	if err != nil {
		return 0, translateRef(err, "read state", "user")
	}
	return stored, nil
}

func (s *Store) ReadStateList(ctx context.Context, tenantID, userID int64, chs []chat.Channel) ([]chat.ReadState, error) {
	if len(chs) == 0 {
		return nil, nil
	}
	return list("read states", func(r db.ReadState) chat.ReadState {
		return chat.ReadState{Channel: chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID}, UserID: r.UserID, Seq: r.Seq}
	})(s.read.ReadStateList(ctx, db.ReadStateListParams{TenantID: tenantID, UserID: userID, Channels: channelsJSON(chs)}))
}

// ftsQuery turns a user's search into an FTS5 expression that matches
// messages containing every word: each word is a quoted string, so no
// character of the input can act as FTS syntax.
func ftsQuery(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > maxSearchWords {
		words = words[:maxSearchWords]
	}
	for i, w := range words {
		words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return strings.Join(words, " ")
}

func (s *Store) MessageSearch(ctx context.Context, tenantID int64, query string, chs []chat.Channel, f chat.MessageFilter, n int) ([]chat.Message, error) {
	match := ftsQuery(query)
	topics, conversations, notes := sqlrows.ChannelIDs(chs)
	if match == "" || len(topics)+len(conversations)+len(notes) == 0 {
		return nil, nil
	}
	rows, err := s.read.MessageSearch(ctx, db.MessageSearchParams{
		Query: match, TenantID: tenantID, TopicIds: idsJSON(topics), ConversationIds: idsJSON(conversations), NoteIds: idsJSON(notes), Lim: limit(n),
		AuthorID: f.AuthorID, CreatedAfter: timeBound(f.After, math.MinInt64), CreatedBefore: timeBound(f.Before, math.MaxInt64),
	})
	if err != nil {
		return nil, translate(err, "search")
	}
	conv := make([]messageRow, len(rows))
	for i, r := range rows {
		conv[i] = messageRow(r)
	}
	return s.withAttachments(ctx, tenantID, conv)
}

// timeBound is a filter's time in micros, or unbounded when zero.
func timeBound(t time.Time, unbounded int64) int64 {
	if t.IsZero() {
		return unbounded
	}
	return micros(t)
}

func toAttachment(r db.AttachmentGetRow) chat.Attachment {
	return chat.Attachment{
		ID:               r.ID,
		TenantID:         r.TenantID,
		MessageID:        r.MessageID,
		UploaderID:       r.UploaderID,
		Filename:         r.Filename,
		ContentType:      r.ContentType,
		Size:             r.Size,
		CreatedAt:        fromMicros(r.CreatedAt),
		Image:            chat.StoredImage(int(r.ImageWidth), int(r.ImageHeight), r.ThumbnailType),
		ThumbnailPending: chat.ThumbnailPending(r.ContentType, r.ThumbnailType),
	}
}

func (s *Store) AttachmentCreate(ctx context.Context, a *chat.Attachment, data, thumbnail []byte) error {
	created := orNow(a.CreatedAt)
	if data == nil {
		data = []byte{}
	}
	p := db.AttachmentInsertParams{
		TenantID: a.TenantID, UploaderID: a.UploaderID, Filename: a.Filename, ContentType: a.ContentType,
		Size: int64(len(data)), Data: data, CreatedAt: micros(created),
	}
	if a.Image != nil {
		if thumbnail == nil {
			thumbnail = []byte{}
		}
		p.ImageWidth, p.ImageHeight = int64(a.Image.Width), int64(a.Image.Height)
		p.ThumbnailType, p.Thumbnail = a.Image.ThumbnailType, thumbnail
	}
	id, err := s.write.AttachmentInsert(ctx, p)
	if err != nil {
		return translate(err, "attachment")
	}
	a.ID, a.CreatedAt, a.Size, a.MessageID = id, created, int64(len(data)), nil
	return nil
}

func (s *Store) AttachmentGet(ctx context.Context, tenantID, id int64) (chat.Attachment, error) {
	return one("attachment", toAttachment)(s.read.AttachmentGet(ctx, db.AttachmentGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) AttachmentData(ctx context.Context, tenantID, id int64) ([]byte, error) {
	data, err := s.read.AttachmentData(ctx, db.AttachmentDataParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "attachment")
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

func (s *Store) AttachmentThumbnail(ctx context.Context, tenantID, id int64) ([]byte, error) {
	data, err := s.read.AttachmentThumbnail(ctx, db.AttachmentThumbnailParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "thumbnail")
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

func (s *Store) AttachmentThumbnailSet(ctx context.Context, tenantID, id int64, img *chat.Image, thumbnail []byte) error {
	p := db.AttachmentThumbnailSetParams{TenantID: tenantID, ID: id, ThumbnailType: chat.NoThumbnail}
	if img != nil {
		if thumbnail == nil {
			thumbnail = []byte{}
		}
		p.ImageWidth, p.ImageHeight = int64(img.Width), int64(img.Height)
		p.ThumbnailType, p.Thumbnail = img.ThumbnailType, thumbnail
	}
	return translate(s.write.AttachmentThumbnailSet(ctx, p), "attachment")
}

func (s *Store) AttachmentDeleteUnlinked(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.write.AttachmentDeleteUnlinked(ctx, micros(before))
	return n, translate(err, "attachments")
}

func toDraft(r db.Draft) chat.Draft {
	d := chat.Draft{
		ID: r.ID, TenantID: r.TenantID, UserID: r.UserID,
		Subject: r.Subject, Body: r.Body, Data: r.Data, UpdatedAt: fromMicros(r.UpdatedAt),
	}
	if r.ChannelKind != nil && r.ChannelID != nil {
		d.Channel = &chat.Channel{Kind: chat.ChannelKind(*r.ChannelKind), ID: *r.ChannelID}
	}
	return d
}

// DraftSave inserts a draft (ID 0) or replaces the user's draft ID.
func (s *Store) DraftSave(ctx context.Context, d *chat.Draft) error {
	updated := orNow(d.UpdatedAt)
	var kind *string
	var chID *int64
	if d.Channel != nil {
		k, id := string(d.Channel.Kind), d.Channel.ID
		kind, chID = &k, &id
	}
	if d.ID == 0 {
		id, err := s.write.DraftInsert(ctx, db.DraftInsertParams{
			TenantID: d.TenantID, UserID: d.UserID, ChannelKind: kind, ChannelID: chID,
			Subject: d.Subject, Body: d.Body, Data: d.Data, UpdatedAt: micros(updated),
		})
		if err != nil {
			return translateRef(err, "draft", "user")
		}
		d.ID, d.UpdatedAt = id, updated
		return nil
	}
	err := mustAffect("draft")(s.write.DraftUpdate(ctx, db.DraftUpdateParams{
		TenantID: d.TenantID, UserID: d.UserID, ID: d.ID, ChannelKind: kind, ChannelID: chID,
		Subject: d.Subject, Body: d.Body, Data: d.Data, UpdatedAt: micros(updated),
	}))
	if err != nil {
		return err
	}
	d.UpdatedAt = updated
	return nil
}

func (s *Store) DraftGet(ctx context.Context, tenantID, userID, id int64) (chat.Draft, error) {
	return one("draft", toDraft)(s.read.DraftGet(ctx, db.DraftGetParams{TenantID: tenantID, UserID: userID, ID: id}))
}

func (s *Store) DraftList(ctx context.Context, tenantID, userID int64) ([]chat.Draft, error) {
	return list("drafts", toDraft)(s.read.DraftList(ctx, db.DraftListParams{TenantID: tenantID, UserID: userID}))
}

func (s *Store) DraftDelete(ctx context.Context, tenantID, userID, id int64) error {
	return mustAffect("draft")(s.write.DraftDelete(ctx, db.DraftDeleteParams{TenantID: tenantID, UserID: userID, ID: id}))
}
