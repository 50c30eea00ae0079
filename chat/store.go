package chat

import (
	"context"
	"time"
)

// Store persists Parley's state. Implementations: storage/postgres and
// storage/sqlite; one conformance suite (storage/storetest) holds them to
// the same behaviour.
//
// Conventions every method follows:
//   - every query is scoped by tenantID; a row of another tenant is
//     ENotFound, never visible;
//   - a missing row is an *Error with ENotFound, never (zero, nil);
//   - a unique violation is EConflict;
//   - lists are keyset-paginated by id ascending unless stated otherwise;
//   - Create methods set ID and CreatedAt on their argument.
type Store interface {
	// InTx runs fn in one transaction with a Store bound to it. fn's error
	// rolls back; nested InTx calls join the outer transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error
	Close() error

	TenantStore
	UserStore
	SessionStore
	MessengerStore
	MessageStore
	ConversationStore
	NotificationStore
	ReactionStore
	CannedReplyStore
	ClusterStore
	ReplyMailStore
}

// ReplyMailStore keeps what reply by email needs beyond messages: each
// tenant's signing key and each user's revocation time (replymail.go).
type ReplyMailStore interface {
	// ReplyKeyEnsure returns the tenant's key, storing candidate as the
	// key first when the tenant has none (the first use on any node wins).
	ReplyKeyEnsure(ctx context.Context, tenantID int64, candidate []byte, at time.Time) ([]byte, error)
	// ReplyRevocationSet makes the user's reply addresses issued before
	// notBefore invalid.
	ReplyRevocationSet(ctx context.Context, tenantID, userID int64, notBefore time.Time) error
	// ReplyRevocationGet returns the user's revocation time; ENotFound
	// when none was ever set.
	ReplyRevocationGet(ctx context.Context, tenantID, userID int64) (time.Time, error)
}

// ClusterStore keeps what the nodes of a cluster tell each other through
// the database: which nodes cannot reach the broker. Not tenant data.
type ClusterStore interface {
	// BrokerOutageSet records, or renews, that node cannot reach the
	// broker, until expiresAt.
	BrokerOutageSet(ctx context.Context, node string, expiresAt time.Time) error
	// BrokerOutageClear removes node's record (none: nil) and every
	// record expired at now.
	BrokerOutageClear(ctx context.Context, node string, now time.Time) error
	// BrokerOutageNodes lists, sorted, the nodes whose record expires
	// after now.
	BrokerOutageNodes(ctx context.Context, now time.Time) ([]string, error)
}

// ReactionStore keeps emoji reactions on messages (chat/reaction.go).
type ReactionStore interface {
	// ReactionAdd records userID's emoji on a message of the tenant and
	// reports whether it was new (false: it was there already). Another
	// tenant's or a missing message is ENotFound.
	ReactionAdd(ctx context.Context, tenantID, messageID, userID int64, emoji string, at time.Time) (bool, error)
	// ReactionRemove removes it and reports whether it was there.
	ReactionRemove(ctx context.Context, tenantID, messageID, userID int64, emoji string) (bool, error)
	// ReactionList returns the reactions on the messages, by message id,
	// then oldest first (ties by user id, then emoji).
	ReactionList(ctx context.Context, tenantID int64, messageIDs []int64) ([]StoredReaction, error)
}

// MessageFilter narrows MessageSearch: AuthorID (0: anyone) and
// CreatedAt in [After, Before) (zero: unbounded).
type MessageFilter struct {
	AuthorID      int64
	After, Before time.Time
}

// StoredReaction is one user's emoji on one message.
type StoredReaction struct {
	MessageID int64
	UserID    int64
	Emoji     string
	CreatedAt time.Time
}

