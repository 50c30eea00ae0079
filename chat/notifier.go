package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// NotifierConfig configures a Notifier. Zero values are documented
// defaults.
type NotifierConfig struct {
	// Mailer sends the emails. nil: no email goes out and every email
	// decision that would send records "failed" (email not configured);
	// in-app notifications still work.
	Mailer Mailer
	// Pusher sends Web Push messages. nil: no push jobs and no push
	// decisions (as if nobody had a device).
	Pusher Pusher
	// PushTTL is how long a push service keeps a push for a device that
	// is not reachable (default 12 hours).
	PushTTL time.Duration
	// From is the sender address when the tenant sets none (default
	// "parley@localhost"); ReplyTo likewise (default: none).
	From    string
	ReplyTo string
	// Node names this worker in logs.
	Node   string
	Logger zerolog.Logger

	// PollInterval is how often the worker looks for due jobs when not
	// nudged (default 1 second).
	PollInterval time.Duration
	// BatchSize is how many jobs one claim takes (default 1). One job per
	// claim means a worker that hangs or dies holds only the job it is
	// working on; with more, the untried rest is released when the worker
	// stops, its lease runs short or a send fails temporarily, but a
	// worker killed mid-batch holds them until the lease ends.
	BatchSize int
	// Lease is how long claimed jobs stay this worker's (default 2
	// minutes); jobs of a crashed worker come back after it. It must
	// exceed SendTimeout by far, or a slow send may be sent twice.
	Lease time.Duration
	// SendTimeout bounds one SMTP send or one push to one device,
	// connecting included (default 30 seconds).
	SendTimeout time.Duration
	// MaxAttempts is how often a job is tried before it is recorded
	// failed (default 8). RetryBase (default 1 minute) doubles after each
	// temporary failure up to RetryMax (default 1 hour).
	MaxAttempts int
	RetryBase   time.Duration
	RetryMax    time.Duration
}

