package chat

import (
	"slices"
	"time"
)

// The notification policy: who hears about an event, and whether a given
// person gets an email for it. Everything here is pure so that it can be
// table-tested with exact times; the Notifier gathers the facts (presence,
// read markers, mutes, access) and records what these functions decide.
// docs/notifications.md explains every rule with a timeline.

// Recipient is one person to tell about an event, and why.
type Recipient struct {
	UserID int64
	Reason NotifyReason
}

// TopicRecipients lists who hears about a new topic message: every group
// member when the topic emails, each with reason topic_message, and the
// mentioned members with reason mention whatever the topic's setting.
// The author is kept (recorded as suppressed_author) so the log answers
// for every member; mentions of non-members are dropped, since a mention
// never discloses a topic.
func TopicRecipients(memberIDs []int64, emailNotify bool, mentions []int64) []Recipient {
	var out []Recipient
	for _, id := range memberIDs {
		switch {
		case slices.Contains(mentions, id):
			out = append(out, Recipient{id, ReasonMention})
		case emailNotify:
			out = append(out, Recipient{id, ReasonTopicMessage})
		}
	}
	return out
}

// ConversationParties are the people a conversation event can reach.
type ConversationParties struct {
	Conversation Conversation
	// RoleMemberIDs hold the conversation's receiver roles.
	RoleMemberIDs []int64
	// TenantAdminIDs hold the tenant_admin role.
	TenantAdminIDs []int64
	// AddresseeIDs are the users of the customer company the conversation
	// is addressed to (Conversation.CustomerCompanyID), handlers excluded.
	AddresseeIDs []int64
}

// ConversationRecipients lists who hears about a conversation event:
//
//   - new_conversation: members of the receiver roles, the handler, the
//     customer assignee, the designated administrator and the users of
//     the customer company it is addressed to;
//   - answered (a handler-side reply): the creator (unless the office
//     started the conversation to a customer), the customer assignee and
//     the users of the customer company it is addressed to;
//   - customer_message: the handler, or the receiver roles while nobody
//     handles the conversation, and the designated administrator;
//   - notify_admins: the tenant admins;
//   - mentioned users of the message, with reason mention, when not
//     already listed.
//
// The author is never told about their own message and the related
// person of a conversation is never notified. external_email has no user
// recipients: it goes to Conversation.ExternalEmails.
func ConversationRecipients(reason NotifyReason, p ConversationParties, authorID int64, mentions []int64) []Recipient {
	c := p.Conversation
	var ids []int64
	add := func(id *int64) {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	switch reason {
	case ReasonNewConversation:
		ids = append(ids, p.RoleMemberIDs...)
		add(c.HandlerID)
		add(c.CustomerAssigneeID)
		add(c.AdminID)
		ids = append(ids, p.AddresseeIDs...)
	case ReasonAnswered:
		if !c.ToCustomer {
			add(&c.CreatorID)
		}
		add(c.CustomerAssigneeID)
		ids = append(ids, p.AddresseeIDs...)
	case ReasonCustomerMessage:
		if c.HandlerID != nil {
			add(c.HandlerID)
		} else {
			ids = append(ids, p.RoleMemberIDs...)
		}
		add(c.AdminID)
	case ReasonNotifyAdmins:
		ids = append(ids, p.TenantAdminIDs...)
	}
	var out []Recipient
	seen := map[int64]bool{authorID: true}
	if c.RelatedUserID != nil {
		seen[*c.RelatedUserID] = true
	}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, Recipient{id, reason})
		}
	}
	for _, id := range mentions {
		if !seen[id] {
			seen[id] = true
			out = append(out, Recipient{id, ReasonMention})
		}
	}
	return out
}

// InAppFor reports whether a reason creates an in-app notification: every
// conversation event for a user and every mention do; a plain topic
// message does not (the topic's unread count already shows it, and a
// busy topic would bury the badge).
func InAppFor(reason NotifyReason) bool {
	return reason != ReasonTopicMessage && reason != ReasonExternalEmail
}

// IntervalPassed reports whether a topic message posted at `at` is far
// enough from the topic's previous message (prev, nil when none) to be
// emailed. Exactly the interval counts as passed.
func IntervalPassed(prev *time.Time, at time.Time, interval time.Duration) bool {
	return prev == nil || at.Sub(*prev) >= interval
}