// TenantStore keeps tenants, companies and roles.
type TenantStore interface {
	TenantCreate(ctx context.Context, t *Tenant) error
	TenantGet(ctx context.Context, id int64) (Tenant, error)
	TenantList(ctx context.Context, page Page) ([]Tenant, error)
	// TenantUpdate saves name and settings.
	TenantUpdate(ctx context.Context, t Tenant) error
	TenantCount(ctx context.Context) (int64, error)

	CompanyCreate(ctx context.Context, c *Company) error
	CompanyGet(ctx context.Context, tenantID, id int64) (Company, error)
	CompanyList(ctx context.Context, tenantID int64, page Page) ([]Company, error)
	CompanyUpdate(ctx context.Context, c Company) error

	// RoleCreate adds a role; Key is unique per tenant when not "".
	RoleCreate(ctx context.Context, r *Role) error
	RoleGet(ctx context.Context, tenantID, id int64) (Role, error)
	// RoleList returns all roles of the tenant (a tenant has few).
	RoleList(ctx context.Context, tenantID int64) ([]Role, error)
	RoleUpdate(ctx context.Context, r Role) error
	// RoleDelete removes a tenant-defined role and its memberships.
	RoleDelete(ctx context.Context, tenantID, id int64) error
}

// UserFilter narrows UserList. Zero fields do not filter.
type UserFilter struct {
	// CompanyIDs keeps users employed by any of these companies; with
	// OrHandlers, users holding a handler role are kept too.
	CompanyIDs []int64
	OrHandlers bool
	// RoleIDs keeps users holding any of these roles.
	RoleIDs    []int64
	Query      string // case-insensitive substring of name or email
	ActiveOnly bool
	// IDs keeps only these users.
	IDs []int64
}

// UserStore keeps users, their companies, roles and passwords.
type UserStore interface {
	// UserCreate inserts u with its CompanyIDs and RoleIDs. The email is
	// unique across all tenants (login is by email).
	UserCreate(ctx context.Context, u *User, passwordHash string) error
	UserGet(ctx context.Context, tenantID, id int64) (User, error)
	// UserByEmail finds a user of any tenant with its password hash.
	UserByEmail(ctx context.Context, email string) (User, string, error)
	UserList(ctx context.Context, tenantID int64, f UserFilter, page Page) ([]User, error)
	// UserUpdate saves every field of u except the password, replacing
	// its companies and roles.
	UserUpdate(ctx context.Context, u User) error
	UserSetPassword(ctx context.Context, tenantID, id int64, passwordHash string) error
	// UserCount counts users of all tenants.
	UserCount(ctx context.Context) (int64, error)
}

// SessionStore keeps login sessions and login throttling.
type SessionStore interface {
	SessionCreate(ctx context.Context, s Session) error
	SessionGet(ctx context.Context, id string) (Session, error)
	SessionTouch(ctx context.Context, id string, at time.Time) error
	SessionDelete(ctx context.Context, id string) error
	// SessionsAlive returns, of ids, the sessions unexpired at now, seen
	// after idleAfter and belonging to active users, with their users;
	// those of them last seen before touchBefore are touched at now.
	SessionsAlive(ctx context.Context, ids []string, now, idleAfter, touchBefore time.Time) (map[string]int64, error)
	// SessionDeleteByUser revokes every session of a user and returns
	// their ids.
	SessionDeleteByUser(ctx context.Context, tenantID, userID int64) ([]string, error)
	// SessionDeleteExpired removes sessions expired or idle before the
	// given times.
	SessionDeleteExpired(ctx context.Context, expiredBefore, idleBefore time.Time) (int64, error)

	// LoginFailureAdd records a failed login for key (an account or an IP)
	// and returns the failures since `since`, this one included.
	LoginFailureAdd(ctx context.Context, key string, at, since time.Time) (int64, error)
	LoginFailureCount(ctx context.Context, key string, since time.Time) (int64, error)
	LoginFailureClear(ctx context.Context, key string) error
}

// MessengerStore keeps messenger groups and topics.
type MessengerStore interface {
	GroupCreate(ctx context.Context, g *Group) error
	GroupGet(ctx context.Context, tenantID, id int64) (Group, error)
	// GroupList returns the tenant's groups; with memberID > 0 only groups
	// that user belongs to.
	GroupList(ctx context.Context, tenantID, memberID int64, page Page) ([]Group, error)
	GroupUpdate(ctx context.Context, g Group) error
	// GroupSetMembers replaces the members.
	GroupSetMembers(ctx context.Context, tenantID, groupID int64, userIDs []int64) error
	GroupIsMember(ctx context.Context, tenantID, groupID, userID int64) (bool, error)

	TopicCreate(ctx context.Context, t *Topic) error
	TopicGet(ctx context.Context, tenantID, id int64) (Topic, error)
	// TopicListByGroups returns topics of the groups, active only when
	// activeOnly.
	TopicListByGroups(ctx context.Context, tenantID int64, groupIDs []int64, activeOnly bool) ([]Topic, error)
	// TopicUpdate saves name, notification settings and active.
	TopicUpdate(ctx context.Context, t Topic) error
	// TopicTouch records the time of the topic's newest message.
	TopicTouch(ctx context.Context, tenantID, id int64, at time.Time) error
	// TopicAccess returns the topic with the facts that decide whether
	// userID may read it (TopicReadAccess.Allows), in one query: the
	// publish path asks it for every message. ENotFound: no such topic in
	// the tenant.
	TopicAccess(ctx context.Context, tenantID, topicID, userID int64) (Topic, TopicReadAccess, error)
}

