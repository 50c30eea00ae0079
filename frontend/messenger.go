package frontend

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"parley/chat"
)

// registerMessenger adds the messenger's routes: groups, members, topics
// and their settings, read markers, history and posting. Every handler runs
// as the caller; chat.MessengerService decides access (other tenants' and
// non-members' groups and topics answer 404).
func (s *Server) registerMessenger(m *http.ServeMux) {
	const p = "/api/v1/messenger"
	m.Handle("GET "+p, s.authed(s.messengerOverview))
	m.Handle("GET "+p+"/groups", s.authed(s.messengerGroupList))
	m.Handle("GET "+p+"/users", s.authed(s.messengerUsers))
	m.Handle("POST "+p+"/groups", s.authed(s.messengerGroupCreate))
	m.Handle("GET "+p+"/groups/{id}", s.authed(s.messengerGroupGet))
	m.Handle("PATCH "+p+"/groups/{id}", s.authed(s.messengerGroupUpdate))
	m.Handle("GET "+p+"/groups/{id}/members", s.authed(s.messengerMembers))
	m.Handle("PUT "+p+"/groups/{id}/members", s.authed(s.messengerSetMembers))
	m.Handle("GET "+p+"/groups/{id}/topics", s.authed(s.messengerGroupTopics))
	m.Handle("POST "+p+"/groups/{id}/topics", s.authed(s.messengerTopicCreate))
	m.Handle("POST "+p+"/groups/{id}/read", s.authed(s.messengerGroupRead))
	m.Handle("GET "+p+"/topics/{id}", s.authed(s.messengerTopicGet))
	m.Handle("PATCH "+p+"/topics/{id}", s.authed(s.messengerTopicUpdate))
	m.Handle("POST "+p+"/topics/{id}/read", s.authed(s.messengerTopicRead))
	m.Handle("GET "+p+"/topics/{id}/messages", s.authed(threadHistory(s, "topic", chat.TopicChannel, viewTopicMessage)))
	m.Handle("POST "+p+"/topics/{id}/messages", s.authed(s.limited(s.postLimit, s.messengerPost)))
}

// --- views ---

type groupView struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	MemberIDs   []int64   `json:"member_ids,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewGroup(g chat.Group) groupView {
	return groupView{ID: g.ID, Name: g.Name, Description: g.Description, Active: g.Active, MemberIDs: g.MemberIDs,
		CreatedAt: g.CreatedAt}
}

func groupID(g chat.Group) int64 { return g.ID }

type topicView struct {
	ID                    int64      `json:"id"`
	GroupID               int64      `json:"group_id"`
	Name                  string     `json:"name"`
	EmailNotify           bool       `json:"email_notify"`
	NotifyIntervalSeconds int64      `json:"notify_interval_seconds"`
	Active                bool       `json:"active"`
	LastSeq               int64      `json:"last_seq"`
	LastMessageAt         *time.Time `json:"last_message_at"`
	CreatedAt             time.Time  `json:"created_at"`
	// ReadSeq and Unread are the caller's; absent in managers' lists.
	ReadSeq *int64 `json:"read_seq,omitempty"`
	Unread  *int64 `json:"unread,omitempty"`
}

func viewTopic(t chat.Topic) topicView {
	return topicView{ID: t.ID, GroupID: t.GroupID, Name: t.Name, EmailNotify: t.EmailNotify,
		NotifyIntervalSeconds: int64(t.NotifyInterval / time.Second), Active: t.Active, LastSeq: t.LastSeq,
		LastMessageAt: t.LastMessageAt, CreatedAt: t.CreatedAt}
}

func viewTopicRead(tv chat.TopicView) topicView {
	v := viewTopic(tv.Topic)
	v.ReadSeq, v.Unread = &tv.ReadSeq, &tv.Unread
	return v
}

type groupOverview struct {
	groupView
	Unread    int64       `json:"unread"`
	CanManage bool        `json:"can_manage"`
	Topics    []topicView `json:"topics"`
}

type topicMessageView struct {
	ID          int64            `json:"id"`
	Channel     chat.Channel     `json:"channel"`
	Seq         int64            `json:"seq"`
	AuthorID    int64            `json:"author_id"`
	AuthorName  string           `json:"author_name"`
	ClientMsgID string           `json:"client_msg_id,omitempty"`
	Kind        chat.MessageKind `json:"kind"`
	Body        string           `json:"body"`
	ReplyToID   *int64           `json:"reply_to_id,omitempty"`
	Mentions    []int64          `json:"mentions"`
	Attachments []attachmentRef  `json:"attachments"`
	Reactions   []chat.Reaction  `json:"reactions"`
	EditedAt    *time.Time       `json:"edited_at,omitempty"`
	DeletedAt   *time.Time       `json:"deleted_at,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
}

