package chat

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Messenger limits.
const (
	// MaxDescriptionLen bounds a group description (characters).
	MaxDescriptionLen = 2000
	// MaxGroupMembers bounds one group's member list.
	MaxGroupMembers = 5000
	// UnreadCap is the most unread messages counted per topic: a list shows
	// "99+" beyond it, and counting stops there so the list stays cheap.
	UnreadCap = 100
)

// GroupInput is what a tenant admin sets on a group.
type GroupInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Active      bool   `json:"active"`
}

// GroupPatch changes some of a group's fields; nil fields stay.
type GroupPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Active      *bool   `json:"active"`
}

// TopicInput is what a messenger manager sets on a topic.
type TopicInput struct {
	Name        string
	EmailNotify bool
	// NotifyInterval is 0 to MaxNotifyInterval, whole seconds.
	NotifyInterval time.Duration
	Active         bool
}

// TopicPatch changes some of a topic's settings; nil fields stay.
type TopicPatch struct {
	Name           *string
	EmailNotify    *bool
	NotifyInterval *time.Duration
	Active         *bool
}

// GroupMember is what group members see of each other: membership is the
// only rule, so nothing beyond the name is disclosed.
type GroupMember struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// TopicView is a topic as its reader sees it in a list: the caller's read
// marker and how many messages by others are unread (at most UnreadCap).
type TopicView struct {
	Topic   Topic `json:"topic"`
	ReadSeq int64 `json:"read_seq"`
	Unread  int64 `json:"unread"`
}

// GroupView is one group of the caller's messenger: its active topics, the
// sum of their unread counts, and whether the caller may manage topics.
type GroupView struct {
	Group     Group       `json:"group"`
	Unread    int64       `json:"unread"`
	CanManage bool        `json:"can_manage"`
	Topics    []TopicView `json:"topics"`
}

// TopicRef names a topic in topic.removed events.
type TopicRef struct {
	ID      int64 `json:"id"`
	GroupID int64 `json:"group_id"`
}

// GroupChanged is the payload of group.changed on a user channel.
type GroupChanged struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Active      bool    `json:"active"`
	MemberIDs   []int64 `json:"member_ids"`
}

// GroupRef names a group in group.removed events.
type GroupRef struct {
	ID int64 `json:"id"`
}

// RevokedChannels is the payload of access.revoked on a user channel.
type RevokedChannels struct {
	Channels []Channel `json:"channels"`
}

// TenantChangedData is the payload of tenant.changed, sent to every active
// user of the tenant when something all of them see changed.
type TenantChangedData struct {
	TenantID         int64 `json:"tenant_id"`
	MessengerEnabled bool  `json:"messenger_enabled"`
	// What changed: TenantChangedMessenger, TenantChangedSettings or
	// TenantChangedCategories.
	What string `json:"what"`
}

// What a tenant.changed event is about.
const (
	TenantChangedMessenger  = "messenger"  // the messenger switch
	TenantChangedSettings   = "settings"   // other settings (status labels, ...)
	TenantChangedCategories = "categories" // conversation categories
)

// messengerCaller returns the caller when the tenant's messenger is on.
// With it off nothing of the messenger exists: ENotFound.
func (s *MessengerService) messengerCaller(ctx context.Context, st Store) (*Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	on, err := s.messengerOn(ctx, st, p.TenantID)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, NotFound("messenger")
	}
	return p, nil
}

// groupForMember returns the group when p may use it: active and p a member.
func groupForMember(ctx context.Context, st Store, p *Principal, id int64) (Group, error) {
	g, err := st.GroupGet(ctx, p.TenantID, id)
	if err != nil {
		return Group{}, err
	}
	if !g.Active || !slices.Contains(g.MemberIDs, p.UserID) {
		return Group{}, NotFound("group")
	}
	return g, nil
}

