package chat

import (
	"context"
	"crypto/hmac"
	"slices"
	"strconv"
	"strings"
)

// Reply by email from a conversation's external participants
// (docs/notifications.md "Reply by email"): an external address is no
// user, so its token is user 0 signed over the address, and its reply is
// a message with no user author (AuthorID 0) naming the address
// (Message.ExternalAuthor). It counts as the customer side: it reopens a
// waiting or solved conversation and notifies the handlers like a
// customer comment.

// externalSigner finds the address an external token was issued to: the
// sender's own (the usual case), else one still on the conversation, so
// that a mail from another sender is told apart from a forged token. The
// address comes back as a User with ID 0.
func (s *ReplyMailService) externalSigner(ctx context.Context, tok ReplyToken, key []byte, from string) (User, error) {
	candidates := []string{from}
	c, err := s.store.ConversationGet(ctx, tok.TenantID, tok.Channel.ID)
	if err == nil {
		candidates = append(candidates, c.ExternalEmails...)
	} else if !IsCode(err, ENotFound) {
		return User{}, err
	}
	for _, addr := range candidates {
		if addr != "" && hmac.Equal(tok.mac, replyMAC(key, tok.payload, addr)) {
			return User{TenantID: tok.TenantID, Email: strings.ToLower(addr)}, nil
		}
	}
	return User{}, refuse(FateBadToken, "bad signature")
}

// postExternalReply appends the reply of external address addr to the
// token's conversation, if addr is still on it. Only the text is taken:
// an attachment needs an uploader, and an external address has no
// account to own it (the detail of the decision says how many were left).
func (s *ReplyMailService) postExternalReply(ctx context.Context, tok ReplyToken, addr string, in InboundMail) (ReplyResult, error) {
	if err := s.admitSender(ctx, addr, in, 0); err != nil {
		return ReplyResult{}, err
	}
	body, err := validateBody(in.Text, 0)
	if err != nil {
		return ReplyResult{}, publishFate(err)
	}
	ch := tok.Channel
	clientID := replyClientID(externalMailKey(tok.TenantID, ch, addr, in.MessageID))
	if m, ok, err := s.externalDuplicate(ctx, tok.TenantID, clientID); ok || err != nil {
		return ReplyResult{Fate: FateDuplicate, Message: &m}, err
	}
	ms := &MessageService{s.core}
	m := Message{TenantID: tok.TenantID, Channel: ch, AuthorName: addr, ExternalAuthor: addr, ClientMsgID: clientID,
		Kind: MessageText, Body: body, CreatedAt: s.clock.Now()}
	var after []Event
	err = s.store.InTx(ctx, func(tx Store) error {
		c, err := tx.ConversationGet(ctx, tok.TenantID, ch.ID)
		if IsCode(err, ENotFound) {
			return refuse(FateNoAccess, "the conversation is gone")
		}
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(c.ExternalEmails, func(e string) bool { return strings.EqualFold(e, addr) }) {
			return refuse(FateNoAccess, "the address is no longer on the conversation")
		}
		if err := appendMessage(ctx, tx, &m); err != nil {
			return err
		}
		after, err = ms.conversationPosted(ctx, tx, &Principal{TenantID: tok.TenantID, Name: addr}, c, &m)
		return err
	})
	if IsCode(err, EConflict) {
		// Another node stored the same mail meanwhile.
		if dup, ok, err := s.externalDuplicate(ctx, tok.TenantID, clientID); ok || err != nil {
			return ReplyResult{Fate: FateDuplicate, Message: &dup}, err
		}
	}
	if err != nil {
		return ReplyResult{}, err
	}
	s.publish(ctx, append([]Event{{Channel: ch, Type: EventMessageNew, Seq: m.Seq, Data: m}}, after...)...)
	res := ReplyResult{Fate: FateAccepted, Message: &m}
	if n := len(in.Attachments); n > 0 {
		res.Detail = strconv.Itoa(n) + " attachments not taken from an external address"
	}
	return res, nil
}

// externalDuplicate finds the message an earlier delivery of the same
// external mail became.
func (s *ReplyMailService) externalDuplicate(ctx context.Context, tenantID int64, clientID string) (Message, bool, error) {
	m, err := s.store.MessageByClientID(ctx, tenantID, 0, clientID)
	if IsCode(err, ENotFound) {
		return Message{}, false, nil
	}
	return m, err == nil, err
}

// externalMailKey is what identifies an external mail for deduplication:
// every external author is user 0 (client ids are unique per author in
// the database), so the tenant, the thread and the address join the mail's
// id, and the same mail sent to two conversations is stored in each.
func externalMailKey(tenantID int64, ch Channel, addr, messageID string) string {
	return strconv.FormatInt(tenantID, 10) + "\x00" + ch.String() + "\x00" + strings.ToLower(addr) + "\x00" + messageID
}
