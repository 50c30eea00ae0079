package chat

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Reply by email (docs/notifications.md "Reply by email"): every
// notification email to a user carries a Reply-To address
// reply+TOKEN@<ReplyDomain> unique to that user and thread. The token is
// the tenant, user, thread and issue time, signed with the tenant's key
// (ReplyMailStore: in the database, so that every node signs and checks
// alike) over the user's email address too, so that a changed address
// ends the old tokens. A token expires ReplyTokenTTL after it was issued
// and is revoked with the user's sessions (revokeReplyTokens); access to the
// thread is decided again when a reply arrives, as for a web post.
//
// An email to a conversation's external address carries a token of user
// 0 for that conversation, signed over the address instead: a reply from
// that address, while it is still on the conversation, becomes a message
// of the external participant (externalreply.go).

// replyTokenVersion is the first byte of every token: a new format gets a
// new number and old tokens are refused cleanly.
const replyTokenVersion = 1

// replyMACLen is how much of the HMAC-SHA256 a token carries: 80 bits,
// beyond online guessing at any rate the listener and the per-sender
// limit allow, and short enough that the address stays within the 64
// characters of a local part.
const replyMACLen = 10

// replyPrefix starts the local part of every reply address.
const replyPrefix = "reply+"

// replyEncoding is lower-case base32 without padding: mail systems may
// fold the case of a local part, and base32 survives that (ParseReplyAddress
// upper-cases before decoding).
var replyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// replyKinds numbers the thread kinds in a token.
var replyKinds = []ChannelKind{KindTopic, KindConversation, KindNote}

// ReplyToken is what a reply address names.
type ReplyToken struct {
	TenantID int64
	UserID   int64
	Channel  Channel
	IssuedAt time.Time // whole seconds
	mac      []byte
	payload  []byte
}

func (t ReplyToken) encodePayload() []byte {
	kind := byte(0)
	for i, k := range replyKinds {
		if k == t.Channel.Kind {
			kind = byte(i + 1)
		}
	}
	b := []byte{replyTokenVersion}
	b = binary.AppendUvarint(b, uint64(t.TenantID))
	b = binary.AppendUvarint(b, uint64(t.UserID))
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(t.Channel.ID))
	return binary.AppendUvarint(b, uint64(t.IssuedAt.Unix()))
}

// replyMAC signs a token's payload for the address it was issued to.
func replyMAC(key, payload []byte, email string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("parley reply v1\x00"))
	h.Write(payload)
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(email)))
	return h.Sum(nil)[:replyMACLen]
}

// errReplyToken is a token that is not one of ours in form.
var errReplyToken = Errorf(EInvalid, "not a reply address")

// ParseReplyToken reads a token's fields without checking its signature:
// the listener refuses at RCPT what cannot be ours; ReplyByEmail checks
// the rest.
func ParseReplyToken(s string) (ReplyToken, error) {
	raw, err := replyEncoding.DecodeString(strings.ToUpper(s))
	if err != nil || len(raw) < 1+replyMACLen || raw[0] != replyTokenVersion {
		return ReplyToken{}, errReplyToken
	}
	payload, mac := raw[:len(raw)-replyMACLen], raw[len(raw)-replyMACLen:]
	r := bytes.NewReader(payload[1:])
	var v [5]uint64
	for i := range v {
		if i == 2 {
			k, err := r.ReadByte()
			if err != nil || k == 0 || int(k) > len(replyKinds) {
				return ReplyToken{}, errReplyToken
			}
			v[i] = uint64(k)
			continue
		}
		// User 0 is an external address (checked below: conversations only).
		if v[i], err = binary.ReadUvarint(r); err != nil || (v[i] == 0 && i != 1) || v[i] > 1<<62 {
			return ReplyToken{}, errReplyToken
		}
	}
	if r.Len() != 0 || (v[1] == 0 && replyKinds[v[2]-1] != KindConversation) {
		return ReplyToken{}, errReplyToken
	}
	return ReplyToken{TenantID: int64(v[0]), UserID: int64(v[1]), Channel: Channel{Kind: replyKinds[v[2]-1], ID: int64(v[3])},
		IssuedAt: time.Unix(int64(v[4]), 0).UTC(), mac: mac, payload: payload}, nil
}