// groupForView returns the group when p may see it: its members while it is
// active, tenant admins always.
func groupForView(ctx context.Context, st Store, p *Principal, id int64) (Group, error) {
	g, err := st.GroupGet(ctx, p.TenantID, id)
	if err != nil {
		return Group{}, err
	}
	if p.TenantAdmin() || (g.Active && slices.Contains(g.MemberIDs, p.UserID)) {
		return g, nil
	}
	return Group{}, NotFound("group")
}

// groupForAdmin returns the group for a tenant admin; others get EForbidden
// when they can see it and ENotFound when they cannot.
func groupForAdmin(ctx context.Context, st Store, p *Principal, id int64) (Group, error) {
	g, err := groupForView(ctx, st, p, id)
	if err != nil {
		return Group{}, err
	}
	if !p.TenantAdmin() {
		return Group{}, Errorf(EForbidden, "only tenant admins manage messenger groups")
	}
	return g, nil
}

// canManageTopics reports whether p creates and edits topics in g: a member
// of the active group holding the messenger manager role.
func canManageTopics(p *Principal, g Group) bool {
	return g.Active && slices.Contains(g.MemberIDs, p.UserID) && p.HasRole(RoleMessengerManager)
}

// groupForTopicManager returns the group when p manages its topics;
// EForbidden when p sees the group but lacks the right, else ENotFound.
func groupForTopicManager(ctx context.Context, st Store, p *Principal, id int64) (Group, error) {
	g, err := groupForView(ctx, st, p, id)
	if err != nil {
		return Group{}, err
	}
	if !canManageTopics(p, g) {
		return Group{}, Errorf(EForbidden, "only messenger managers of the group manage its topics")
	}
	return g, nil
}

// Groups lists groups: a tenant admin gets every group of the tenant,
// inactive ones included; anyone else the active groups they belong to.
// Errors: EUnauthenticated, ENotFound (messenger off).
func (s *MessengerService) Groups(ctx context.Context, page Page) ([]Group, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if err != nil {
		return nil, err
	}
	page = page.Normalize()
	if p.TenantAdmin() {
		return s.store.GroupList(ctx, p.TenantID, 0, page)
	}
	return s.memberGroups(ctx, p, page, page.Limit)
}

// memberGroups returns up to most of the groups p sees as a member, from
// page on: those that list p as a member while they are active (GroupList
// by member, then the member check again). Inactive groups are skipped and
// reading goes on, so that a full answer still means there may be more.
func (s *MessengerService) memberGroups(ctx context.Context, p *Principal, page Page, most int) ([]Group, error) {
	out := []Group{}
	for len(out) < most {
		gs, err := s.store.GroupList(ctx, p.TenantID, p.UserID, page)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.Active && slices.Contains(g.MemberIDs, p.UserID) && len(out) < most {
				out = append(out, g)
			}
		}
		if len(gs) < page.Limit {
			break
		}
		page.After = gs[len(gs)-1].ID
	}
	return out, nil
}

// Group returns a group the caller may see with its member ids.
// Errors: EUnauthenticated, ENotFound.
func (s *MessengerService) Group(ctx context.Context, id int64) (Group, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if err != nil {
		return Group{}, err
	}
	return groupForView(ctx, s.store, p, id)
}

// GroupMembers lists the members of a group the caller may see, by name.
// Errors: EUnauthenticated, ENotFound.
func (s *MessengerService) GroupMembers(ctx context.Context, id int64) ([]GroupMember, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if err != nil {
		return nil, err
	}
	g, err := groupForView(ctx, s.store, p, id)
	if err != nil {
		return nil, err
	}
	users, err := s.usersByID(ctx, s.store, p.TenantID, g.MemberIDs)
	if err != nil {
		return nil, err
	}
	return groupMembers(users), nil
}

// groupMembers is what members see of the users: their names, by name.
// Membership is the only rule (not the company rule), so group members
// see each other whatever their companies.
func groupMembers(users []User) []GroupMember {
	out := make([]GroupMember, 0, len(users))
	for _, u := range users {
		out = append(out, GroupMember{ID: u.ID, Name: u.Name})
	}
	slices.SortFunc(out, func(a, b GroupMember) int { return compareFold(a.Name, b.Name, a.ID, b.ID) })
	return out
}