// MessageStore keeps threads: messages, their sequenced events, read state
// and search. Topics and conversations share it.
type MessageStore interface {
	// ChannelNextSeq increments and returns the channel's sequence counter.
	// Called inside InTx, it locks the counter row until commit, which
	// makes sequence numbers gap-free and commit-ordered. Anything but a
	// topic or conversation of the tenant is ENotFound.
	ChannelNextSeq(ctx context.Context, tenantID int64, ch Channel) (int64, error)
	// TopicPostBatch stores plain text posts (no attachments, reply or
	// mentions) to one or several topics in one transaction with one
	// commit; outside InTx it is a transaction of its own. Each post, in
	// order, is checked and written as if alone: when its author may read
	// its topic at that moment inside the transaction (the rule of
	// TopicReadAccess.Allows), the topic's next seq, the message, its
	// message.new event, the topic's message time and, when the topic
	// emails, a notification job (ReasonTopicMessage, due at the message's
	// time, with the topic's previous message time). Seqs of one topic follow the
	// order of posts, gap-free and commit-ordered across nodes.
	//
	// Each post's outcome is in its Err: nil (Message.ID, Seq and Kind
	// set), ENotFound (the author may not read the topic) or EConflict (the
	// author used the ClientMsgID before); such a post writes nothing. The
	// returned error concerns the batch: nothing of it may be assumed
	// stored (a lost connection leaves it unknown whether it committed).
	//
	// "At that moment": SQLite decides under the write lock, so nothing
	// can change between the check and the commit. PostgreSQL decides on
	// the statement's snapshot: every change committed before the
	// statement starts is seen; one that commits while the statement waits
	// for a topic's counter row is not (the post then commits just after
	// it).
	TopicPostBatch(ctx context.Context, posts []TopicPost) error
	// ChannelLastSeq returns the counter without changing it.
	ChannelLastSeq(ctx context.Context, tenantID int64, ch Channel) (int64, error)

	// MessageInsert stores m (Channel, Seq, AuthorID, ClientMsgID, Kind,
	// Body, ReplyToID, Mentions) and links m.Attachments by id. A repeated
	// (AuthorID, ClientMsgID) is EConflict and leaves the transaction
	// usable. A user channel is EInvalid (it keeps no messages).
	MessageInsert(ctx context.Context, m *Message) error
	MessageGet(ctx context.Context, tenantID, id int64) (Message, error)
	MessageByClientID(ctx context.Context, tenantID, authorID int64, clientMsgID string) (Message, error)
	// MessageEdit replaces the body and sets EditedAt; a deleted message
	// is ENotFound.
	MessageEdit(ctx context.Context, tenantID, id int64, body string, at time.Time) error
	// MessageDelete makes a tombstone: body emptied, attachments removed,
	// DeletedAt set; the row and its seq stay.
	MessageDelete(ctx context.Context, tenantID, id int64, at time.Time) error
	// MessageHistory returns up to limit messages with seq < beforeSeq
	// (0: from the newest), newest first.
	MessageHistory(ctx context.Context, tenantID int64, ch Channel, beforeSeq int64, limit int) ([]Message, error)

	// ChannelEventInsert appends a sequenced event about a message (user
	// channels: EInvalid).
	ChannelEventInsert(ctx context.Context, tenantID int64, ch Channel, seq int64, typ EventType, messageID int64, at time.Time) error
	// ChannelEventsSince returns events with seq > since in seq order, at
	// most limit, each with the current state of its message.
	ChannelEventsSince(ctx context.Context, tenantID int64, ch Channel, since int64, limit int) ([]ChannelEvent, error)
	// ChannelEventsAfter is ChannelEventsSince for many channels in one
	// query: for each cursor the events of its channel with
	// cursor.Seq < seq <= cursor.Seq+limit (seqs are gap-free, so at most
	// limit per channel; limit as BatchLimit), ordered by channel (kind,
	// id) and seq; each event's Message.Channel says whose it is. Cursors
	// of user channels find nothing. More than MaxCursors cursors is
	// EInvalid.
	ChannelEventsAfter(ctx context.Context, tenantID int64, cursors []ChannelCursor, limit int) ([]ChannelEvent, error)

	// ReadStateSet moves the user's read marker forward (never back) and
	// returns the marker now stored.
	ReadStateSet(ctx context.Context, tenantID, userID int64, ch Channel, seq int64) (int64, error)
	// ReadStateList returns the user's markers for the channels.
	ReadStateList(ctx context.Context, tenantID, userID int64, chs []Channel) ([]ReadState, error)

	// MessageSearch finds non-deleted messages matching the words of query
	// in the given channels, newest first, narrowed by f (zero fields do
	// not narrow).
	MessageSearch(ctx context.Context, tenantID int64, query string, chs []Channel, f MessageFilter, limit int) ([]Message, error)

	// AttachmentCreate stores the file's bytes, and for an image
	// (a.Image set) its thumbnail; the attachment is unlinked until a
	// message claims it.
	AttachmentCreate(ctx context.Context, a *Attachment, data, thumbnail []byte) error
	AttachmentGet(ctx context.Context, tenantID, id int64) (Attachment, error)
	AttachmentData(ctx context.Context, tenantID, id int64) ([]byte, error)
	// AttachmentThumbnail returns an image attachment's thumbnail;
	// ENotFound when the attachment has none.
	AttachmentThumbnail(ctx context.Context, tenantID, id int64) ([]byte, error)
	// AttachmentThumbnailSet records the thumbnail made later for an
	// image stored without one (a.ThumbnailPending): img and its
	// thumbnail, or with img nil that none can be made. Only a pending
	// attachment changes; for any other it does nothing.
	AttachmentThumbnailSet(ctx context.Context, tenantID, id int64, img *Image, thumbnail []byte) error
	// AttachmentDeleteUnlinked removes uploads never attached before t.
	AttachmentDeleteUnlinked(ctx context.Context, before time.Time) (int64, error)

	DraftSave(ctx context.Context, d *Draft) error
	DraftGet(ctx context.Context, tenantID, userID, id int64) (Draft, error)
	DraftList(ctx context.Context, tenantID, userID int64) ([]Draft, error)
	DraftDelete(ctx context.Context, tenantID, userID, id int64) error
}

