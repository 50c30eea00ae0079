package frontend

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"parley/chat"
)

// registerConversations adds the support conversation routes: lists and
// filters, creation with the receiver preview, the thread, replies, read
// markers, ownership and status actions, and the retention preview and
// run log for tenant admins. It also registers categories, attachments
// and drafts. chat.ConversationService decides every access; invisible and other
// tenants' conversations answer 404.
func (s *Server) registerConversations(m *http.ServeMux) {
	const p = "/api/v1/conversations"
	m.Handle("GET "+p, s.authed(s.conversationList))
	m.Handle("POST "+p, s.authed(s.limited(s.postLimit, s.conversationCreate)))
	m.Handle("POST "+p+"/preview", s.authed(s.conversationPreview))
	m.Handle("GET "+p+"/status-labels", s.authed(s.conversationStatusLabels))
	m.Handle("GET "+p+"/queues", s.authed(s.conversationQueues))
	m.Handle("GET "+p+"/{id}", s.authed(s.conversationGet))
	m.Handle("GET "+p+"/{id}/receivers", s.authed(s.conversationReceivers))
	m.Handle("GET "+p+"/{id}/messages", s.authed(threadHistory(s, "conversation", chat.ConversationChannel, viewConversationMessage)))
	m.Handle("POST "+p+"/{id}/messages", s.authed(s.limited(s.postLimit, s.conversationPost)))
	m.Handle("GET "+p+"/{id}/notes", s.authed(threadHistory(s, "conversation", chat.NoteChannel, viewConversationMessage)))
	m.Handle("POST "+p+"/{id}/notes", s.authed(s.limited(s.postLimit, s.conversationNotePost)))
	m.Handle("GET "+p+"/admin-candidates", s.authed(s.conversationAdminCandidates))
	m.Handle("GET "+p+"/{id}/admin-candidates", s.authed(s.conversationAdminCandidates))
	m.Handle("POST "+p+"/{id}/read", s.authed(s.conversationRead))
	m.Handle("POST "+p+"/{id}/take", s.authed(s.conversationTake))
	m.Handle("PUT "+p+"/{id}/handler", s.authed(s.conversationSetUser(s.conversations.SetConversationHandler)))
	m.Handle("PUT "+p+"/{id}/assignee", s.authed(s.conversationSetUser(s.conversations.SetCustomerAssignee)))
	m.Handle("PUT "+p+"/{id}/admin", s.authed(s.conversationSetUser(s.conversations.SetConversationAdmin)))
	m.Handle("PUT "+p+"/{id}/status", s.authed(s.conversationSetStatus))
	m.Handle("POST "+p+"/{id}/external-emails", s.authed(s.limited(s.postLimit, s.conversationAddEmails)))
	m.Handle("POST "+p+"/{id}/notify-admins", s.authed(s.limited(s.postLimit, s.conversationNotifyAdmins)))

	m.Handle("GET /api/v1/retention/preview", s.authed(s.retentionPreview))
	m.Handle("GET /api/v1/retention/runs", s.authed(s.retentionRuns))

	s.registerCategories(m)
	s.registerAttachments(m)
	s.registerDrafts(m)
}

// --- views ---

type conversationView struct {
	ID                 int64                    `json:"id"`
	Subject            string                   `json:"subject"`
	CategoryID         int64                    `json:"category_id"`
	Status             chat.ConversationStatus  `json:"status"`
	StatusLabel        string                   `json:"status_label"`
	CreatorID          int64                    `json:"creator_id"`
	HandlerID          *int64                   `json:"handler_id"`
	CustomerAssigneeID *int64                   `json:"customer_assignee_id"`
	AdminID            *int64                   `json:"admin_id"`
	RelatedCompanyID   *int64                   `json:"related_company_id"`
	RelatedUserID      *int64                   `json:"related_user_id"`
	RoleIDs            []int64                  `json:"role_ids"`
	ExternalEmails     []string                 `json:"external_emails"`
	NotifyAdmins       bool                     `json:"notify_admins"`
	ToCustomer         bool                     `json:"to_customer"`
	CustomerCompanyID  *int64                   `json:"customer_company_id"`
	AwaitingSince      *time.Time               `json:"awaiting_since"`
	LastSeq            int64                    `json:"last_seq"`
	ReadSeq            int64                    `json:"read_seq"`
	Unread             int64                    `json:"unread"`
	LastActivityAt     time.Time                `json:"last_activity_at"`
	CreatedAt          time.Time                `json:"created_at"`
	Can                chat.ConversationActions `json:"can"`
	Names              map[int64]string         `json:"names"`
}