// compareFold orders by name ignoring case, then by id.
func compareFold(a, b string, idA, idB int64) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return cmpInt(idA, idB)
}

// usersByID loads the tenant's users with these ids, in pages the store
// accepts.
func (s *core) usersByID(ctx context.Context, st Store, tenantID int64, ids []int64) ([]User, error) {
	var out []User
	for chunk := range slices.Chunk(ids, MaxPageSize) {
		us, err := st.UserList(ctx, tenantID, UserFilter{IDs: chunk}, Page{Limit: len(chunk)})
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
	}
	return out, nil
}

func validateGroup(in GroupInput) (GroupInput, error) {
	name, err := ValidateName("name", in.Name, MaxNameLen)
	if err != nil {
		return GroupInput{}, err
	}
	in.Name = name
	in.Description = strings.TrimSpace(in.Description)
	if !utf8.ValidString(in.Description) {
		return GroupInput{}, Errorf(EInvalid, "description is not valid UTF-8")
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		return GroupInput{}, Errorf(EInvalid, "description is longer than %d characters", MaxDescriptionLen)
	}
	return in, nil
}

// CreateGroup adds a group to the caller's tenant (tenant admins).
// Errors: EUnauthenticated, ENotFound (messenger off), EForbidden, EInvalid.
func (s *MessengerService) CreateGroup(ctx context.Context, in GroupInput) (Group, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if err != nil {
		return Group{}, err
	}
	if !p.TenantAdmin() {
		return Group{}, Errorf(EForbidden, "only tenant admins manage messenger groups")
	}
	if in, err = validateGroup(in); err != nil {
		return Group{}, err
	}
	g := Group{TenantID: p.TenantID, Name: in.Name, Description: in.Description, Active: in.Active, CreatedAt: s.clock.Now()}
	if err := s.store.GroupCreate(ctx, &g); err != nil {
		return Group{}, err
	}
	return g, nil
}

// UpdateGroup sets a group's name, description and active state (tenant
// admins). Deactivating hides the group's topics from everyone at once.
// Errors: EUnauthenticated, ENotFound, EForbidden, EInvalid.
func (s *MessengerService) UpdateGroup(ctx context.Context, id int64, in GroupInput) (Group, error) {
	return s.updateGroup(ctx, id, func(Group) GroupInput { return in })
}

// PatchGroup changes the given fields of a group, like UpdateGroup.
func (s *MessengerService) PatchGroup(ctx context.Context, id int64, patch GroupPatch) (Group, error) {
	return s.updateGroup(ctx, id, func(g Group) GroupInput {
		in := GroupInput{Name: g.Name, Description: g.Description, Active: g.Active}
		patchField(&in.Name, patch.Name)
		patchField(&in.Description, patch.Description)
		patchField(&in.Active, patch.Active)
		return in
	})
}

// patchField is the rule of every *Patch type: a nil field keeps the current
// value, a given one replaces it.
func patchField[T any](field *T, given *T) {
	if given != nil {
		*field = *given
	}
}

// updateGroup saves the input change makes from the current group, after
// checking that the caller administers it.
func (s *MessengerService) updateGroup(ctx context.Context, id int64, change func(Group) GroupInput) (Group, error) {
	var old, g Group
	var topics []Topic
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := s.messengerCaller(ctx, tx)
		if err != nil {
			return err
		}
		if old, err = groupForAdmin(ctx, tx, p, id); err != nil {
			return err
		}
		in, err := validateGroup(change(old))
		if err != nil {
			return err
		}
		g = old
		g.Name, g.Description, g.Active = in.Name, in.Description, in.Active
		if err := tx.GroupUpdate(ctx, g); err != nil {
			return err
		}
		topics, err = tx.TopicListByGroups(ctx, g.TenantID, []int64{g.ID}, true)
		return err
	})
	if err != nil {
		return Group{}, err
	}
	switch {
	case old.Active && !g.Active:
		s.groupGone(ctx, g, g.MemberIDs, topics, true)
	case g.Active:
		s.groupChanged(ctx, g, g.MemberIDs)
	}
	return g, nil
}

