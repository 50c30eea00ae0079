package frontend

import (
	"net/http"
	"strconv"

	"parley/chat"
)

// historyPage reads ?before=<seq>&limit=n, or ?around=<message id>&limit=n
// (the page centred on that message), and returns that page of ch, newest
// first, with next: the before= of the following (older) page, or "" at
// the start of the thread. Topics and conversations share it.
func (s *Server) historyPage(r *http.Request, ch chat.Channel) ([]chat.Message, string, error) {
	before, err := cursorParam(r, "before", "before must be a sequence number")
	if err != nil {
		return nil, "", err
	}
	limit, err := limitParam(r, chat.DefaultReplayPage, chat.MaxReplayPage)
	if err != nil {
		return nil, "", err
	}
	around, err := queryID(r, "around")
	if err != nil {
		return nil, "", err
	}
	var msgs []chat.Message
	if around != 0 {
		msgs, err = s.messages.HistoryAround(r.Context(), ch, around, limit)
	} else {
		msgs, err = s.messages.History(r.Context(), ch, before, limit)
	}
	if err != nil {
		return nil, "", err
	}
	var next string
	if len(msgs) == limit && msgs[len(msgs)-1].Seq > 1 {
		next = strconv.FormatInt(msgs[len(msgs)-1].Seq, 10)
	}
	return msgs, next, nil
}

// threadHistory answers ?before=<seq>&limit=n messages of the thread the
// path's id names (noun says which kind), newest first, each in the view
// that thread's API uses; next is the before= of the following (older)
// page.
func threadHistory[V any](s *Server, noun string, channel func(int64) chat.Channel, view func(chat.Message) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id", noun)
		if err != nil {
			return err
		}
		msgs, next, err := s.historyPage(r, channel(id))
		if err != nil {
			return err
		}
		out := list[V]{Items: make([]V, 0, len(msgs)), Next: next}
		for _, m := range msgs {
			out.Items = append(out.Items, view(m))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// threadPost publishes the posted message to the thread the path's id
// names (noun says which kind) and answers 201 with it in that thread's
// view; the socket is the usual way, this serves API clients.
func threadPost[V any](s *Server, noun string, channel func(int64) chat.Channel, view func(chat.Message) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id", noun)
		if err != nil {
			return err
		}
		var in postRequest
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		m, err := s.messages.Publish(r.Context(), in.input(channel(id)))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, view(m))
		return nil
	}
}

// postRequest is the body of a message posted over HTTP to a topic or a
// conversation (the socket's publish frame carries the same fields).
type postRequest struct {
	Body          string  `json:"body"`
	ClientMsgID   string  `json:"client_msg_id"`
	ReplyToID     *int64  `json:"reply_to_id"`
	AttachmentIDs []int64 `json:"attachment_ids"`
	Mentions      []int64 `json:"mentions"`
}

func (in postRequest) input(ch chat.Channel) chat.PublishInput {
	return chat.PublishInput{Channel: ch, Body: in.Body, ClientMsgID: in.ClientMsgID, ReplyToID: in.ReplyToID,
		AttachmentIDs: in.AttachmentIDs, Mentions: in.Mentions}
}
