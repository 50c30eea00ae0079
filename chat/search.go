package chat

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search limits.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = 50
	MaxSearchQueryLen  = 200
	// maxSearchConversations bounds how many of the caller's conversations
	// (most recently active first) a search covers, which keeps the channel
	// list handed to the store bounded.
	maxSearchConversations = 5000
	// excerptRunes is the approximate length of a hit's excerpt.
	excerptRunes = 160
)

// SearchHit is one message found by Search, linking to it in its thread.
type SearchHit struct {
	Channel    Channel `json:"channel"`
	MessageID  int64   `json:"message_id"`
	Seq        int64   `json:"seq"`
	Title      string  `json:"title"` // topic name or conversation subject
	AuthorID   int64   `json:"author_id"`
	AuthorName string  `json:"author_name"`
	// Excerpt is plain text around the first matching word.
	Excerpt   string    `json:"excerpt"`
	CreatedAt time.Time `json:"created_at"`
}

// Search finds messages containing the words of query, newest first, in
// every topic and conversation the caller can read now, with the internal
// notes of the conversations whose notes they may read (a hit's Channel
// is then the note channel). It never returns a
// message of a thread the caller cannot read, nor a deleted one.
// Errors: EUnauthenticated, EInvalid.
func (s *MessageService) Search(ctx context.Context, query string, limit int) ([]SearchHit, error) {
	return s.SearchIn(ctx, SearchQuery{Query: query, Limit: limit})
}

// SearchQuery is a search with its filters; zero fields do not narrow.
type SearchQuery struct {
	Query string
	// Where: one thread, or one kind of thread (topic, conversation).
	Channel *Channel
	Kind    ChannelKind
	// Who: the author.
	AuthorID int64
	// When: created in [After, Before).
	After, Before time.Time
	Limit         int
}

// SearchIn is Search narrowed by where, who and when. A thread the caller
// cannot read finds nothing, as one that does not exist.
// Errors: EUnauthenticated, EInvalid.
func (s *MessageService) SearchIn(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	words, err := checkSearch(&q)
	if err != nil {
		return nil, err
	}
	titles, err := s.searchableChannels(ctx, p)
	if err != nil {
		return nil, err
	}
	hits := []SearchHit{}
	chs := make([]Channel, 0, len(titles))
	for ch := range titles {
		if searchWhere(q, ch) {
			chs = append(chs, ch)
		}
	}
	if len(chs) == 0 {
		return hits, nil
	}
	msgs, err := s.store.MessageSearch(ctx, p.TenantID, strings.Join(words, " "), chs,
		MessageFilter{AuthorID: q.AuthorID, After: q.After, Before: q.Before}, q.Limit)
	if err != nil {
		return nil, err
	}
	s.fillAuthors(ctx, p.TenantID, msgs)
	// Access was decided from lists; confirm each thread with the same rule
	// that guards reading, so a search can never disclose more than History.
	readable := map[Channel]bool{}
	for _, m := range msgs {
		ok, seen := readable[m.Channel]
		if !seen {
			_, err := s.threadFor(ctx, s.store, p, m.Channel)
			if err != nil && !IsCode(err, ENotFound) {
				return nil, err
			}
			ok = err == nil
			readable[m.Channel] = ok
		}
		if _, listed := titles[m.Channel]; !ok || !listed || m.DeletedAt != nil {
			continue
		}
		hits = append(hits, SearchHit{Channel: m.Channel, MessageID: m.ID, Seq: m.Seq, Title: titles[m.Channel],
			AuthorID: m.AuthorID, AuthorName: m.AuthorName, Excerpt: excerpt(m.Body, words), CreatedAt: m.CreatedAt})
	}
	return hits, nil
}

// searchWhere reports whether ch is in q's where. A conversation's
// internal notes are part of it (its timeline shows them among its
// messages), so "conversation" and one conversation include them.
func searchWhere(q SearchQuery, ch Channel) bool {
	thread := ch
	if ch.Kind == KindNote {
		thread = ConversationChannel(ch.ID)
	}
	return (q.Channel == nil || *q.Channel == thread) && (q.Kind == "" || q.Kind == thread.Kind)
}