func viewConversation(v chat.ConversationView) conversationView {
	c := v.Conversation
	out := conversationView{ID: c.ID, Subject: c.Subject, CategoryID: c.CategoryID, Status: c.Status,
		StatusLabel: v.StatusLabel, CreatorID: c.CreatorID, HandlerID: c.HandlerID, CustomerAssigneeID: c.CustomerAssigneeID,
		AdminID: c.AdminID, RelatedCompanyID: c.RelatedCompanyID, RelatedUserID: c.RelatedUserID,
		RoleIDs: nonNil(c.RoleIDs), ExternalEmails: nonNil(c.ExternalEmails), NotifyAdmins: c.NotifyAdmins,
		ToCustomer: c.ToCustomer, CustomerCompanyID: c.CustomerCompanyID, AwaitingSince: c.AwaitingSince,
		LastSeq: c.LastSeq, ReadSeq: v.ReadSeq, Unread: v.Unread, LastActivityAt: c.LastActivityAt,
		CreatedAt: c.CreatedAt, Can: v.Can, Names: v.Names}
	if out.Names == nil {
		out.Names = map[int64]string{}
	}
	return out
}

func conversationViewID(v chat.ConversationView) int64 { return v.ID }

// plainConversation is a conversation without the caller's read state
// (retention preview).
type plainConversation struct {
	ID               int64                   `json:"id"`
	Subject          string                  `json:"subject"`
	CategoryID       int64                   `json:"category_id"`
	Status           chat.ConversationStatus `json:"status"`
	RelatedCompanyID *int64                  `json:"related_company_id"`
	LastActivityAt   time.Time               `json:"last_activity_at"`
	CreatedAt        time.Time               `json:"created_at"`
}

func viewPlainConversation(c chat.Conversation) plainConversation {
	return plainConversation{ID: c.ID, Subject: c.Subject, CategoryID: c.CategoryID, Status: c.Status,
		RelatedCompanyID: c.RelatedCompanyID, LastActivityAt: c.LastActivityAt, CreatedAt: c.CreatedAt}
}