// ParseReplyAddress returns the token of a reply address in domain
// (compared without case); ok is false for any other address.
func ParseReplyAddress(addr, domain string) (string, bool) {
	local, dom, found := strings.Cut(addr, "@")
	if !found || domain == "" || !strings.EqualFold(dom, domain) || len(local) <= len(replyPrefix) ||
		!strings.EqualFold(local[:len(replyPrefix)], replyPrefix) {
		return "", false
	}
	token := local[len(replyPrefix):]
	if _, err := ParseReplyToken(token); err != nil {
		return "", false
	}
	return token, true
}

// replyKeys caches the tenants' keys (they never change once stored).
type replyKeys struct {
	mu   sync.Mutex
	keys map[int64][]byte
}

// replyKey returns the tenant's signing key, creating it on first use.
func (s *core) replyKey(ctx context.Context, tenantID int64) ([]byte, error) {
	s.replyKeys.mu.Lock()
	key, ok := s.replyKeys.keys[tenantID]
	s.replyKeys.mu.Unlock()
	if ok {
		return key, nil
	}
	key, err := s.store.ReplyKeyEnsure(ctx, tenantID, []byte(rand.Text()+rand.Text()), s.clock.Now())
	if err != nil {
		return nil, err
	}
	s.replyKeys.mu.Lock()
	defer s.replyKeys.mu.Unlock()
	if s.replyKeys.keys == nil {
		s.replyKeys.keys = map[int64][]byte{}
	}
	s.replyKeys.keys[tenantID] = key
	return key, nil
}

// ReplyEnabled reports whether notification emails carry reply addresses.
func (s *core) ReplyEnabled() bool { return s.cfg.ReplyDomain != "" }

// replyAddress is the Reply-To of an email to u about ch.
func (s *core) replyAddress(ctx context.Context, u User, ch Channel) (string, error) {
	return s.signedReplyAddress(ctx, u.TenantID, u.ID, ch, u.Email)
}

// externalReplyAddress is the Reply-To of an email to a conversation's
// external address addr: user 0, signed over addr.
func (s *core) externalReplyAddress(ctx context.Context, tenantID, convID int64, addr string) (string, error) {
	return s.signedReplyAddress(ctx, tenantID, 0, ConversationChannel(convID), addr)
}

// signedReplyAddress issues a reply address for the email going to email.
func (s *core) signedReplyAddress(ctx context.Context, tenantID, userID int64, ch Channel, email string) (string, error) {
	key, err := s.replyKey(ctx, tenantID)
	if err != nil {
		return "", err
	}
	t := ReplyToken{TenantID: tenantID, UserID: userID, Channel: ch, IssuedAt: s.clock.Now().Truncate(time.Second)}
	payload := t.encodePayload()
	token := replyEncoding.EncodeToString(append(payload, replyMAC(key, payload, email)...))
	return replyPrefix + strings.ToLower(token) + "@" + s.cfg.ReplyDomain, nil
}

// threadMailID is the stable id every email about ch refers to
// (In-Reply-To and References), so that mail clients keep one thread.
func threadMailID(tenantID int64, ch Channel, fromAddr string) string {
	domain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	return "thread." + string(ch.Kind) + "." + strconv.FormatInt(ch.ID, 10) + ".t" + strconv.FormatInt(tenantID, 10) + "@" + domain
}

// revokeReplyTokens ends every reply address issued to the user so far
// (revokeUserSessions calls it).
func (s *core) revokeReplyTokens(ctx context.Context, st Store, tenantID, userID int64) error {
	// A second later than now: tokens carry whole seconds, and one issued
	// in this second must not outlive the revocation.
	return st.ReplyRevocationSet(ctx, tenantID, userID, s.clock.Now().Truncate(time.Second).Add(time.Second))
}

// InboundMail is one reply that arrived for a reply address, as the mail
// adapter read it.
type InboundMail struct {
	Token        string // from the recipient address
	EnvelopeFrom string // SMTP MAIL FROM; empty for a bounce
	From         string // header From, lower-cased
	// MessageID identifies the mail: the same id is stored once, however
	// often or on however many nodes it arrives. Without one the adapter
	// gives a digest of the raw message.
	MessageID   string
	Text        string // the reply, quotes and signature removed
	Attachments []InboundAttachment
	// Automatic: written by a machine (an auto-reply, a bounce); Reason
	// says which rule said so.
	Automatic bool
	Reason    string
}

// InboundAttachment is one file of an inbound mail.
type InboundAttachment struct {
	Filename string
	Data     []byte
}