// ConversationFilter narrows ConversationList. Visibility is applied by the
// caller through VisibleTo.
type ConversationFilter struct {
	Status     ConversationStatus
	CategoryID int64
	HandlerID  int64
	CompanyID  int64
	// VisibleTo keeps conversations the user may see: created by, handled
	// by, assigned to or administered by the user, or routed to one of
	// RoleIDs; with CompanyIDs set, role routing counts only for
	// conversations related to those companies.
	VisibleTo   int64
	RoleIDs     []int64
	CompanyIDs  []int64
	AllOfTenant bool // tenant admins: no visibility filter
	// AddresseeCompanyIDs keeps, too, conversations addressed to one of
	// these customer companies (CustomerCompanyID).
	AddresseeCompanyIDs []int64

	// Unsolved keeps conversations whose status is not solved;
	// AwaitingBefore (non-zero) those whose customer side has waited
	// since before it.
	Unsolved       bool
	AwaitingBefore time.Time
	// OldestFirst orders by creation, oldest first (the queues), instead
	// of by last activity, newest first; page.After is still an id.
	OldestFirst bool
}

// QueueCount is one category's row of ConversationQueueCounts: unsolved
// conversations, and of them the new ones, those HandlerID handles, the
// waiting ones and those awaiting an answer since before staleBefore.
type QueueCount struct {
	CategoryID int64
	Unsolved   int64
	New        int64
	Mine       int64
	Waiting    int64
	Stale      int64
}