// SetGroupMembers replaces a group's members (tenant admins). Each must be a
// user of the tenant. New members see the group's topics at once; removed
// members lose them live. Errors: EUnauthenticated, ENotFound, EForbidden,
// EInvalid.
func (s *MessengerService) SetGroupMembers(ctx context.Context, id int64, userIDs []int64) (Group, error) {
	if slices.ContainsFunc(userIDs, func(id int64) bool { return id <= 0 }) {
		return Group{}, Errorf(EInvalid, "user ids must be positive")
	}
	ids := distinctIDs(userIDs)
	var old, g Group
	var topics []Topic
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := s.messengerCaller(ctx, tx)
		if err != nil {
			return err
		}
		if old, err = groupForAdmin(ctx, tx, p, id); err != nil {
			return err
		}
		if len(ids) > MaxGroupMembers {
			return Errorf(EInvalid, "a group has at most %d members", MaxGroupMembers)
		}
		users, err := s.usersByID(ctx, tx, p.TenantID, ids)
		if err != nil {
			return err
		}
		if len(users) != len(ids) {
			for _, id := range ids {
				if !slices.ContainsFunc(users, func(u User) bool { return u.ID == id }) {
					return Errorf(EInvalid, "user %d does not exist", id)
				}
			}
		}
		if err := tx.GroupSetMembers(ctx, p.TenantID, id, ids); err != nil {
			return err
		}
		g = old
		g.MemberIDs = ids
		topics, err = tx.TopicListByGroups(ctx, g.TenantID, []int64{g.ID}, true)
		return err
	})
	if err != nil {
		return Group{}, err
	}
	if g.Active {
		var removed []int64
		for _, u := range old.MemberIDs {
			if !slices.Contains(ids, u) {
				removed = append(removed, u)
			}
		}
		s.groupGone(ctx, g, removed, topics, false)
		s.groupChanged(ctx, g, ids)
	}
	return g, nil
}

// groupChanged tells the members that a group they can see changed (or
// that they joined it); their clients reload the topic list.
func (s *MessengerService) groupChanged(ctx context.Context, g Group, members []int64) {
	data := GroupChanged{ID: g.ID, Name: g.Name, Description: g.Description, Active: g.Active, MemberIDs: g.MemberIDs}
	for _, u := range members {
		s.publish(ctx, Event{Channel: UserChannel(u), Type: EventGroup, Data: data})
	}
}

// groupGone tells users that they no longer see a group and unsubscribes
// them from its topics; with allTopics (the group was deactivated) every
// subscription to its topics ends.
func (s *MessengerService) groupGone(ctx context.Context, g Group, users []int64, topics []Topic, allTopics bool) {
	chs := make([]Channel, 0, len(topics))
	for _, t := range topics {
		chs = append(chs, TopicChannel(t.ID))
		if allTopics {
			s.publish(ctx, Event{Channel: TopicChannel(t.ID), Type: EventTopicRemoved, Data: TopicRef{ID: t.ID, GroupID: t.GroupID}})
		}
	}
	for _, u := range users {
		s.publish(ctx, Event{Channel: UserChannel(u), Type: EventGroupRemoved, Data: GroupRef{ID: g.ID}})
		if len(chs) > 0 {
			s.publish(ctx, Event{Channel: UserChannel(u), Type: EventAccessRevoked, Data: RevokedChannels{Channels: chs}})
		}
	}
}

func validateTopic(in TopicInput) (TopicInput, error) {
	name, err := ValidateName("name", in.Name, MaxNameLen)
	if err != nil {
		return TopicInput{}, err
	}
	in.Name = name
	if in.NotifyInterval < 0 || in.NotifyInterval > MaxNotifyInterval {
		return TopicInput{}, Errorf(EInvalid, "notification interval must be between 0 and %d days", MaxNotifyInterval/(24*time.Hour))
	}
	if in.NotifyInterval%time.Second != 0 {
		return TopicInput{}, Errorf(EInvalid, "notification interval must be whole seconds")
	}
	return in, nil
}