// ReplyFate is what became of an inbound mail (recorded as the outcome of
// its decision log entry, Via ViaReplyMail).
type ReplyFate = NotifyOutcome

// The fates of an inbound mail.
const (
	FateAccepted    ReplyFate = "reply_accepted"
	FateDuplicate   ReplyFate = "reply_duplicate"
	FateAutomatic   ReplyFate = "reply_ignored_automatic"
	FateEmpty       ReplyFate = "reply_ignored_empty"
	FateBadToken    ReplyFate = "reply_refused_token"
	FateExpired     ReplyFate = "reply_refused_expired"
	FateWrongSender ReplyFate = "reply_refused_sender"
	FateRateLimited ReplyFate = "reply_refused_rate_limited"
	FateNoAccess    ReplyFate = "reply_refused_no_access"
	FateInvalid     ReplyFate = "reply_refused_invalid"
)

// replyFates are the fates in the order ExplainOutcome and the metrics
// list them.
var replyFates = []ReplyFate{FateAccepted, FateDuplicate, FateAutomatic, FateEmpty, FateBadToken, FateExpired,
	FateWrongSender, FateRateLimited, FateNoAccess, FateInvalid}

// replyFateText explains each ReplyFate (ExplainOutcome).
var replyFateText = map[ReplyFate]string{
	FateAccepted:    "A reply by email was added to the thread.",
	FateDuplicate:   "A reply by email had already been added (the same mail arrived again).",
	FateAutomatic:   "An automatic mail (auto-reply or bounce) to a reply address was ignored.",
	FateEmpty:       "A reply by email had no new text and no attachment; nothing was added.",
	FateBadToken:    "A mail to a reply address was refused: the address is not valid.",
	FateExpired:     "A mail to a reply address was refused: the address has expired or was revoked.",
	FateWrongSender: "A mail to a reply address was refused: it came from another address than the one the email went to.",
	FateRateLimited: "A mail to a reply address was refused: too many mails from this sender.",
	FateNoAccess:    "A mail to a reply address was refused: the person may no longer write in the thread.",
	FateInvalid:     "A mail to a reply address was refused: the message or an attachment was not acceptable.",
}

// ReplyFates lists every fate (for metrics).
func ReplyFates() []ReplyFate { return append([]ReplyFate(nil), replyFates...) }

// ReplyResult is the fate of one inbound mail and the message it became.
type ReplyResult struct {
	Fate    ReplyFate
	Message *Message // accepted or duplicate
	Detail  string   // why, for the log; never the mail's text
}

// Refused reports whether the sender should hear that the mail was not
// taken (an SMTP 5xx); ignored mail (auto-replies, empty) and duplicates
// are accepted silently so that no loop or bounce starts.
func (r ReplyResult) Refused() bool {
	switch r.Fate {
	case FateAccepted, FateDuplicate, FateAutomatic, FateEmpty:
		return false
	}
	return true
}

// Reply-by-email limits. A sender may post ReplyMaxPerSender mails per
// ReplyRateWindow, counted in the database so that every node shares the
// count.
const (
	replyMaxPerSender = 30
	replyRateWindow   = time.Hour
)

// ReplyMailService takes replies to notification emails (replymail.go).
// Its only error is EUnavailable (or EInternal): retry later. Refusals are
// results, not errors.
type ReplyMailService struct{ *core }

// errReplyFate ends ReplyByEmail's checks with a fate.
type errReplyFate struct {
	fate   ReplyFate
	detail string
}

func (e *errReplyFate) Error() string { return string(e.fate) + ": " + e.detail }

func refuse(f ReplyFate, detail string) error { return &errReplyFate{f, detail} }

// ReplyByEmail checks an inbound reply and appends it to its thread as a
// message of the token's user, through the normal publish path (live on
// sockets, notifying the others). Every fate is recorded in the tenant's
// notification decision log when the tenant is known, and logged.
func (s *ReplyMailService) ReplyByEmail(ctx context.Context, in InboundMail) (ReplyResult, error) {
	tok, u, err := s.checkReplyToken(ctx, in)
	var res ReplyResult
	switch {
	case err == nil && u.ID == 0:
		res, err = s.postExternalReply(ctx, tok, u.Email, in)
	case err == nil:
		res, err = s.postReply(ctx, tok, u, in)
	}
	var fe *errReplyFate
	if errors.As(err, &fe) {
		res, err = ReplyResult{Fate: fe.fate, Detail: fe.detail}, nil
	}
	if err != nil {
		return ReplyResult{}, err
	}
	s.recordReply(ctx, tok, in, res)
	return res, nil
}