// conversationMessageView is an entry of the thread: a message, or for
// kind "status" a change whose details are in change.
type conversationMessageView struct {
	ID         int64  `json:"id"`
	Seq        int64  `json:"seq"`
	AuthorID   int64  `json:"author_id"`
	AuthorName string `json:"author_name"`
	// ExternalAuthor: the address of the external participant who wrote
	// it by email (AuthorID 0).
	ExternalAuthor string                   `json:"external_author,omitempty"`
	ClientMsgID    string                   `json:"client_msg_id,omitempty"`
	Kind           chat.MessageKind         `json:"kind"`
	Body           string                   `json:"body"`
	Change         *chat.ConversationChange `json:"change,omitempty"`
	// Internal marks an internal note (GET .../notes): never shown to
	// the customer side.
	Internal    bool             `json:"internal,omitempty"`
	Attachments []attachmentView `json:"attachments"`
	Reactions   []chat.Reaction  `json:"reactions"`
	EditedAt    *time.Time       `json:"edited_at,omitempty"`
	DeletedAt   *time.Time       `json:"deleted_at,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
}

func viewConversationMessage(m chat.Message) conversationMessageView {
	v := conversationMessageView{ID: m.ID, Seq: m.Seq, AuthorID: m.AuthorID, AuthorName: m.AuthorName, Reactions: nonNil(m.Reactions),
		ExternalAuthor: m.ExternalAuthor, ClientMsgID: m.ClientMsgID, Kind: m.Kind, Body: m.Body, Attachments: []attachmentView{},
		EditedAt: m.EditedAt, DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt, Internal: m.Channel.Kind == chat.KindNote}
	if m.Kind == chat.MessageStatus {
		var ch chat.ConversationChange
		if json.Unmarshal([]byte(m.Body), &ch) == nil {
			v.Change, v.Body = &ch, ""
		}
	}
	for _, a := range m.Attachments {
		v.Attachments = append(v.Attachments, viewAttachment(a))
	}
	return v
}

// --- handlers ---

func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, chat.Errorf(chat.EInvalid, "%s must be an id", name)
	}
	return n, nil
}

// conversationList answers ?mine=1&status=&category=&handler=&company=
// with after/limit paging, most recently active first, or ?queue= (with
// category= for the category queue), oldest first.
func (s *Server) conversationList(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := chat.ConversationQuery{Page: page, Status: chat.ConversationStatus(r.URL.Query().Get("status")),
		Queue: chat.Queue(r.URL.Query().Get("queue"))}
	switch r.URL.Query().Get("mine") {
	case "", "0", "false":
	case "1", "true":
		q.Mine = true
	default:
		return chat.Errorf(chat.EInvalid, "mine must be true or false")
	}
	for name, dst := range map[string]*int64{"category": &q.CategoryID, "handler": &q.HandlerID, "company": &q.CompanyID} {
		if *dst, err = queryID(r, name); err != nil {
			return err
		}
	}
	cs, err := s.conversations.Conversations(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cs, page, conversationViewID, viewConversation))
	return nil
}

func (s *Server) conversationCreate(w http.ResponseWriter, r *http.Request) error {
	return createItem(s.conversations.CreateConversation, conversationViewID, viewConversation)(w, r)
}

// conversationPreview answers who would see a conversation started with
// the same fields as POST /conversations (subject and body may be empty).
func (s *Server) conversationPreview(w http.ResponseWriter, r *http.Request) error {
	var in chat.NewConversationInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.conversations.ReceiverPreview(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// conversationQueues answers the caller's queue counts.
func (s *Server) conversationQueues(w http.ResponseWriter, r *http.Request) error {
	return answerCaller(s.conversations.Queues, asIs[chat.QueueCounts])(w, r)
}

func (s *Server) conversationStatusLabels(w http.ResponseWriter, r *http.Request) error {
	return answerCaller(s.conversations.StatusLabels, asIs[map[chat.ConversationStatus]string])(w, r)
}

func (s *Server) conversationGet(w http.ResponseWriter, r *http.Request) error {
	return answerItem("conversation", s.conversations.Conversation, viewConversation)(w, r)
}

func (s *Server) conversationReceivers(w http.ResponseWriter, r *http.Request) error {
	return answerItem("conversation", s.conversations.ConversationReceivers, asIs[chat.ReceiverList])(w, r)
}

// conversationPost replies; the socket is the usual way, this serves API
// clients and the first page load.
func (s *Server) conversationPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "conversation")
	if err != nil {
		return err
	}
	var in struct {
		postRequest
		// DraftID is discarded once the reply is stored.
		DraftID int64 `json:"draft_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.messages.Publish(r.Context(), in.input(chat.ConversationChannel(id)))
	if err != nil {
		return err
	}
	if in.DraftID != 0 {
		if err := s.messages.DiscardDraft(r.Context(), in.DraftID); err != nil && !chat.IsCode(err, chat.ENotFound) {
			s.log.Warn().Err(err).Msg("discard draft after reply")
		}
	}
	writeJSON(w, http.StatusCreated, viewConversationMessage(m))
	return nil
}

