package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// maxPushExcerpt bounds the message text a push carries (only when the
// tenant allows excerpts): a lock screen shows a line or two.
const maxPushExcerpt = 140

// PushPayload is what the service worker receives (encrypted end to end
// to the device): what to show and where a click goes. It carries no
// message text unless the tenant allows excerpts, like email.
type PushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// Link is the thread's route in the web app ("/#/topic/12"), relative
	// so that the service worker opens it on its own origin.
	Link string `json:"link"`
	// Tag groups a thread's pushes: a new one replaces the shown one.
	Tag string `json:"tag"`
}

// pushPayload renders a job's push in the recipient's language: the
// email's subject line as the title, and the excerpt (when allowed) or
// the tenant's name as the body.
func (n *Notifier) pushPayload(j NotifyJob, d delivery) ([]byte, error) {
	in := n.mailInput(j, d)
	e, err := n.tmpl.render("notify", in)
	if err != nil {
		return nil, err
	}
	body := in.TenantName
	if in.Excerpt != "" {
		body = cutRunes(in.Excerpt, maxPushExcerpt)
	}
	return json.Marshal(PushPayload{Title: e.Subject, Body: body, Link: ThreadURL("", j.Channel), Tag: j.Channel.String()})
}

// sendPush pushes one recipient's notification to each of their devices
// and records one decision: sent when any device took it. A device the
// push service says is gone is deleted at once. When none took it and
// some failed temporarily, the job is retried (devices that took it are
// not pushed again: there are none).
func (n *Notifier) sendPush(ctx context.Context, j NotifyJob, d delivery) error {
	payload, err := n.pushPayload(j, d)
	if err != nil {
		n.log.Error().Err(err).Int64("job", j.ID).Msg("rendering push")
		n.finish(ctx, j, OutcomeFailed, "the push could not be rendered")
		return nil
	}
	opts := PushOptions{TTL: n.cfg.PushTTL, Topic: string(j.Channel.Kind) + "-" + strconv.FormatInt(j.Channel.ID, 10)}
	var sent, gone int
	var temporary, permanent error
	for _, s := range d.subs {
		switch err := n.push(ctx, s, payload, opts); {
		case err == nil:
			sent++
		case IsCode(err, ENotFound):
			gone++
			n.forgetDevice(ctx, s)
		case IsCode(err, EUnavailable):
			temporary = err
		default:
			permanent = err
			n.log.Warn().Err(err).Int64("tenant", j.TenantID).Int64("user", j.UserID).Int64("subscription", s.ID).Msg("push refused")
		}
	}
	switch {
	case sent > 0:
		n.finish(ctx, j, OutcomeSent, fmt.Sprintf("%d of %d devices", sent, len(d.subs)))
	case temporary != nil:
		return temporary
	case permanent != nil:
		n.finish(ctx, j, OutcomeFailed, ErrorMessage(permanent))
	default:
		n.finish(ctx, j, OutcomeNoDevice, fmt.Sprintf("the push service said %d devices are gone; they were removed", gone))
	}
	return nil
}

// push hands one push to the Pusher within the send timeout.
func (n *Notifier) push(ctx context.Context, s PushSubscription, payload []byte, o PushOptions) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
	defer cancel()
	err := n.cfg.Pusher.Push(ctx, s, payload, o)
	if err != nil && ctx.Err() != nil && !IsCode(err, EUnavailable) {
		return &Error{Code: EUnavailable, Message: "push service did not answer in time", Err: err}
	}
	return err
}

// forgetDevice deletes a subscription the push service no longer knows
// (the user unsubscribed in the browser, or it expired).
func (n *Notifier) forgetDevice(ctx context.Context, s PushSubscription) {
	err := n.svc.store.PushSubscriptionDelete(context.WithoutCancel(ctx), s.TenantID, s.ID)
	if err != nil && !IsCode(err, ENotFound) {
		n.log.Warn().Err(err).Int64("subscription", s.ID).Msg("removing a gone push subscription")
		return
	}
	n.log.Info().Int64("tenant", s.TenantID).Int64("user", s.UserID).Int64("subscription", s.ID).Msg("push subscription gone: removed")
}