// DeliveryFacts is everything the decision about one recipient's email
// or push depends on. At expand time the Notifier does not yet know
// Online and Read (they stay false); at send time it knows everything
// again.
type DeliveryFacts struct {
	Reason      NotifyReason
	RecipientID int64
	AuthorID    int64
	// Topic settings; used for topic_message only.
	TopicEmailNotify bool
	TopicInterval    time.Duration
	MessageAt        time.Time
	PrevMessageAt    *time.Time

	CanRead   bool // the recipient is active and may read the thread
	Muted     bool // the recipient muted the thread
	ChannelOn bool // the recipient's settings let this channel carry it (ChannelOn)
	NoDevice  bool // push only: the recipient has no subscribed device
	Read      bool // the recipient's read marker is at or past the message
	Online    bool // the recipient is connected on some node
	InApp     bool // an in-app notification was created for this event
}

// ChannelOn reports whether a user's settings let via carry a
// notification for reason: email needs the user's email switch
// (User.EmailNotifications) and the kind's email choice, push the kind's
// push choice.
func ChannelOn(via NotifyVia, reason NotifyReason, emailSwitch bool, c NotifyChannels) bool {
	if via == ViaPush {
		return c.For(reason).Push
	}
	return emailSwitch && c.For(reason).Email
}

// DecideDelivery returns what becomes of one recipient's email or push:
// OutcomeSent means send it; anything else says why not. The order of the
// checks decides which reason the log shows when several apply: facts
// about the message first (author, access, topic rules), then the
// recipient's choices (mute, preference, devices), then what they are
// doing (read, online). A mention ignores the topic's setting and
// interval but not the rest; a mute silences mentions too. Email and push
// follow the same rules; only the preference differs.
func DecideDelivery(f DeliveryFacts) NotifyOutcome {
	switch {
	case f.RecipientID == f.AuthorID:
		return OutcomeAuthor
	case !f.CanRead:
		return OutcomeNoAccess
	case f.Reason == ReasonTopicMessage && !f.TopicEmailNotify:
		return OutcomeTopicOff
	case f.Reason == ReasonTopicMessage && !IntervalPassed(f.PrevMessageAt, f.MessageAt, f.TopicInterval):
		return OutcomeInterval
	case f.Muted:
		return OutcomeMuted
	case !f.ChannelOn:
		return OutcomePreference
	case f.NoDevice:
		return OutcomeNoDevice
	case f.Read:
		return OutcomeRead
	case f.Online && f.InApp:
		return OutcomeInApp
	case f.Online:
		return OutcomeOnline
	}
	return OutcomeSent
}

// RetryDelay is the wait before attempt number attempts+1 after a
// temporary failure of attempt number attempts (1-based): base doubling
// each time, capped at maxDelay.
func RetryDelay(attempts int, base, maxDelay time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// ExplainOutcome says in a sentence what an outcome means, for the admin
// lookup of the notification log.
func ExplainOutcome(o NotifyOutcome) string {
	switch o {
	case OutcomeSent:
		return "The email or push was sent."
	case OutcomeInApp:
		return "The person was online: they got the in-app notification only."
	case OutcomeOnline:
		return "The person was online when the email or push was due, so none was sent."
	case OutcomeInterval:
		return "The topic's previous message was more recent than its notification interval."
	case OutcomeMuted:
		return "The person has muted this topic or conversation."
	case OutcomeRead:
		return "The person had read the message before the email or push was due."
	case OutcomePreference:
		return "The person's notification settings turn this channel off for this kind of notification."
	case OutcomeNoDevice:
		return "The person has no device that receives push notifications."
	case OutcomeTopicOff:
		return "The topic does not send email notifications."
	case OutcomeAuthor:
		return "The person wrote the message."
	case OutcomeNoAccess:
		return "The person could not read the thread (or the message was gone) when the email or push was due."
	case OutcomeFailed:
		return "Sending failed; the detail says why."
	}
	if text, ok := replyFateText[o]; ok {
		return text
	}
	return string(o)
}