func (c *NotifierConfig) setDefaults() {
	if c.From == "" {
		c.From = "parley@localhost"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.PushTTL <= 0 {
		c.PushTTL = 12 * time.Hour
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.RetryBase <= 0 {
		c.RetryBase = time.Minute
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
}

// Notifier is the outbox worker: every node runs one. It claims due jobs
// (other nodes skip them), expands each event into per-recipient work,
// creates in-app notifications, and after the notify delay decides again
// and sends each email once. docs/notifications.md has the rules.
type Notifier struct {
	svc  *Service
	cfg  NotifierConfig
	tmpl *notifyTemplates
	log  zerolog.Logger

	nudge chan struct{}

	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc // of the running Run, nil when not running
	done    chan struct{}      // closed when the running Run returns
}

// NewNotifier returns a worker for svc's store, clock, presence and
// publisher.
func NewNotifier(svc *Service, cfg NotifierConfig) (*Notifier, error) {
	cfg.setDefaults()
	tmpl, err := parseNotifyTemplates()
	if err != nil {
		return nil, Internal(err, "notification templates")
	}
	log := cfg.Logger.With().Str("component", "notifier").Str("node", cfg.Node).Logger()
	return &Notifier{svc: svc, cfg: cfg, tmpl: tmpl, log: log, nudge: make(chan struct{}, 1)}, nil
}

// Nudge wakes the worker now instead of at the next poll (after an
// enqueue on this node, or in tests). It never blocks.
func (n *Notifier) Nudge() {
	select {
	case n.nudge <- struct{}{}:
	default:
	}
}

// Run works until ctx ends or Stop is called. It returns nil then; a
// second concurrent Run is refused.
func (n *Notifier) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return nil
	}
	if n.cancel != nil {
		n.mu.Unlock()
		return Errorf(EConflict, "notifier is already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	n.cancel, n.done = cancel, done
	n.mu.Unlock()
	defer func() {
		cancel()
		n.mu.Lock()
		n.cancel = nil
		n.mu.Unlock()
		close(done)
	}()

	ticker := time.NewTicker(n.cfg.PollInterval)
	defer ticker.Stop()
	for {
		// Drain: a full batch means more may be due.
		for ctx.Err() == nil {
			got, err := n.ProcessDue(ctx)
			if err != nil && ctx.Err() == nil {
				n.log.Warn().Err(err).Msg("claim failed")
			}
			if err != nil || got < n.cfg.BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-n.nudge:
		}
	}
}

// Stop ends Run and waits for it. It is safe to call more than once and
// before or without Run.
func (n *Notifier) Stop() {
	n.mu.Lock()
	n.stopped = true
	cancel, done := n.cancel, n.done
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// ProcessDue claims the jobs due now and works them; it returns how many
// it worked (claimed and not released). Run calls it; tests call it directly to step the worker.
func (n *Notifier) ProcessDue(ctx context.Context) (int, error) {
	now := n.svc.clock.Now()
	leaseUntil := now.Add(n.cfg.Lease)
	jobs, err := n.svc.store.NotifyJobClaim(ctx, now, leaseUntil, n.cfg.BatchSize)
	if err != nil {
		return 0, err
	}
	worked := len(jobs)
	for i, j := range jobs {
		// Stopping, or past the lease another worker may take the rest:
		// give them back now rather than when the lease ends.
		if ctx.Err() != nil || n.svc.clock.Now().Add(n.cfg.SendTimeout).After(leaseUntil) {
			n.release(ctx, jobs[i:], "stopping or lease running out")
			worked = i
			break
		}
		if err := n.work(ctx, j); IsCode(err, EUnavailable) && i+1 < len(jobs) {
			// The mail server failed us (down, or hung until the send
			// timeout): other nodes may reach it, so they get the rest
			// at once.
			n.release(ctx, jobs[i+1:], "temporary mail failure")
			worked = i + 1
			break
		}
	}
	return worked, nil
}

// release gives untried claimed jobs back so that any worker can claim
// them at once.
func (n *Notifier) release(ctx context.Context, jobs []NotifyJob, why string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := n.svc.clock.Now()
	for _, j := range jobs {
		if err := n.svc.store.NotifyJobRelease(ctx, j, now); err != nil && !IsCode(err, ENotFound) {
			// The lease brings it back anyway.
			n.log.Warn().Err(err).Int64("job", j.ID).Msg("releasing notification job")
		}
	}
	n.log.Info().Int("jobs", len(jobs)).Str("why", why).Msg("released untried notification jobs")
}

// work runs one job. Outcomes are recorded inside; an error returned by
// the job's handler means "try again later", and work returns it after
// rescheduling the job.
func (n *Notifier) work(ctx context.Context, j NotifyJob) error {
	var err error
	switch {
	case j.UserID == 0 && j.Reason == ReasonExternalEmail:
		err = n.sendExternal(ctx, j)
	case j.UserID == 0 && j.Reason == ReasonOfficeEmail:
		err = n.sendOffice(ctx, j)
	case j.UserID == 0:
		err = n.expand(ctx, j)
	default:
		err = n.deliver(ctx, j)
	}
	if err == nil || errors.Is(err, errJobGone) {
		return nil
	}
	log := n.log.With().Int64("tenant", j.TenantID).Int64("user", j.UserID).Int64("job", j.ID).
		Str("reason", string(j.Reason)).Int("attempt", j.Attempts).Logger()
	if j.Attempts >= n.cfg.MaxAttempts {
		log.Error().Err(err).Msg("notification job failed for good")
		if j.UserID != 0 {
			n.finish(ctx, j, OutcomeFailed, fmt.Sprintf("gave up after %d attempts: %s", j.Attempts, ErrorMessage(err)))
		} else if derr := n.svc.store.NotifyJobDone(ctx, j.ID); derr != nil && !IsCode(derr, ENotFound) {
			log.Warn().Err(derr).Msg("dropping job")
		}
		return err
	}
	due := n.svc.clock.Now().Add(RetryDelay(j.Attempts, n.cfg.RetryBase, n.cfg.RetryMax))
	log.Warn().Err(err).Time("retry_at", due).Msg("notification job will be retried")
	if rerr := n.svc.store.NotifyJobRetry(context.WithoutCancel(ctx), j.ID, due, truncate(err.Error(), 500)); rerr != nil {
		// The lease brings the job back anyway.
		log.Warn().Err(rerr).Msg("rescheduling job")
	}
	return err
}

// errJobGone means another worker finished the job first (its lease had
// run out): nothing to retry.
var errJobGone = errors.New("job already done by another worker")

// expand turns an event job into per-recipient work in one transaction:
// in-app notifications now, an email job due after the notify delay for
// each recipient who may get one, and a recorded decision for each who
// may not.
func (n *Notifier) expand(ctx context.Context, j NotifyJob) error {
	st := n.svc.store
	m, err := st.MessageGet(ctx, j.TenantID, j.MessageID)
	if IsCode(err, ENotFound) {
		return n.drop(ctx, j) // the thread was deleted meanwhile
	}
	if err != nil {
		return err
	}
	ev, err := n.loadEvent(ctx, j, m)
	if IsCode(err, ENotFound) || IsCode(err, EInvalid) {
		n.log.Warn().Err(err).Int64("job", j.ID).Msg("dropping notification job")
		return n.drop(ctx, j)
	}
	if err != nil {
		return err
	}
	recipients, canRead, err := n.recipients(ctx, j, m, ev)
	if IsCode(err, ENotFound) {
		return n.drop(ctx, j) // the topic's group was deleted meanwhile
	}
	if err != nil {
		return err
	}
	ids := []int64{m.AuthorID}
	for _, r := range recipients {
		ids = append(ids, r.UserID)
	}
	if err := n.loadUsers(ctx, j.TenantID, ids, ev.users); err != nil {
		return err
	}
	w, err := n.decide(ctx, j, m, ev, recipients, canRead)
	if err != nil {
		return err
	}
	if err := n.commitExpansion(ctx, j, w); err != nil {
		return err
	}
	inApp := w.inApp
	for i := range inApp {
		n.svc.publishNotificationEvent(ctx, j.TenantID, inApp[i].UserID, NotificationEvent{Notification: &inApp[i]})
	}
	return nil
}

// recipients lists who an event job concerns, with the read check that
// decides whether each may still see the thread.
func (n *Notifier) recipients(ctx context.Context, j NotifyJob, m Message, ev event) ([]Recipient, func(userID int64) (bool, error), error) {
	st := n.svc.store
	if ev.topic == nil {
		parties, err := n.conversationParties(ctx, j.TenantID, *ev.conv)
		if err != nil {
			return nil, nil, err
		}
		th := thread{ch: j.Channel}
		canRead := func(id int64) (bool, error) { return n.svc.userCanRead(ctx, st, j.TenantID, id, th) }
		return ConversationRecipients(j.Reason, parties, m.AuthorID, m.Mentions), canRead, nil
	}
	g, err := st.GroupGet(ctx, j.TenantID, ev.topic.GroupID)
	if err != nil {
		return nil, nil, err
	}
	// The topic read rule for the whole group at once, for its active
	// members.
	canRead := func(id int64) (bool, error) {
		acc := TopicReadAccess{MessengerOn: ev.tenant.Settings.MessengerEnabled, GroupActive: g.Active,
			Member: slices.Contains(g.MemberIDs, id)}
		return acc.Allows(*ev.topic) && ev.users[id].Active, nil
	}
	return TopicRecipients(g.MemberIDs, ev.topic.EmailNotify, m.Mentions), canRead, nil
}

// expansion is what one event job becomes.
type expansion struct {
	inApp     []Notification
	jobs      []NotifyJob
	decisions []NotifyDecision
}

// decide applies the notification policy to each recipient: an in-app
// notification, and per channel (email, push) a job due after the notify
// delay or a decision why not.
func (n *Notifier) decide(ctx context.Context, j NotifyJob, m Message, ev event, recipients []Recipient,
	canRead func(userID int64) (bool, error)) (expansion, error) {
	var w expansion
	now := n.svc.clock.Now()
	for _, r := range recipients {
		rs, err := n.recipientState(ctx, j, m, ev, r, canRead)
		if err != nil {
			return w, err
		}
		if rs.facts.InApp {
			w.inApp = append(w.inApp, Notification{TenantID: j.TenantID, UserID: r.UserID, Kind: string(r.Reason),
				Channel: j.Channel, MessageID: &m.ID, Title: ev.title(), CreatedAt: now})
		}
		for _, via := range rs.vias() {
			n.plan(&w, j, m, r, via, rs.factsFor(via))
		}
	}
	return w, nil
}

// recipientState is what the Notifier knows of one recipient: the facts
// every channel shares and the recipient's settings.
type recipientState struct {
	facts       DeliveryFacts // ChannelOn and NoDevice unset
	emailSwitch bool
	channels    NotifyChannels
	devices     int
}

// factsFor completes the facts for one channel.
func (rs recipientState) factsFor(via NotifyVia) DeliveryFacts {
	f := rs.facts
	f.ChannelOn = ChannelOn(via, f.Reason, rs.emailSwitch, rs.channels)
	f.NoDevice = via == ViaPush && rs.devices == 0
	return f
}

// recipientState gathers access, mute, settings and devices of one
// recipient at expand time.
func (n *Notifier) recipientState(ctx context.Context, j NotifyJob, m Message, ev event, r Recipient,
	canRead func(userID int64) (bool, error)) (recipientState, error) {
	ok, err := canRead(r.UserID)
	if err != nil {
		return recipientState{}, err
	}
	rs := recipientState{facts: ev.facts(r, m, j), emailSwitch: ev.users[r.UserID].EmailNotifications}
	rs.facts.CanRead = ok
	if ok && r.UserID != m.AuthorID {
		if rs.facts.Muted, err = n.svc.store.MuteGet(ctx, j.TenantID, r.UserID, j.Channel); err != nil {
			return rs, err
		}
		if rs.channels, rs.devices, err = n.settings(ctx, j.TenantID, r.UserID); err != nil {
			return rs, err
		}
	}
	rs.facts.InApp = InAppFor(r.Reason) && ok && !rs.facts.Muted && r.UserID != m.AuthorID
	return rs, nil
}

// settings loads a user's channels per kind and counts their push
// devices (none when push is off).
func (n *Notifier) settings(ctx context.Context, tenantID, userID int64) (NotifyChannels, int, error) {
	c, err := n.svc.notifyChannels(ctx, n.svc.store, tenantID, userID)
	if err != nil || n.cfg.Pusher == nil {
		return c, 0, err
	}
	subs, err := n.svc.store.PushSubscriptionList(ctx, tenantID, userID)
	return c, len(subs), err
}

// vias lists the channels a recipient gets a decision about: email
// always, push only for someone with a device, so that the log does not
// fill with pushes nobody could have received.
func (rs recipientState) vias() []NotifyVia {
	if rs.devices > 0 {
		return []NotifyVia{ViaEmail, ViaPush}
	}
	return []NotifyVia{ViaEmail}
}

// plan adds one recipient's job on one channel to the expansion, or the
// decision why there is none.
func (n *Notifier) plan(w *expansion, j NotifyJob, m Message, r Recipient, via NotifyVia, f DeliveryFacts) {
	switch out := DecideDelivery(f); {
	case out != OutcomeSent:
		w.decisions = append(w.decisions, n.decision(j, r, via, out, ""))
	case via == ViaEmail && n.cfg.Mailer == nil:
		w.decisions = append(w.decisions, n.decision(j, r, via, OutcomeFailed, "email is not configured"))
	default:
		w.jobs = append(w.jobs, NotifyJob{TenantID: j.TenantID, UserID: r.UserID, Via: via, Reason: r.Reason, Channel: j.Channel,
			MessageID: m.ID, PrevMessageAt: j.PrevMessageAt, DueAt: m.CreatedAt.Add(n.svc.cfg.NotifyDelay),
			CreatedAt: n.svc.clock.Now()})
	}
}

// commitExpansion replaces the event job by its expansion in one
// transaction.
func (n *Notifier) commitExpansion(ctx context.Context, j NotifyJob, w expansion) error {
	return n.svc.store.InTx(ctx, func(tx Store) error {
		// Deleting first locks the row: a second worker expanding the
		// same job after a lease ran out waits here, then finds it gone.
		if err := tx.NotifyJobDone(ctx, j.ID); err != nil {
			if IsCode(err, ENotFound) {
				return errJobGone
			}
			return err
		}
		for i := range w.inApp {
			if err := tx.NotificationCreate(ctx, &w.inApp[i]); err != nil {
				return err
			}
		}
		for i := range w.jobs {
			if err := tx.NotifyJobEnqueue(ctx, &w.jobs[i]); err != nil {
				return err
			}
		}
		for i := range w.decisions {
			if err := tx.NotifyDecisionRecord(ctx, &w.decisions[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// event is what a job's thread looks like when the worker handles it.
type event struct {
	tenant Tenant
	topic  *Topic
	conv   *Conversation
	users  map[int64]User
}

func (n *Notifier) loadEvent(ctx context.Context, j NotifyJob, m Message) (event, error) {
	st := n.svc.store
	ev := event{users: map[int64]User{}}
	var err error
	if ev.tenant, err = st.TenantGet(ctx, j.TenantID); err != nil {
		return ev, err
	}
	switch j.Channel.Kind {
	case KindTopic:
		t, err := st.TopicGet(ctx, j.TenantID, j.Channel.ID)
		if err != nil {
			return ev, err
		}
		ev.topic = &t
	case KindConversation:
		c, err := st.ConversationGet(ctx, j.TenantID, j.Channel.ID)
		if err != nil {
			return ev, err
		}
		ev.conv = &c
	default:
		return ev, Errorf(EInvalid, "no notifications for %s", j.Channel)
	}
	if m.Channel != j.Channel {
		return ev, Errorf(EInvalid, "message %d is not in %s", m.ID, j.Channel)
	}
	return ev, nil
}

// facts are the recipient-independent parts of the delivery decision.
func (ev event) facts(r Recipient, m Message, j NotifyJob) DeliveryFacts {
	f := DeliveryFacts{Reason: r.Reason, RecipientID: r.UserID, AuthorID: m.AuthorID, MessageAt: m.CreatedAt,
		PrevMessageAt: j.PrevMessageAt}
	if ev.topic != nil {
		f.TopicEmailNotify, f.TopicInterval = ev.topic.EmailNotify, ev.topic.NotifyInterval
	}
	return f
}

// title names the thread in an in-app notification.
func (ev event) title() string {
	if ev.topic != nil {
		return ev.topic.Name
	}
	return ev.conv.Subject
}

// conversationParties loads the receiver-role members and tenant admins.
func (n *Notifier) conversationParties(ctx context.Context, tenantID int64, c Conversation) (ConversationParties, error) {
	p := ConversationParties{Conversation: c}
	var err error
	if len(c.RoleIDs) > 0 {
		if p.RoleMemberIDs, err = n.usersWithRoles(ctx, tenantID, c.RoleIDs); err != nil {
			return p, err
		}
	}
	roles, err := n.svc.store.RoleList(ctx, tenantID)
	if err != nil {
		return p, err
	}
	for _, r := range roles {
		if r.Key == RoleTenantAdmin {
			if p.TenantAdminIDs, err = n.usersWithRoles(ctx, tenantID, []int64{r.ID}); err != nil {
				return p, err
			}
		}
	}
	if c.CustomerCompanyID != nil {
		if p.AddresseeIDs, err = n.addressees(ctx, tenantID, c); err != nil {
			return p, err
		}
	}
	return p, nil
}

// addressees lists the active users of the customer company c is
// addressed to who are its customers (isAddressee).
func (n *Notifier) addressees(ctx context.Context, tenantID int64, c Conversation) ([]int64, error) {
	f, err := loadTenantFacts(ctx, n.svc.store, tenantID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	uf := UserFilter{CompanyIDs: []int64{*c.CustomerCompanyID}, ActiveOnly: true}
	err = eachUserPage(ctx, n.svc.store, tenantID, uf, func(us []User) {
		for _, u := range us {
			if isAddressee(f.viewerOfUser(u), c) {
				ids = append(ids, u.ID)
			}
		}
	})
	return ids, err
}

// usersWithRoles lists the active holders of any of the roles.
func (n *Notifier) usersWithRoles(ctx context.Context, tenantID int64, roleIDs []int64) ([]int64, error) {
	var ids []int64
	page := Page{Limit: MaxPageSize}
	for {
		us, err := n.svc.store.UserList(ctx, tenantID, UserFilter{RoleIDs: roleIDs, ActiveOnly: true}, page)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		if len(us) < page.Limit {
			return ids, nil
		}
		page.After = us[len(us)-1].ID
	}
}

// loadUsers adds the users with the ids to into (a missing user stays
// absent: the zero User is inactive and has email off).
func (n *Notifier) loadUsers(ctx context.Context, tenantID int64, ids []int64, into map[int64]User) error {
	var want []int64
	for _, id := range ids {
		if _, ok := into[id]; !ok && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	for chunk := range slices.Chunk(want, MaxPageSize) {
		us, err := n.svc.store.UserList(ctx, tenantID, UserFilter{IDs: chunk}, Page{Limit: MaxPageSize})
		if err != nil {
			return err
		}
		for _, u := range us {
			into[u.ID] = u
		}
	}
	return nil
}

func (n *Notifier) decision(j NotifyJob, r Recipient, via NotifyVia, out NotifyOutcome, detail string) NotifyDecision {
	return NotifyDecision{TenantID: j.TenantID, UserID: r.UserID, Via: via, Channel: j.Channel, MessageID: j.MessageID,
		Reason: r.Reason, Outcome: out, Detail: detail, CreatedAt: n.svc.clock.Now()}
}

// drop removes a job that has nothing left to do.
func (n *Notifier) drop(ctx context.Context, j NotifyJob) error {
	if err := n.svc.store.NotifyJobDone(ctx, j.ID); err != nil && !IsCode(err, ENotFound) {
		return err
	}
	return nil
}

// finish records the decision about a per-recipient job and removes the
// job, together.
func (n *Notifier) finish(ctx context.Context, j NotifyJob, out NotifyOutcome, detail string) {
	d := n.decision(j, Recipient{j.UserID, j.Reason}, j.viaOrEmail(), out, detail)
	ctx = context.WithoutCancel(ctx) // an email that went out must be recorded
	err := n.svc.store.InTx(ctx, func(tx Store) error {
		if err := tx.NotifyDecisionRecord(ctx, &d); err != nil {
			return err
		}
		err := tx.NotifyJobDone(ctx, j.ID)
		if IsCode(err, ENotFound) {
			// Another worker took the job after our lease ran out; keep
			// our record so the log tells the truth.
			n.log.Warn().Int64("job", j.ID).Msg("job finished twice; the lease is too short for the send timeout")
			return nil
		}
		return err
	})
	if err != nil {
		n.log.Error().Err(err).Int64("job", j.ID).Str("outcome", string(out)).Msg("recording notification decision")
	}
}

// deliver decides again at send time and sends one recipient's email or
// push.
func (n *Notifier) deliver(ctx context.Context, j NotifyJob) error {
	d, out, detail, err := n.recheck(ctx, j)
	if err != nil {
		return err
	}
	if out != OutcomeSent {
		n.finish(ctx, j, out, detail)
		return nil
	}
	if j.viaOrEmail() == ViaPush {
		return n.sendPush(ctx, j, d)
	}
	return n.sendEmail(ctx, j, d)
}

// delivery is what a per-recipient job concerns, loaded at send time.
type delivery struct {
	m    Message
	ev   event
	u    User
	subs []PushSubscription // push jobs only
}

// recheck loads the job's message, thread and recipient and decides
// again; an outcome other than OutcomeSent (with its detail) ends the job.
func (n *Notifier) recheck(ctx context.Context, j NotifyJob) (delivery, NotifyOutcome, string, error) {
	var d delivery
	var err error
	d.m, err = n.svc.store.MessageGet(ctx, j.TenantID, j.MessageID)
	switch {
	case IsCode(err, ENotFound):
		return d, OutcomeNoAccess, "the message no longer exists", nil
	case err != nil:
		return d, "", "", err
	case d.m.DeletedAt != nil:
		return d, OutcomeNoAccess, "the message was deleted", nil
	}
	d.ev, err = n.loadEvent(ctx, j, d.m)
	if IsCode(err, ENotFound) || IsCode(err, EInvalid) {
		return d, OutcomeNoAccess, "the thread no longer exists", nil
	}
	if err != nil {
		return d, "", "", err
	}
	if err := n.loadUsers(ctx, j.TenantID, []int64{j.UserID, d.m.AuthorID}, d.ev.users); err != nil {
		return d, "", "", err
	}
	d.u = d.ev.users[j.UserID]
	f, err := n.sendTimeFacts(ctx, j, &d)
	if err != nil {
		return d, "", "", err
	}
	return d, DecideDelivery(f), "", nil
}

// sendTimeFacts gathers the facts again when the job is due: access,
// mute, settings, devices, read marker and presence.
func (n *Notifier) sendTimeFacts(ctx context.Context, j NotifyJob, d *delivery) (DeliveryFacts, error) {
	st := n.svc.store
	f := d.ev.facts(Recipient{j.UserID, j.Reason}, d.m, j)
	f.InApp = InAppFor(j.Reason) // expand created it, or the job would not exist
	var err error
	if f.CanRead, err = n.svc.userCanRead(ctx, st, j.TenantID, j.UserID, thread{ch: j.Channel}); err != nil || !f.CanRead {
		return f, err
	}
	if f.Muted, err = st.MuteGet(ctx, j.TenantID, j.UserID, j.Channel); err != nil {
		return f, err
	}
	channels, err := n.svc.notifyChannels(ctx, st, j.TenantID, j.UserID)
	if err != nil {
		return f, err
	}
	f.ChannelOn = ChannelOn(j.viaOrEmail(), j.Reason, d.u.EmailNotifications, channels)
	if j.viaOrEmail() == ViaPush {
		if d.subs, err = st.PushSubscriptionList(ctx, j.TenantID, j.UserID); err != nil {
			return f, err
		}
		f.NoDevice = len(d.subs) == 0 || n.cfg.Pusher == nil
	}
	rs, err := st.ReadStateList(ctx, j.TenantID, j.UserID, []Channel{j.Channel})
	if err != nil {
		return f, err
	}
	f.Read = len(rs) > 0 && rs[0].Seq >= d.m.Seq
	if f.Online, err = n.svc.online(ctx, j.TenantID, j.UserID); err != nil {
		// Without presence we cannot tell; retry rather than notify
		// someone who is looking.
		return f, Internal(err, "presence")
	}
	return f, nil
}

// mailInput is what the email (and the push text) about a job says.
func (n *Notifier) mailInput(j NotifyJob, d delivery) notifyEmailInput {
	in := notifyEmailInput{Reason: j.Reason, Locale: d.u.Locale, RecipientName: d.u.Name, AuthorName: authorName(d.m, d.ev.users),
		TenantName: d.ev.tenant.Name, Link: ThreadURL(n.svc.cfg.PublicURL, j.Channel)}
	if d.ev.topic != nil {
		in.TopicName = d.ev.topic.Name
	}
	if d.ev.tenant.Settings.EmailExcerpts {
		in.Excerpt = excerptOf(d.m.Body)
		if d.ev.conv != nil {
			in.Subject = d.ev.conv.Subject
		}
	}
	return in
}

// sendEmail renders and sends one recipient's email and records it.
func (n *Notifier) sendEmail(ctx context.Context, j NotifyJob, d delivery) error {
	if n.cfg.Mailer == nil {
		n.finish(ctx, j, OutcomeFailed, "email is not configured")
		return nil
	}
	e, err := n.tmpl.render("notify", n.mailInput(j, d))
	if err != nil {
		n.log.Error().Err(err).Int64("job", j.ID).Msg("rendering notification email")
		n.finish(ctx, j, OutcomeFailed, "the email could not be rendered")
		return nil
	}
	email := n.envelope(d.ev.tenant, j.Channel, e)
	email.To, email.ToName = d.u.Email, headerText(d.u.Name, MaxNameLen)
	if n.svc.ReplyEnabled() {
		if email.ReplyTo, err = n.svc.replyAddress(ctx, d.u, j.Channel); err != nil {
			return err // the store: retried
		}
	}
	if err := n.send(ctx, email); err != nil {
		if IsCode(err, EUnavailable) {
			return err // temporary: retried, recorded failed after the last attempt
		}
		n.log.Warn().Err(err).Int64("tenant", j.TenantID).Int64("user", j.UserID).Msg("email refused")
		n.finish(ctx, j, OutcomeFailed, ErrorMessage(err))
		return nil
	}
	n.finish(ctx, j, OutcomeSent, "")
	return nil
}

// envelope fills From and Reply-To from the tenant's settings, falling
// back to the configured defaults when they are unset or not an address,
// and refers to the thread's stable id so that mail clients keep the
// emails about ch in one thread.
func (n *Notifier) envelope(t Tenant, ch Channel, e renderedEmail) Email {
	from, replyTo := n.cfg.From, n.cfg.ReplyTo
	if validAddress(t.Settings.MailFrom) {
		from = t.Settings.MailFrom
	}
	if validAddress(t.Settings.ReplyTo) {
		replyTo = t.Settings.ReplyTo
	}
	thread := threadMailID(t.ID, ch, from)
	return Email{From: from, FromName: headerText(t.Name, MaxNameLen), ReplyTo: replyTo,
		Subject: e.Subject, Text: e.Text, HTML: e.HTML, InReplyTo: thread, References: thread, Automatic: true}
}

// authorName is who wrote m, as notifications name them: the user, or
// the external participant's address for a reply by email.
func authorName(m Message, users map[int64]User) string {
	if m.ExternalAuthor != "" {
		return m.ExternalAuthor
	}
	return users[m.AuthorID].Name
}

// send hands one email to the mailer within the send timeout.
func (n *Notifier) send(ctx context.Context, e Email) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
	defer cancel()
	err := n.cfg.Mailer.Send(ctx, e)
	if err != nil && ctx.Err() != nil && !IsCode(err, EUnavailable) {
		// A timeout or a stop is worth another try.
		return &Error{Code: EUnavailable, Message: "mail server did not answer in time", Err: err}
	}
	return err
}

// addressJob loads what a job for email addresses (external participants,
// the office address) needs: the conversation message, its event and the
// addresses already done. A message, conversation or tenant gone, or a
// deleted message, drops the job: ev is nil then, as on an error.
func (n *Notifier) addressJob(ctx context.Context, j NotifyJob) (Message, *event, map[string]bool, error) {
	m, err := n.svc.store.MessageGet(ctx, j.TenantID, j.MessageID)
	if IsCode(err, ENotFound) {
		return m, nil, nil, n.drop(ctx, j)
	}
	if err != nil {
		return m, nil, nil, err
	}
	ev, err := n.loadEvent(ctx, j, m)
	if IsCode(err, ENotFound) || IsCode(err, EInvalid) {
		return m, nil, nil, n.drop(ctx, j)
	}
	if err != nil {
		return m, nil, nil, err
	}
	if m.DeletedAt != nil || ev.conv == nil {
		return m, nil, nil, n.drop(ctx, j)
	}
	done, err := n.addressesDone(ctx, j)
	if err != nil {
		return m, nil, nil, err
	}
	return m, &ev, done, nil
}

// sendExternal emails a conversation message to the conversation's
// external addresses. Each address is recorded (user 0, the address in
// Detail) as soon as it is done, so a retry after a temporary failure
// sends only to the addresses still missing.
func (n *Notifier) sendExternal(ctx context.Context, j NotifyJob) error {
	st := n.svc.store
	m, loaded, done, err := n.addressJob(ctx, j)
	if err != nil || loaded == nil {
		return err
	}
	ev := *loaded
	addrs, body, err := n.externalContent(ctx, j, m, *ev.conv, ev.users)
	if err != nil {
		return err
	}
	author := ev.users[m.AuthorID]
	e, err := n.tmpl.render("external", notifyEmailInput{Reason: j.Reason, Locale: author.Locale, AuthorName: author.Name,
		TenantName: ev.tenant.Name, Subject: ev.conv.Subject, Excerpt: body})
	if err != nil {
		return Internal(err, "render external email")
	}
	record := func(addr string, out NotifyOutcome, detail string) error {
		d := n.decision(j, Recipient{0, j.Reason}, ViaEmail, out, strings.TrimSpace(addr+" "+detail))
		return st.NotifyDecisionRecord(context.WithoutCancel(ctx), &d)
	}
	var temporary error
	for _, addr := range addrs {
		if done[addr] {
			continue
		}
		if n.cfg.Mailer == nil {
			if err := record(addr, OutcomeFailed, "email is not configured"); err != nil {
				return err
			}
			continue
		}
		email := n.envelope(ev.tenant, j.Channel, e)
		email.To = addr
		if n.svc.ReplyEnabled() {
			if email.ReplyTo, err = n.svc.externalReplyAddress(ctx, j.TenantID, ev.conv.ID, addr); err != nil {
				return err // the store: retried
			}
		}
		err := n.send(ctx, email)
		switch {
		case err == nil:
			err = record(addr, OutcomeSent, "")
		case IsCode(err, EUnavailable) && j.Attempts < n.cfg.MaxAttempts:
			temporary, err = err, nil
		default:
			err = record(addr, OutcomeFailed, ErrorMessage(err))
		}
		if err != nil {
			return err
		}
	}
	if temporary != nil {
		return temporary
	}
	return n.drop(ctx, j)
}

// addressesDone returns the addresses already handled for the job's
// message and reason (external or office addresses).
func (n *Notifier) addressesDone(ctx context.Context, j NotifyJob) (map[string]bool, error) {
	done := map[string]bool{}
	page := Page{Limit: MaxPageSize}
	for {
		ds, err := n.svc.store.NotifyDecisionList(ctx, j.TenantID, 0, j.MessageID, page)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.UserID == 0 && d.Reason == j.Reason {
				addr, _, _ := strings.Cut(d.Detail, " ")
				done[addr] = true
			}
		}
		if len(ds) < page.Limit {
			return done, nil
		}
		page.After = ds[len(ds)-1].ID
	}
}

// maxExternalTranscript bounds the messages an external email carries
// when an address joins a conversation.
const maxExternalTranscript = 50

// externalContent says who gets an external email and what it says. For a
// new conversation's first message (a text message): every external
// address, and that message. When addresses are added later (a status
// event listing them): only the added addresses, and the conversation's
// text messages so far, oldest first.
func (n *Notifier) externalContent(ctx context.Context, j NotifyJob, m Message, c Conversation, users map[int64]User) ([]string, string, error) {
	if m.Kind != MessageStatus {
		if err := n.loadUsers(ctx, j.TenantID, []int64{m.AuthorID}, users); err != nil {
			return nil, "", err
		}
		return c.ExternalEmails, strings.TrimSpace(m.Body), nil
	}
	var change struct {
		Emails []string `json:"emails"`
	}
	if err := json.Unmarshal([]byte(m.Body), &change); err != nil {
		return nil, "", Internal(err, "decode conversation change")
	}
	msgs, err := n.svc.store.MessageHistory(ctx, j.TenantID, j.Channel, m.Seq, maxExternalTranscript)
	if err != nil {
		return nil, "", err
	}
	ids := []int64{m.AuthorID}
	for _, h := range msgs {
		ids = append(ids, h.AuthorID)
	}
	if err := n.loadUsers(ctx, j.TenantID, ids, users); err != nil {
		return nil, "", err
	}
	var b strings.Builder
	for i := len(msgs) - 1; i >= 0; i-- {
		h := msgs[i]
		if h.Kind != MessageText || h.DeletedAt != nil {
			continue
		}
		fmt.Fprintf(&b, "%s, %s:\n%s\n\n", authorName(h, users), h.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(h.Body))
	}
	return change.Emails, strings.TrimSpace(b.String()), nil
}