// conversationNotePost writes an internal note (the socket's publish to
// note:<id> does the same).
func (s *Server) conversationNotePost(w http.ResponseWriter, r *http.Request) error {
	return threadPost(s, "conversation", chat.NoteChannel, viewConversationMessage)(w, r)
}

// candidateView is a user offered in a choice list: id and name only.
type candidateView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func viewCandidate(u chat.User) candidateView { return candidateView{ID: u.ID, Name: u.Name} }

// conversationAdminCandidates answers whom the caller may designate as
// the administrator of the conversation in the path (or of a new one
// without it): {"items": [{"id", "name"}]}, by name, never paged.
func (s *Server) conversationAdminCandidates(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r, "id", "conversation"); err != nil {
			return err
		}
	}
	us, err := s.conversations.AdminCandidates(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, allItems(us, viewCandidate))
	return nil
}

func (s *Server) conversationRead(w http.ResponseWriter, r *http.Request) error {
	mark := func(ctx context.Context, id int64, in readInput) (int64, error) {
		return s.conversations.MarkConversationRead(ctx, id, in.Seq)
	}
	return updateItem("conversation", mark, viewReadSeq)(w, r)
}

func (s *Server) conversationTake(w http.ResponseWriter, r *http.Request) error {
	return answerItem("conversation", s.conversations.TakeConversation, viewConversation)(w, r)
}

// conversationSetUser serves the PUTs that name a user ({"user_id": n},
// null removes): handler, customer assignee, designated administrator.
func (s *Server) conversationSetUser(set func(ctx context.Context, id int64, userID *int64) (chat.ConversationView, error)) apiFunc {
	update := func(ctx context.Context, id int64, in userChoice) (chat.ConversationView, error) {
		return set(ctx, id, in.UserID)
	}
	return updateItem("conversation", update, viewConversation)
}

// userChoice is the body of the PUTs that name a user.
type userChoice struct {
	UserID *int64 `json:"user_id"`
}

// statusInput is the body of PUT .../status.
type statusInput struct {
	Status chat.ConversationStatus `json:"status"`
}

// emailsInput is the body of POST .../external-emails.
type emailsInput struct {
	Emails []string `json:"emails"`
}

func (s *Server) conversationSetStatus(w http.ResponseWriter, r *http.Request) error {
	update := func(ctx context.Context, id int64, in statusInput) (chat.ConversationView, error) {
		return s.conversations.SetConversationStatus(ctx, id, in.Status)
	}
	return updateItem("conversation", update, viewConversation)(w, r)
}

func (s *Server) conversationAddEmails(w http.ResponseWriter, r *http.Request) error {
	update := func(ctx context.Context, id int64, in emailsInput) (chat.ConversationView, error) {
		return s.conversations.AddExternalEmails(ctx, id, in.Emails)
	}
	return updateItem("conversation", update, viewConversation)(w, r)
}

func (s *Server) conversationNotifyAdmins(w http.ResponseWriter, r *http.Request) error {
	return answerItem("conversation", s.conversations.NotifyAdministrators, viewConversation)(w, r)
}

// retentionPreview answers what the next clean-up run would delete
// (tenant admins).
func (s *Server) retentionPreview(w http.ResponseWriter, r *http.Request) error {
	return firstItems(s.conversations.RetentionPreview, viewPlainConversation)(w, r)
}

type retentionRunView struct {
	ID        int64     `json:"id"`
	StartedAt time.Time `json:"started_at"`
	Deleted   int64     `json:"deleted"`
	Node      string    `json:"node"`
}

func viewRetentionRun(run chat.RetentionRun) retentionRunView {
	return retentionRunView{ID: run.ID, StartedAt: run.StartedAt, Deleted: run.Deleted, Node: run.Node}
}

func (s *Server) retentionRuns(w http.ResponseWriter, r *http.Request) error {
	return firstItems(s.conversations.RetentionRuns, viewRetentionRun)(w, r)
}