// GroupTopics lists every topic of a group, inactive ones included, for its
// messenger managers to edit. Errors: EUnauthenticated, ENotFound,
// EForbidden.
func (s *MessengerService) GroupTopics(ctx context.Context, groupID int64) ([]Topic, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if err != nil {
		return nil, err
	}
	if _, err := groupForTopicManager(ctx, s.store, p, groupID); err != nil {
		return nil, err
	}
	return s.store.TopicListByGroups(ctx, p.TenantID, []int64{groupID}, false)
}

// CreateTopic adds a topic to a group (its messenger managers). Members see
// an active topic at once. Errors: EUnauthenticated, ENotFound, EForbidden,
// EInvalid.
func (s *MessengerService) CreateTopic(ctx context.Context, groupID int64, in TopicInput) (Topic, error) {
	in, verr := validateTopic(in)
	var g Group
	var t Topic
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := s.messengerCaller(ctx, tx)
		if err != nil {
			return err
		}
		if g, err = groupForTopicManager(ctx, tx, p, groupID); err != nil {
			return err
		}
		if verr != nil {
			return verr
		}
		t = Topic{TenantID: p.TenantID, GroupID: g.ID, Name: in.Name, EmailNotify: in.EmailNotify,
			NotifyInterval: in.NotifyInterval, Active: in.Active, CreatedAt: s.clock.Now()}
		return tx.TopicCreate(ctx, &t)
	})
	if err != nil {
		return Topic{}, err
	}
	if t.Active {
		s.topicChanged(ctx, t, g.MemberIDs)
	}
	return t, nil
}

// topicForManage returns a topic its group's messenger managers edit,
// inactive or not. Others get EForbidden when they can read the topic and
// ENotFound when they cannot.
func (s *MessengerService) topicForManage(ctx context.Context, st Store, p *Principal, id int64) (Topic, Group, error) {
	t, err := st.TopicGet(ctx, p.TenantID, id)
	if err != nil {
		return Topic{}, Group{}, err
	}
	g, err := st.GroupGet(ctx, p.TenantID, t.GroupID)
	if err != nil {
		return Topic{}, Group{}, err
	}
	if canManageTopics(p, g) {
		return t, g, nil
	}
	if _, err := s.topicForRead(ctx, st, p, id); err != nil {
		return Topic{}, Group{}, err
	}
	return Topic{}, Group{}, Errorf(EForbidden, "only messenger managers of the group edit its topics")
}

// UpdateTopic sets a topic's name, notification settings and active state
// (the group's messenger managers). Deactivating ends every live
// subscription to it. Errors: EUnauthenticated, ENotFound, EForbidden,
// EInvalid.
func (s *MessengerService) UpdateTopic(ctx context.Context, id int64, in TopicInput) (Topic, error) {
	return s.updateTopic(ctx, id, func(Topic) TopicInput { return in })
}

// PatchTopic changes the given settings of a topic, like UpdateTopic.
func (s *MessengerService) PatchTopic(ctx context.Context, id int64, patch TopicPatch) (Topic, error) {
	return s.updateTopic(ctx, id, func(t Topic) TopicInput {
		in := TopicInput{Name: t.Name, EmailNotify: t.EmailNotify, NotifyInterval: t.NotifyInterval, Active: t.Active}
		patchField(&in.Name, patch.Name)
		patchField(&in.EmailNotify, patch.EmailNotify)
		patchField(&in.NotifyInterval, patch.NotifyInterval)
		patchField(&in.Active, patch.Active)
		return in
	})
}