// checkSearch validates q, clamps its limit and returns its words.
func checkSearch(q *SearchQuery) ([]string, error) {
	query := strings.TrimSpace(q.Query)
	if !utf8.ValidString(query) || utf8.RuneCountInString(query) > MaxSearchQueryLen {
		return nil, Errorf(EInvalid, "search must be valid text of at most %d characters", MaxSearchQueryLen)
	}
	words := searchWords(query)
	if len(words) == 0 {
		return nil, Errorf(EInvalid, "search needs at least one word")
	}
	if q.Kind != "" && q.Kind != KindTopic && q.Kind != KindConversation {
		return nil, Errorf(EInvalid, "where must be topic or conversation")
	}
	if q.Channel != nil && !q.Channel.Persisted() {
		return nil, Errorf(EInvalid, "cannot search %s", q.Channel)
	}
	if !q.After.IsZero() && !q.Before.IsZero() && !q.After.Before(q.Before) {
		return nil, Errorf(EInvalid, "the search's start must be before its end")
	}
	if q.Limit <= 0 {
		q.Limit = DefaultSearchLimit
	}
	q.Limit = min(q.Limit, MaxSearchLimit)
	return words, nil
}

// searchableChannels returns the threads the caller can read, with their
// titles: active topics of active groups they belong to (messenger on),
// the conversations visible to them and the internal notes of those whose
// notes they may read (canReadNotes).
func (s *MessageService) searchableChannels(ctx context.Context, p *Principal) (map[Channel]string, error) {
	out := map[Channel]string{}
	t, err := s.store.TenantGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if t.Settings.MessengerEnabled {
		var groupIDs []int64
		for page := (Page{Limit: MaxPageSize}); ; {
			gs, err := s.store.GroupList(ctx, p.TenantID, p.UserID, page)
			if err != nil {
				return nil, err
			}
			for _, g := range gs {
				if g.Active {
					groupIDs = append(groupIDs, g.ID)
				}
			}
			if len(gs) < page.Limit {
				break
			}
			page.After = gs[len(gs)-1].ID
		}
		if len(groupIDs) > 0 {
			topics, err := s.store.TopicListByGroups(ctx, p.TenantID, groupIDs, true)
			if err != nil {
				return nil, err
			}
			for _, tp := range topics {
				out[TopicChannel(tp.ID)] = tp.Name
			}
		}
	}
	// The list's visibility rule, so that search finds what the list shows,
	// and the one rule of internal notes for each conversation's notes.
	f := visibleConversations(p, t.Settings, false)
	v := viewerOf(p)
	for page, n := (Page{Limit: MaxPageSize}), 0; n < maxSearchConversations; {
		cs, err := s.store.ConversationList(ctx, p.TenantID, f, page)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[ConversationChannel(c.ID)] = c.Subject
			if canReadNotes(v, c, t.Settings.CompanyVisibility) {
				out[NoteChannel(c.ID)] = c.Subject
			}
		}
		n += len(cs)
		if len(cs) < page.Limit {
			break
		}
		page.After = cs[len(cs)-1].ID
	}
	return out, nil
}

// searchWords splits a query into lower-case words of letters and digits;
// the stores match each word, so no query syntax reaches them.
func searchWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(words) == 16 {
			break
		}
		words = append(words, w)
	}
	return words
}

// excerpt returns about excerptRunes runes of body around the first
// occurrence of one of the words, with "…" where it was cut.
func excerpt(body string, words []string) string {
	rs := []rune(body)
	lower := make([]rune, len(rs))
	for i, r := range rs {
		lower[i] = unicode.ToLower(r) // one rune each, so indexes match rs
	}
	at := -1
	for _, w := range words {
		if i := runeIndex(lower, []rune(w)); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	start := 0
	if at > excerptRunes/3 {
		start = at - excerptRunes/3
	}
	end := min(len(rs), start+excerptRunes)
	if end-start < excerptRunes {
		start = max(0, end-excerptRunes)
	}
	out := strings.Join(strings.Fields(string(rs[start:end])), " ")
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}

func runeIndex(s, sub []rune) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		match := true
		for j := range sub {
			if s[i+j] != sub[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}