// checkReplyToken checks the token, its signature for the user's
// address, its age and revocation, and who sent the mail.
func (s *ReplyMailService) checkReplyToken(ctx context.Context, in InboundMail) (ReplyToken, User, error) {
	tok, err := ParseReplyToken(in.Token)
	if err != nil {
		return tok, User{}, refuse(FateBadToken, "malformed token")
	}
	if _, err := s.store.TenantGet(ctx, tok.TenantID); IsCode(err, ENotFound) {
		return ReplyToken{}, User{}, refuse(FateBadToken, "unknown tenant")
	} else if err != nil {
		return tok, User{}, err
	}
	key, err := s.replyKey(ctx, tok.TenantID)
	if err != nil {
		return tok, User{}, err
	}
	var u User
	if tok.UserID == 0 {
		u, err = s.externalSigner(ctx, tok, key, in.From)
	} else {
		u, err = s.tokenUser(ctx, tok, key)
	}
	if err != nil {
		if tok.UserID != 0 && IsCode(err, ENotFound) {
			return ReplyToken{UserID: 0, TenantID: tok.TenantID, Channel: tok.Channel}, u, refuse(FateBadToken, "unknown user")
		}
		var fe *errReplyFate
		if errors.As(err, &fe) {
			tok.UserID = 0 // not proven to be theirs
		}
		return tok, u, err
	}
	if in.Automatic {
		return tok, u, refuse(FateAutomatic, in.Reason)
	}
	if s.clock.Now().After(tok.IssuedAt.Add(s.cfg.ReplyTokenTTL)) {
		return tok, u, refuse(FateExpired, "issued "+tok.IssuedAt.Format(time.RFC3339))
	}
	// An external address's tokens end when it leaves the conversation
	// (checked when posting); a user's also with their sessions.
	revoked, err := s.store.ReplyRevocationGet(ctx, tok.TenantID, tok.UserID)
	switch {
	case tok.UserID == 0:
	case err == nil && tok.IssuedAt.Before(revoked):
		return tok, u, refuse(FateExpired, "revoked")
	case err != nil && !IsCode(err, ENotFound):
		return tok, u, err
	}
	if !strings.EqualFold(in.From, u.Email) || !strings.EqualFold(in.EnvelopeFrom, u.Email) {
		return tok, u, refuse(FateWrongSender, "not the recipient's address")
	}
	return tok, u, nil
}

// tokenUser is the user a token names, when it is signed for their
// address.
func (s *ReplyMailService) tokenUser(ctx context.Context, tok ReplyToken, key []byte) (User, error) {
	u, err := s.store.UserGet(ctx, tok.TenantID, tok.UserID)
	if err != nil {
		return u, err
	}
	if !hmac.Equal(tok.mac, replyMAC(key, tok.payload, u.Email)) {
		return u, refuse(FateBadToken, "bad signature")
	}
	return u, nil
}

// admitSender counts the mail against its sender's limit and refuses one
// with nothing new (no text, none of the files that will be taken).
func (s *ReplyMailService) admitSender(ctx context.Context, email string, in InboundMail, files int) error {
	now := s.clock.Now()
	// The login-failure counter is the codebase's shared windowed counter
	// in the database; a key of its own keeps it apart from logins.
	key := "reply-mail:" + strings.ToLower(email)
	n, err := s.store.LoginFailureAdd(ctx, key, now, now.Add(-replyRateWindow))
	if n == 1 && err == nil {
		// The first in its window: the sender's older rows count no more,
		// so they go, and the rows stay bounded per sender.
		if err = s.store.LoginFailureClear(ctx, key); err == nil {
			n, err = s.store.LoginFailureAdd(ctx, key, now, now.Add(-replyRateWindow))
		}
	}
	if err != nil {
		return err
	}
	if n > replyMaxPerSender {
		return refuse(FateRateLimited, strconv.FormatInt(n, 10)+" mails in the last hour")
	}
	if strings.TrimSpace(in.Text) == "" && files == 0 {
		return refuse(FateEmpty, "no text and no attachment")
	}
	return nil
}