// updateTopic saves the input change makes from the current topic, after
// checking that the caller manages it.
func (s *MessengerService) updateTopic(ctx context.Context, id int64, change func(Topic) TopicInput) (Topic, error) {
	var old, t Topic
	var g Group
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := s.messengerCaller(ctx, tx)
		if err != nil {
			return err
		}
		if old, g, err = s.topicForManage(ctx, tx, p, id); err != nil {
			return err
		}
		in, err := validateTopic(change(old))
		if err != nil {
			return err
		}
		t = old
		t.Name, t.EmailNotify, t.NotifyInterval, t.Active = in.Name, in.EmailNotify, in.NotifyInterval, in.Active
		return tx.TopicUpdate(ctx, t)
	})
	if err != nil {
		return Topic{}, err
	}
	switch {
	case old.Active && !t.Active:
		ref := TopicRef{ID: t.ID, GroupID: t.GroupID}
		s.publish(ctx, Event{Channel: TopicChannel(t.ID), Type: EventTopicRemoved, Data: ref})
		for _, u := range g.MemberIDs {
			s.publish(ctx, Event{Channel: UserChannel(u), Type: EventTopicRemoved, Data: ref})
		}
	case t.Active:
		s.publish(ctx, Event{Channel: TopicChannel(t.ID), Type: EventTopic, Data: t})
		s.topicChanged(ctx, t, g.MemberIDs)
	}
	return t, nil
}

// topicChanged tells the members of the topic's group about it.
func (s *MessengerService) topicChanged(ctx context.Context, t Topic, members []int64) {
	for _, u := range members {
		s.publish(ctx, Event{Channel: UserChannel(u), Type: EventTopic, Data: t})
	}
}

// Topics is the caller's messenger: the active groups they belong to, each
// with its active topics, read markers and unread counts. With the
// messenger off it is empty. Errors: EUnauthenticated.
func (s *MessengerService) Topics(ctx context.Context) ([]GroupView, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if IsCode(err, ENotFound) {
		return []GroupView{}, nil
	}
	if err != nil {
		return nil, err
	}
	groups, err := s.memberGroups(ctx, p, Page{Limit: MaxPageSize}, math.MaxInt)
	if err != nil {
		return nil, err
	}
	out := make([]GroupView, 0, len(groups))
	if len(groups) == 0 {
		return out, nil
	}
	ids := make([]int64, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	topics, err := s.store.TopicListByGroups(ctx, p.TenantID, ids, true)
	if err != nil {
		return nil, err
	}
	views, err := s.topicViews(ctx, p, topics)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		gv := GroupView{Group: g, CanManage: canManageTopics(p, g), Topics: []TopicView{}}
		gv.Group.MemberIDs = nil // GroupMembers names them; a list need not carry them
		for _, v := range views {
			if v.Topic.GroupID == g.ID {
				gv.Topics = append(gv.Topics, v)
				gv.Unread += v.Unread
			}
		}
		out = append(out, gv)
	}
	return out, nil
}

// Topic returns a topic the caller may read with their read marker and
// unread count. Errors: EUnauthenticated, ENotFound.
func (s *MessengerService) Topic(ctx context.Context, id int64) (TopicView, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return TopicView{}, err
	}
	t, err := s.topicForRead(ctx, s.store, p, id)
	if err != nil {
		return TopicView{}, err
	}
	views, err := s.topicViews(ctx, p, []Topic{t})
	if err != nil {
		return TopicView{}, err
	}
	return views[0], nil
}

// topicViews adds the caller's read markers and unread counts to topics.
// Unread counts messages by others, not deleted, after the marker; a topic
// with nothing new costs no query.
func (s *MessengerService) topicViews(ctx context.Context, p *Principal, topics []Topic) ([]TopicView, error) {
	chs := make([]Channel, len(topics))
	for i, t := range topics {
		chs[i] = TopicChannel(t.ID)
	}
	marks := map[int64]int64{}
	if len(chs) > 0 {
		rs, err := s.store.ReadStateList(ctx, p.TenantID, p.UserID, chs)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			marks[r.Channel.ID] = r.Seq
		}
	}
	out := make([]TopicView, len(topics))
	for i, t := range topics {
		v := TopicView{Topic: t, ReadSeq: marks[t.ID]}
		if t.LastSeq > v.ReadSeq {
			msgs, err := s.store.MessageHistory(ctx, p.TenantID, TopicChannel(t.ID), 0, UnreadCap)
			if err != nil {
				return nil, err
			}
			for _, m := range msgs {
				if m.Seq <= v.ReadSeq {
					break
				}
				if m.AuthorID != p.UserID && m.DeletedAt == nil {
					v.Unread++
				}
			}
		}
		out[i] = v
	}
	return out, nil
}