// ConversationStore keeps support conversations and their categories.
type ConversationStore interface {
	CategoryCreate(ctx context.Context, c *Category) error
	CategoryGet(ctx context.Context, tenantID, id int64) (Category, error)
	CategoryList(ctx context.Context, tenantID int64) ([]Category, error)
	CategoryUpdate(ctx context.Context, c Category) error

	ConversationCreate(ctx context.Context, c *Conversation) error
	ConversationGet(ctx context.Context, tenantID, id int64) (Conversation, error)
	// ConversationList is ordered by last activity, newest first; page.After
	// is a conversation id cursor.
	ConversationList(ctx context.Context, tenantID int64, f ConversationFilter, page Page) ([]Conversation, error)
	// ConversationUpdate saves status, handler, assignee, admin, related
	// company and person, roles, external emails, notify_admins, awaiting
	// since and last activity (to_customer and the customer company stay).
	ConversationUpdate(ctx context.Context, c Conversation) error
	// ConversationQueueCounts counts the unsolved conversations f keeps
	// (its visibility fields only), per category in id order; handlerID
	// is "mine", staleBefore the stale bound.
	ConversationQueueCounts(ctx context.Context, tenantID int64, f ConversationFilter, handlerID int64, staleBefore time.Time) ([]QueueCount, error)
	// ConversationsExpired lists up to limit conversations whose last
	// activity is older than their retention (category override, else the
	// tenant's retentionDays) at now.
	ConversationsExpired(ctx context.Context, tenantID int64, retentionDays int, now time.Time, limit int) ([]Conversation, error)
	// ConversationDelete removes a conversation with its messages, events,
	// attachments, read state, drafts, notifications, outbox jobs,
	// decision log entries and mutes.
	ConversationDelete(ctx context.Context, tenantID, id int64) error
	RetentionRunRecord(ctx context.Context, r *RetentionRun) error
	RetentionRunList(ctx context.Context, tenantID int64, limit int) ([]RetentionRun, error)
}

// RetentionRun records one clean-up.
type RetentionRun struct {
	ID        int64
	TenantID  int64
	StartedAt time.Time
	Deleted   int64
	Node      string
}

// NotifyJob is one unit of outbox work: tell UserID about MessageID.
type NotifyJob struct {
	ID       int64
	TenantID int64
	UserID   int64
	// Via is the channel of a per-recipient job ("" is stored as email);
	// event jobs (UserID 0) have none.
	Via       NotifyVia
	Reason    NotifyReason
	Channel   Channel
	MessageID int64
	// PrevMessageAt is the time of the channel's previous message when this
	// one was posted (for topic intervals).
	PrevMessageAt *time.Time
	DueAt         time.Time
	Attempts      int
	CreatedAt     time.Time
}

// NotifyBacklog is the size of the notification outbox as monitoring
// reads it (NotificationStore.NotifyJobBacklog).
type NotifyBacklog struct {
	// Pending counts every job: due, held by a worker, scheduled for
	// later (the notify delay) or waiting to be retried.
	Pending int64
	// Due counts the jobs due now that no worker holds: the queue the
	// workers have not reached yet.
	Due int64
	// OldestDue is when the longest-waiting due job fell due; zero when
	// none is due.
	OldestDue time.Time
}

// NotifyDecision is one recorded decision about an email or a push.
type NotifyDecision struct {
	ID        int64
	TenantID  int64
	UserID    int64
	Via       NotifyVia // "" is stored as email
	Channel   Channel
	MessageID int64
	Reason    NotifyReason
	Outcome   NotifyOutcome
	Detail    string
	CreatedAt time.Time
}