// postReply rate-limits the sender and posts the reply as the user.
func (s *ReplyMailService) postReply(ctx context.Context, tok ReplyToken, u User, in InboundMail) (ReplyResult, error) {
	if err := s.admitSender(ctx, u.Email, in, len(in.Attachments)); err != nil {
		return ReplyResult{}, err
	}
	p, err := s.principalFor(ctx, tok.TenantID, tok.UserID)
	if IsCode(err, EUnauthenticated) {
		return ReplyResult{}, refuse(FateNoAccess, "account is deactivated")
	}
	if err != nil {
		return ReplyResult{}, err
	}
	ctx = WithPrincipal(ctx, p)
	clientID := replyClientID(in.MessageID)
	if m, err := s.store.MessageByClientID(ctx, p.TenantID, p.UserID, clientID); err == nil {
		return ReplyResult{Fate: FateDuplicate, Message: &m}, nil
	} else if !IsCode(err, ENotFound) {
		return ReplyResult{}, err
	}
	if err := (&MessageService{s.core}).authorize(ctx, tok.Channel); err != nil {
		return ReplyResult{}, publishFate(err)
	}
	ids, err := s.uploadReplyFiles(ctx, in.Attachments)
	if err != nil {
		return ReplyResult{}, err
	}
	m, dup, err := (&MessageService{s.core}).PublishDedup(ctx, PublishInput{Channel: tok.Channel, Body: strings.TrimSpace(in.Text),
		ClientMsgID: clientID, AttachmentIDs: ids})
	if err != nil {
		return ReplyResult{}, publishFate(err)
	}
	if dup {
		return ReplyResult{Fate: FateDuplicate, Message: &m}, nil
	}
	return ReplyResult{Fate: FateAccepted, Message: &m}, nil
}

// uploadReplyFiles takes a mail's attachments through the upload checks.
func (s *ReplyMailService) uploadReplyFiles(ctx context.Context, files []InboundAttachment) ([]int64, error) {
	if len(files) > MaxAttachmentsIn {
		return nil, refuse(FateInvalid, "too many attachments")
	}
	var ids []int64
	for _, f := range files {
		a, err := (&MessageService{s.core}).UploadAttachment(ctx, f.Filename, bytes.NewReader(f.Data))
		if err != nil {
			return nil, publishFate(err)
		}
		ids = append(ids, a.ID)
	}
	return ids, nil
}

// publishFate maps a refusal of the publish path to a fate; other errors
// (the store is down) stay errors and the mail is retried by its sender.
func publishFate(err error) error {
	switch ErrorCode(err) {
	case ENotFound, EForbidden, EUnauthenticated:
		return refuse(FateNoAccess, ErrorMessage(err))
	case EInvalid, ETooLarge, EConflict:
		return refuse(FateInvalid, ErrorMessage(err))
	}
	return err
}

// replyClientID is the client_msg_id of a mail: unique per author, so
// the same mail arriving twice, on any node, is stored once.
func replyClientID(messageID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(messageID))))
	return "mail:" + strings.ToLower(replyEncoding.EncodeToString(sum[:20]))
}

// recordReply writes the mail's fate to the tenant's decision log (when
// a tenant is known) and to the log; never the mail's text.
func (s *ReplyMailService) recordReply(ctx context.Context, tok ReplyToken, in InboundMail, res ReplyResult) {
	log := s.log.Info()
	if res.Refused() {
		log = s.log.Warn()
	}
	log.Str("component", "replymail").Int64("tenant", tok.TenantID).Int64("user", tok.UserID).
		Str("channel", tok.Channel.String()).Str("fate", string(res.Fate)).Str("detail", res.Detail).Msg("inbound mail")
	if tok.TenantID == 0 {
		return
	}
	d := NotifyDecision{TenantID: tok.TenantID, UserID: tok.UserID, Via: ViaReplyMail, Channel: tok.Channel,
		Reason: ReasonReplyByEmail, Outcome: res.Fate, Detail: headerText(strings.TrimSpace(in.From+" "+res.Detail), 500),
		CreatedAt: s.clock.Now()}
	if res.Message != nil {
		d.MessageID = res.Message.ID
	}
	if err := s.store.NotifyDecisionRecord(context.WithoutCancel(ctx), &d); err != nil {
		s.log.Error().Err(err).Int64("tenant", tok.TenantID).Msg("recording inbound mail")
	}
}
