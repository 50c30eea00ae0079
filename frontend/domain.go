package frontend

import (
	"context"
	"io"

	"parley/chat"
)

// Domain is the part of the domain the HTTP API calls: one interface per
// chat service, each with only the methods the handlers use, so that a
// handler's dependencies are visible and a test can see what it touches.
// The *chat.XService types satisfy them; their comments list the error
// codes, which errors.go turns into HTTP statuses.
type Domain struct {
	Sessions      Sessions
	Directory     Directory
	Messenger     Messenger
	Conversations Conversations
	Messages      Messages
	Notifications Notifications
	CannedReplies CannedReplies
}

// Sessions logs users in and out and checks session cookies. (chat.SessionService)
type Sessions interface {
	Authenticate(ctx context.Context, sessionID string) (*chat.Principal, error)
	ChangePassword(ctx context.Context, oldPassword string, newPassword string) error
	Login(ctx context.Context, email string, password string, ip string, userAgent string) (chat.Session, chat.User, error)
	Logout(ctx context.Context) error
	LogoutEverywhere(ctx context.Context) error
}

// Directory administers tenants, companies, users and roles. (chat.DirectoryService)
type Directory interface {
	CompanyCreate(ctx context.Context, tenantID int64, name string) (chat.Company, error)
	CompanyGet(ctx context.Context, tenantID int64, id int64) (chat.Company, error)
	CompanyList(ctx context.Context, tenantID int64, page chat.Page) ([]chat.Company, error)
	CompanyUpdate(ctx context.Context, tenantID int64, id int64, name string) (chat.Company, error)
	Me(ctx context.Context) (chat.User, error)
	RoleCreate(ctx context.Context, tenantID int64, in chat.RoleInput) (chat.Role, error)
	RoleDelete(ctx context.Context, tenantID int64, id int64) error
	RoleGet(ctx context.Context, tenantID int64, id int64) (chat.Role, error)
	RoleList(ctx context.Context, tenantID int64) ([]chat.Role, error)
	RoleUpdate(ctx context.Context, tenantID int64, id int64, patch chat.RolePatch) (chat.Role, error)
	TenantCreate(ctx context.Context, in chat.TenantInput) (chat.Tenant, error)
	TenantGet(ctx context.Context, id int64) (chat.Tenant, error)
	TenantList(ctx context.Context, page chat.Page) ([]chat.Tenant, error)
	TenantUpdate(ctx context.Context, id int64, patch chat.TenantPatch) (chat.Tenant, error)
	UserCreate(ctx context.Context, tenantID int64, in chat.UserInput) (chat.User, error)
	UserGet(ctx context.Context, tenantID int64, id int64) (chat.User, error)
	UserList(ctx context.Context, tenantID int64, f chat.UserFilter, page chat.Page) ([]chat.User, error)
	UserCards(ctx context.Context, ids []int64) (map[int64]chat.UserCard, error)
	SetAvatar(ctx context.Context, filename string, r io.Reader) (int64, error)
	RemoveAvatar(ctx context.Context) error
	Avatar(ctx context.Context, userID int64) (chat.StoredAvatar, error)
	UserResetPassword(ctx context.Context, tenantID int64, id int64, password string) (string, error)
	UserUpdate(ctx context.Context, tenantID int64, id int64, patch chat.UserPatch) (chat.User, error)
}

// Messenger serves the group messenger: groups, members, topics. (chat.MessengerService)
type Messenger interface {
	CreateGroup(ctx context.Context, in chat.GroupInput) (chat.Group, error)
	CreateTopic(ctx context.Context, groupID int64, in chat.TopicInput) (chat.Topic, error)
	Group(ctx context.Context, id int64) (chat.Group, error)
	GroupMembers(ctx context.Context, id int64) ([]chat.GroupMember, error)
	GroupTopics(ctx context.Context, groupID int64) ([]chat.Topic, error)
	Groups(ctx context.Context, page chat.Page) ([]chat.Group, error)
	MyGroupMembers(ctx context.Context) ([]chat.GroupWithMembers, error)
	MarkGroupRead(ctx context.Context, groupID int64) error
	MarkTopicRead(ctx context.Context, id int64, seq int64) (int64, error)
	PatchGroup(ctx context.Context, id int64, patch chat.GroupPatch) (chat.Group, error)
	PatchTopic(ctx context.Context, id int64, patch chat.TopicPatch) (chat.Topic, error)
	SetGroupMembers(ctx context.Context, id int64, userIDs []int64) (chat.Group, error)
	Topic(ctx context.Context, id int64) (chat.TopicView, error)
	Topics(ctx context.Context) ([]chat.GroupView, error)
}