// NotificationStore keeps the notification outbox, the decision log, the
// in-app notifications and user preferences.
type NotificationStore interface {
	NotifyJobEnqueue(ctx context.Context, j *NotifyJob) error
	// NotifyJobClaim takes up to limit due jobs for this worker until
	// lease; other workers skip them (FOR UPDATE SKIP LOCKED on Postgres).
	// Each claim counts an attempt and moves the job's due time to the
	// lease, so a crashed worker's jobs come back.
	NotifyJobClaim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]NotifyJob, error)
	// NotifyJobRelease gives back a claimed job this worker has not tried:
	// it is due at now (claimable at once) and the claim's attempt is not
	// counted. j is the job as the claim returned it (its attempts and
	// lease identify the claim); when it was released or claimed again
	// since, ENotFound and nothing changes.
	NotifyJobRelease(ctx context.Context, j NotifyJob, now time.Time) error
	NotifyJobDone(ctx context.Context, id int64) error
	// NotifyJobRetry reschedules a job after a temporary failure.
	NotifyJobRetry(ctx context.Context, id int64, dueAt time.Time, lastError string) error
	// NotifyJobBacklog measures the outbox at now for monitoring, across
	// tenants: each count stops at limit, so the read stays cheap however
	// large the backlog grows.
	NotifyJobBacklog(ctx context.Context, now time.Time, limit int) (NotifyBacklog, error)
	NotifyDecisionRecord(ctx context.Context, d *NotifyDecision) error
	NotifyDecisionList(ctx context.Context, tenantID, userID, messageID int64, page Page) ([]NotifyDecision, error)

	NotificationCreate(ctx context.Context, n *Notification) error
	// NotificationList is oldest first after page.After (catching up);
	// NotificationListNewest newest first before the id before (0: from
	// the newest).
	NotificationList(ctx context.Context, tenantID, userID int64, page Page) ([]Notification, error)
	NotificationListNewest(ctx context.Context, tenantID, userID, before int64, limit int) ([]Notification, error)
	NotificationMarkRead(ctx context.Context, tenantID, userID, id int64, at time.Time) error
	// NotificationMarkAllRead marks the user's unread notifications with
	// ids up to upTo read and reports how many.
	NotificationMarkAllRead(ctx context.Context, tenantID, userID, upTo int64, at time.Time) (int64, error)
	NotificationUnreadCount(ctx context.Context, tenantID, userID int64) (int64, error)

	// MuteSet mutes or unmutes a channel for a user.
	MuteSet(ctx context.Context, tenantID, userID int64, ch Channel, muted bool) error
	MuteGet(ctx context.Context, tenantID, userID int64, ch Channel) (bool, error)

	// NotifyPrefsGet returns the user's channels per kind; ENotFound when
	// the user never saved any (DefaultNotifyChannels applies).
	NotifyPrefsGet(ctx context.Context, tenantID, userID int64) (NotifyChannels, error)
	NotifyPrefsSave(ctx context.Context, tenantID, userID int64, c NotifyChannels) error

	// PushSubscriptionSave inserts a subscription, or updates the one
	// with the same endpoint (whoever had it); it sets ID and CreatedAt.
	PushSubscriptionSave(ctx context.Context, s *PushSubscription) error
	// PushSubscriptionList lists a user's subscriptions, oldest first.
	PushSubscriptionList(ctx context.Context, tenantID, userID int64) ([]PushSubscription, error)
	PushSubscriptionDelete(ctx context.Context, tenantID, id int64) error
	PushSubscriptionDeleteEndpoint(ctx context.Context, tenantID, userID int64, endpoint string) error
}

// viaOrEmail is the job's channel; jobs from before Web Push have none
// and are emails.
func (j NotifyJob) viaOrEmail() NotifyVia {
	if j.Via == "" {
		return ViaEmail
	}
	return j.Via
}

// CannedReplyStore keeps canned replies: tenant-wide (OwnerID nil) and
// personal.
type CannedReplyStore interface {
	CannedReplyCreate(ctx context.Context, r *CannedReply) error
	CannedReplyGet(ctx context.Context, tenantID, id int64) (CannedReply, error)
	// CannedReplyList returns the tenant-wide replies and userID's own, by
	// id (bounded by MaxSharedCannedReplies + MaxOwnCannedReplies).
	CannedReplyList(ctx context.Context, tenantID, userID int64) ([]CannedReply, error)
	// CannedReplyUpdate saves locale, title, body and UpdatedAt.
	CannedReplyUpdate(ctx context.Context, r CannedReply) error
	CannedReplyDelete(ctx context.Context, tenantID, id int64) error
	// CannedReplyCount counts ownerID's replies (0: the tenant-wide ones).
	// Inside InTx it holds that owner's replies until commit, so that a
	// count and a create in one transaction keep a limit exactly under
	// concurrent creation.
	CannedReplyCount(ctx context.Context, tenantID, ownerID int64) (int64, error)
}