// MarkTopicRead moves the caller's read marker in a topic to seq, or to its
// newest event when seq <= 0, and returns the stored marker.
// Errors: EUnauthenticated, ENotFound.
func (s *MessengerService) MarkTopicRead(ctx context.Context, id, seq int64) (int64, error) {
	if seq <= 0 {
		seq = 1<<63 - 1 // MarkRead clamps to the channel's last seq
	}
	return s.markRead(ctx, TopicChannel(id), seq)
}

// MarkGroupRead marks every topic of a group the caller belongs to as read.
// Errors: EUnauthenticated, ENotFound.
func (s *MessengerService) MarkGroupRead(ctx context.Context, groupID int64) error {
	p, err := s.messengerCaller(ctx, s.store)
	if err != nil {
		return err
	}
	g, err := groupForMember(ctx, s.store, p, groupID)
	if err != nil {
		return err
	}
	topics, err := s.store.TopicListByGroups(ctx, p.TenantID, []int64{g.ID}, true)
	if err != nil {
		return err
	}
	for _, t := range topics {
		if t.LastSeq == 0 {
			continue
		}
		if _, err := s.markRead(ctx, TopicChannel(t.ID), t.LastSeq); err != nil && !IsCode(err, ENotFound) {
			return err
		}
	}
	return nil
}

// messengerEnabledChanged applies a change of the tenant's messenger switch
// live, after the settings were committed: when turned off, every
// subscription to the tenant's topics ends; either way the tenant's users
// learn of it on their user channels and reload. The data stays.
// TenantUpdate calls it; it checks no permission.
func (s *DirectoryService) messengerEnabledChanged(ctx context.Context, tenantID int64, enabled bool) error {
	if !enabled {
		for page := (Page{Limit: MaxPageSize}); ; {
			gs, err := s.store.GroupList(ctx, tenantID, 0, page)
			if err != nil {
				return err
			}
			ids := make([]int64, len(gs))
			for i, g := range gs {
				ids[i] = g.ID
			}
			if len(ids) > 0 {
				topics, err := s.store.TopicListByGroups(ctx, tenantID, ids, true)
				if err != nil {
					return err
				}
				for _, t := range topics {
					s.publish(ctx, Event{Channel: TopicChannel(t.ID), Type: EventTopicRemoved, Data: TopicRef{ID: t.ID, GroupID: t.GroupID}})
				}
			}
			if len(gs) < page.Limit {
				break
			}
			page.After = gs[len(gs)-1].ID
		}
	}
	return s.tenantChanged(ctx, TenantChangedData{TenantID: tenantID, MessengerEnabled: enabled, What: TenantChangedMessenger})
}

// tenantChanged tells every active user of the tenant, on their user
// channels, so their clients reload what data.What names.
func (s *core) tenantChanged(ctx context.Context, data TenantChangedData) error {
	tenantID := data.TenantID
	for page := (Page{Limit: MaxPageSize}); ; {
		us, err := s.store.UserList(ctx, tenantID, UserFilter{ActiveOnly: true}, page)
		if err != nil {
			return err
		}
		for _, u := range us {
			s.publish(ctx, Event{Channel: UserChannel(u.ID), Type: EventTenant, Data: data})
		}
		if len(us) < page.Limit {
			break
		}
		page.After = us[len(us)-1].ID
	}
	return nil
}

// distinctIDs returns the ids sorted, each once.
func distinctIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