// Conversations serves support conversations, their categories and retention. (chat.ConversationService)
type Conversations interface {
	AddExternalEmails(ctx context.Context, id int64, emails []string) (chat.ConversationView, error)
	AdminCandidates(ctx context.Context, id int64) ([]chat.User, error)
	Categories(ctx context.Context, all bool) ([]chat.Category, error)
	Category(ctx context.Context, id int64) (chat.Category, error)
	Conversation(ctx context.Context, id int64) (chat.ConversationView, error)
	ConversationReceivers(ctx context.Context, id int64) (chat.ReceiverList, error)
	Conversations(ctx context.Context, q chat.ConversationQuery) ([]chat.ConversationView, error)
	CreateCategory(ctx context.Context, in chat.CategoryInput) (chat.Category, error)
	CreateConversation(ctx context.Context, in chat.NewConversationInput) (chat.ConversationView, error)
	MarkConversationRead(ctx context.Context, id int64, seq int64) (int64, error)
	NotifyAdministrators(ctx context.Context, id int64) (chat.ConversationView, error)
	Queues(ctx context.Context) (chat.QueueCounts, error)
	ReceiverPreview(ctx context.Context, in chat.NewConversationInput) (chat.ReceiverList, error)
	RetentionPreview(ctx context.Context, limit int) ([]chat.Conversation, error)
	RetentionRuns(ctx context.Context, limit int) ([]chat.RetentionRun, error)
	SetConversationAdmin(ctx context.Context, id int64, userID *int64) (chat.ConversationView, error)
	SetConversationHandler(ctx context.Context, id int64, userID *int64) (chat.ConversationView, error)
	SetConversationStatus(ctx context.Context, id int64, status chat.ConversationStatus) (chat.ConversationView, error)
	SetCustomerAssignee(ctx context.Context, id int64, userID *int64) (chat.ConversationView, error)
	StatusLabels(ctx context.Context) (map[chat.ConversationStatus]string, error)
	TakeConversation(ctx context.Context, id int64) (chat.ConversationView, error)
	UpdateCategory(ctx context.Context, id int64, in chat.CategoryInput) (chat.Category, error)
}

// Messages serves what every thread shares: posts, history, attachments, drafts, search. (chat.MessageService)
type Messages interface {
	AttachmentLimits() chat.AttachmentLimits
	DiscardDraft(ctx context.Context, id int64) error
	Draft(ctx context.Context, id int64) (chat.Draft, error)
	Drafts(ctx context.Context) ([]chat.Draft, error)
	History(ctx context.Context, ch chat.Channel, beforeSeq int64, limit int) ([]chat.Message, error)
	HistoryAround(ctx context.Context, ch chat.Channel, id int64, limit int) ([]chat.Message, error)
	OpenAttachment(ctx context.Context, id int64) (chat.Attachment, []byte, error)
	OpenThumbnail(ctx context.Context, id int64) (chat.Attachment, []byte, error)
	Publish(ctx context.Context, in chat.PublishInput) (chat.Message, error)
	React(ctx context.Context, id int64, emoji string, add bool) (chat.Message, error)
	SaveDraft(ctx context.Context, in chat.DraftInput) (chat.Draft, error)
	SearchIn(ctx context.Context, q chat.SearchQuery) ([]chat.SearchHit, error)
	UploadAttachment(ctx context.Context, filename string, r io.Reader) (chat.Attachment, error)
}

// Notifications serves a user's notifications, preferences, mutes and push devices. (chat.NotificationService)
type Notifications interface {
	MarkAllNotificationsRead(ctx context.Context, upTo int64) error
	MarkNotificationRead(ctx context.Context, id int64) error
	Muted(ctx context.Context, ch chat.Channel) (bool, error)
	NotificationLog(ctx context.Context, userID int64, messageID int64, page chat.Page) ([]chat.NotifyLogEntry, error)
	NotificationPrefs(ctx context.Context) (chat.NotificationPrefs, error)
	NotificationUnreadCount(ctx context.Context) (int64, error)
	Notifications(ctx context.Context, page chat.Page) ([]chat.Notification, error)
	NotificationsNewest(ctx context.Context, before int64, limit int) ([]chat.Notification, error)
	SetMuted(ctx context.Context, ch chat.Channel, muted bool) error
	SetNotificationPrefs(ctx context.Context, change chat.NotificationPrefsChange) (chat.NotificationPrefs, error)
	SubscribePush(ctx context.Context, in chat.PushSubscriptionInput) (chat.PushSubscription, error)
	UnsubscribePush(ctx context.Context, endpoint string) error
	PushDeviceCount(ctx context.Context) (int, error)
}

// CannedReplies keeps the handler side's canned replies. (chat.CannedReplyService)
type CannedReplies interface {
	CannedReplies(ctx context.Context, query string) ([]chat.CannedReplyView, error)
	CreateCannedReply(ctx context.Context, in chat.CannedReplyInput) (chat.CannedReplyView, error)
	DeleteCannedReply(ctx context.Context, id int64) error
	ExpandCannedReply(ctx context.Context, id int64, conversationID int64) (chat.ExpandedReply, error)
	UpdateCannedReply(ctx context.Context, id int64, in chat.CannedReplyInput) (chat.CannedReplyView, error)
}

// missing names the first nil service, for New's error.
func (d Domain) missing() string {
	switch {
	case d.Sessions == nil:
		return "Sessions"
	case d.Directory == nil:
		return "Directory"
	case d.Messenger == nil:
		return "Messenger"
	case d.Conversations == nil:
		return "Conversations"
	case d.Messages == nil:
		return "Messages"
	case d.Notifications == nil:
		return "Notifications"
	case d.CannedReplies == nil:
		return "CannedReplies"
	}
	return ""
}

// DomainOf is the Domain of svc, for wiring (cmd/parley, tests).
func DomainOf(svc *chat.Service) Domain {
	return Domain{Sessions: svc.Sessions, Directory: svc.Directory, Messenger: svc.Messenger,
		Conversations: svc.Conversations, Messages: svc.Messages, Notifications: svc.Notifications,
		CannedReplies: svc.CannedReplies}
}