type attachmentRef struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func viewTopicMessage(m chat.Message) topicMessageView {
	v := topicMessageView{ID: m.ID, Channel: m.Channel, Seq: m.Seq, AuthorID: m.AuthorID, AuthorName: m.AuthorName, Reactions: nonNil(m.Reactions),
		ClientMsgID: m.ClientMsgID, Kind: m.Kind, Body: m.Body, ReplyToID: m.ReplyToID, Mentions: nonNil(m.Mentions),
		Attachments: []attachmentRef{}, EditedAt: m.EditedAt, DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt}
	for _, a := range m.Attachments {
		v.Attachments = append(v.Attachments, attachmentRef{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	return v
}

// --- groups ---

// messengerOverview answers the caller's groups with their active topics,
// read markers and unread counts.
func (s *Server) messengerOverview(w http.ResponseWriter, r *http.Request) error {
	gvs, err := s.messenger.Topics(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Groups []groupOverview `json:"groups"`
	}{Groups: make([]groupOverview, 0, len(gvs))}
	for _, gv := range gvs {
		o := groupOverview{groupView: viewGroup(gv.Group), Unread: gv.Unread, CanManage: gv.CanManage,
			Topics: make([]topicView, 0, len(gv.Topics))}
		for _, tv := range gv.Topics {
			o.Topics = append(o.Topics, viewTopicRead(tv))
		}
		out.Groups = append(out.Groups, o)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) messengerGroupList(w http.ResponseWriter, r *http.Request) error {
	return listItems(s.messenger.Groups, groupID, viewGroup)(w, r)
}

func (s *Server) messengerGroupCreate(w http.ResponseWriter, r *http.Request) error {
	create := func(ctx context.Context, in newGroupInput) (chat.Group, error) {
		active := in.Active == nil || *in.Active // a new group is active unless said otherwise
		return s.messenger.CreateGroup(ctx, chat.GroupInput{Name: in.Name, Description: in.Description, Active: active})
	}
	return createItem(create, groupID, viewGroup)(w, r)
}

// newGroupInput is the body of POST .../groups.
type newGroupInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Active      *bool  `json:"active"`
}

func (s *Server) messengerGroupGet(w http.ResponseWriter, r *http.Request) error {
	return answerItem("group", s.messenger.Group, viewGroup)(w, r)
}

func (s *Server) messengerGroupUpdate(w http.ResponseWriter, r *http.Request) error {
	return updateItem("group", s.messenger.PatchGroup, viewGroup)(w, r)
}

func (s *Server) messengerMembers(w http.ResponseWriter, r *http.Request) error {
	return answerItem("group", s.messenger.GroupMembers, allItemsOf(asIs[chat.GroupMember]))(w, r)
}

func (s *Server) messengerSetMembers(w http.ResponseWriter, r *http.Request) error {
	update := func(ctx context.Context, id int64, in membersInput) (chat.Group, error) {
		return s.messenger.SetGroupMembers(ctx, id, in.UserIDs)
	}
	return updateItem("group", update, viewGroup)(w, r)
}

// membersInput is the body of PUT .../members: the whole new member list.
type membersInput struct {
	UserIDs []int64 `json:"user_ids"`
}

func (s *Server) messengerGroupRead(w http.ResponseWriter, r *http.Request) error {
	return actOnItem("group", s.messenger.MarkGroupRead)(w, r)
}

// --- topics ---

// topicSettings is the JSON of a topic's settings; nil fields stay.
type topicSettings struct {
	Name                  *string `json:"name"`
	EmailNotify           *bool   `json:"email_notify"`
	NotifyIntervalSeconds *int64  `json:"notify_interval_seconds"`
	Active                *bool   `json:"active"`
}

// patch converts the settings, rejecting intervals that would overflow.
func (ts topicSettings) patch() (chat.TopicPatch, error) {
	p := chat.TopicPatch{Name: ts.Name, EmailNotify: ts.EmailNotify, Active: ts.Active}
	if ts.NotifyIntervalSeconds != nil {
		n := *ts.NotifyIntervalSeconds
		if n < 0 || n > int64(chat.MaxNotifyInterval/time.Second) {
			return p, chat.Errorf(chat.EInvalid, "notify_interval_seconds must be from 0 to %d (7 days)", int64(chat.MaxNotifyInterval/time.Second))
		}
		d := time.Duration(n) * time.Second
		p.NotifyInterval = &d
	}
	return p, nil
}

func (s *Server) messengerGroupTopics(w http.ResponseWriter, r *http.Request) error {
	return answerItem("group", s.messenger.GroupTopics, allItemsOf(viewTopic))(w, r)
}

func (s *Server) messengerTopicCreate(w http.ResponseWriter, r *http.Request) error {
	groupID, err := pathID(r, "id", "group")
	if err != nil {
		return err
	}
	var in topicSettings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := in.patch()
	if err != nil {
		return err
	}
	ti := chat.TopicInput{Active: true}
	if p.Name != nil {
		ti.Name = *p.Name
	}
	if p.EmailNotify != nil {
		ti.EmailNotify = *p.EmailNotify
	}
	if p.NotifyInterval != nil {
		ti.NotifyInterval = *p.NotifyInterval
	}
	if p.Active != nil {
		ti.Active = *p.Active
	}
	t, err := s.messenger.CreateTopic(r.Context(), groupID, ti)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/messenger/topics/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, viewTopic(t))
	return nil
}

func (s *Server) messengerTopicGet(w http.ResponseWriter, r *http.Request) error {
	return answerItem("topic", s.messenger.Topic, viewTopicRead)(w, r)
}

func (s *Server) messengerTopicUpdate(w http.ResponseWriter, r *http.Request) error {
	update := func(ctx context.Context, id int64, in topicSettings) (chat.Topic, error) {
		p, err := in.patch()
		if err != nil {
			return chat.Topic{}, err
		}
		return s.messenger.PatchTopic(ctx, id, p)
	}
	return updateItem("topic", update, viewTopic)(w, r)
}

// messengerTopicRead moves the read marker: to {"seq": n}, or to the newest
// message without a body.
func (s *Server) messengerTopicRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "topic")
	if err != nil {
		return err
	}
	var in readInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	seq, err := s.messenger.MarkTopicRead(r.Context(), id, in.Seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewReadSeq(seq))
	return nil
}

// readInput is the body of a POST .../read: the seq read up to.
type readInput struct {
	Seq int64 `json:"seq"`
}

// viewReadSeq answers a read marker move with the stored marker.
func viewReadSeq(seq int64) map[string]int64 { return map[string]int64{"read_seq": seq} }

// messengerPost publishes a message to the topic; the socket is the usual
// way, this serves API clients.
func (s *Server) messengerPost(w http.ResponseWriter, r *http.Request) error {
	return threadPost(s, "topic", chat.TopicChannel, viewTopicMessage)(w, r)
}

// messengerUsers answers the messenger users page: the caller's groups
// with their members' names.
func (s *Server) messengerUsers(w http.ResponseWriter, r *http.Request) error {
	view := func(gs []chat.GroupWithMembers) list[chat.GroupWithMembers] {
		return list[chat.GroupWithMembers]{Items: gs}
	}
	return answerCaller(s.messenger.MyGroupMembers, view)(w, r)
}
