// Package storetest is the conformance suite every chat.Store
// implementation runs: one behaviour for PostgreSQL and SQLite.
//
// Each area of the suite has its checks in a file of its own; areas, in
// this file, lists every area with its checks, one named function per
// behaviour, each run as a subtest. An implementation's test calls Run with its
// Engine: constructors of fresh stores.
//
// Conventions the suite holds both engines to, beyond chat.Store's
// comments: a Create/Insert method keeps a non-zero CreatedAt (UpdatedAt for
// drafts) it is given and sets it to the current time (UTC, microseconds)
// when zero; times come back as the same instant (compare with Equal);
// nil and empty id slices are interchangeable.
package storetest

import (
	"testing"

	"parley/chat"
)

// NewStoreFunc returns a fresh, empty, migrated store owned by t (closed in
// t.Cleanup by the constructor).
type NewStoreFunc = func(t *testing.T) chat.Store

// NewNodesFunc returns n stores on one fresh, empty, migrated database, as
// n nodes (PostgreSQL) or processes (SQLite) sharing it open it; each is
// owned by t.
type NewNodesFunc = func(t *testing.T, n int) []chat.Store

// Engine is what an implementation's test gives Run.
type Engine struct {
	// New makes a fresh store; every area uses it.
	New NewStoreFunc
	// NewNodes makes several stores on one database, for the areas that
	// hold an engine to its promises across nodes (commit order, seqs).
	NewNodes NewNodesFunc
}

// An area is one parallel subtest of Run: its checks, run on one store
// of the area (shared) or on a fresh store each, then its checks across
// nodes. An area whose checks take other shapes runs itself (run).
type area struct {
	name   string
	shared bool
	checks []check
	nodes  []nodesCheck
	run    func(t *testing.T, e Engine)
}

// areas is the suite, in the order Run starts it: every behaviour it
// holds the engines to is a line here, named as its subtest is.
var areas = []area{
	{name: "avatar", shared: true, checks: []check{
		{name: "SetGetDelete", fn: testAvatarSetGetDelete},
		{name: "Tenants", fn: testAvatarTenants},
	}},
	{name: "canned reply", shared: true, checks: []check{
		{name: "CRUD", fn: testCannedReplyCRUD},
		{name: "ListAndCount", fn: testCannedReplyListCount},
		{name: "ConcurrentLimit", fn: testCannedReplyConcurrentLimit},
	}},
	// The broker-outage records (chat.ClusterStore) are a global table,
	// so every check has a store of its own.
	{name: "cluster", checks: []check{
		{name: "BrokerOutages", fn: testBrokerOutages},
	}, nodes: []nodesCheck{
		{name: "BrokerOutagesAcrossNodes", n: 2, fn: testBrokerOutagesAcrossNodes},
	}},
	{name: "conversation", shared: true, checks: []check{
		{name: "Categories", fn: testConversationCategories},
		{name: "CreateGetUpdate", fn: testConversationCreateGetUpdate},
		{name: "ListFiltersVisibility", fn: testConversationListFiltersVisibility},
		{name: "ListPaging", fn: testConversationListPaging},
		{name: "Queues", fn: testConversationQueues},
		{name: "Expired", fn: testConversationExpired},
		// Checks the notification outbox, which spans tenants.
		{name: "DeleteCascades", fn: testConversationDeleteCascades, own: true},
		{name: "DeleteTakesNotes", fn: testConversationDeleteTakesNotes},
		{name: "RetentionRuns", fn: testConversationRetentionRuns},
	}},
	// Both engines give the same answer for the same failure: the code
	// and the message, word for word (storage/sqlerr writes them).
	{name: "errors", shared: true, checks: []check{
		{name: "duplicate email on create", fn: testErrorDuplicateEmailCreate},
		{name: "duplicate email on update", fn: testErrorDuplicateEmailUpdate},
		{name: "duplicate role key", fn: testErrorDuplicateRoleKey},
		{name: "used client message id", fn: testErrorUsedClientMsgID},
		{name: "taken seq", fn: testErrorTakenSeq},
		{name: "missing references", fn: testErrorMissingRefs},
		{name: "no row changed", fn: testErrorNoRowChanged},
	}},
	{name: "message", shared: true, checks: []check{
		{name: "Seq", fn: testMessageSeq},
		{name: "SeqConcurrent", fn: testMessageSeqConcurrent},
		{name: "InsertGet", fn: testMessageInsertGet},
		{name: "ClientMsgID", fn: testMessageClientMsgID},
		{name: "ExternalAuthor", fn: testMessageExternalAuthor},
		{name: "EditDelete", fn: testMessageEditDelete},
		{name: "History", fn: testMessageHistory},
		{name: "EventsSince", fn: testMessageEventsSince},
		{name: "EventsAfter", fn: testMessageEventsAfter},
		{name: "ReadState", fn: testMessageReadState},
		{name: "Search", fn: testMessageSearch},
		{name: "SearchFilter", fn: testMessageSearchFilter},
		{name: "Attachments", fn: testMessageAttachments},
		{name: "AttachmentThumbnail", fn: testMessageAttachmentThumbnail},
		{name: "AttachmentThumbnailSet", fn: testMessageAttachmentThumbnailSet},
		// The clean-up spans tenants.
		{name: "AttachmentDeleteUnlinked", fn: testMessageAttachmentDeleteUnlinked, own: true},
		{name: "Drafts", fn: testMessageDrafts},
	}},
	{name: "messenger", checks: []check{
		{name: "Groups", fn: testMessengerGroups},
		{name: "GroupList", fn: testMessengerGroupList},
		{name: "Topics", fn: testMessengerTopics},
		{name: "TenantIsolation", fn: testMessengerTenantIsolation},
	}},
	{name: "notification", shared: true, checks: []check{
		// Claims span tenants.
		{name: "Outbox", fn: testNotificationOutbox, own: true},
		{name: "ClaimConcurrent", fn: testNotificationClaimConcurrent, own: true},
		{name: "Decisions", fn: testNotificationDecisions},
		{name: "InApp", fn: testNotificationInApp},
		{name: "Mutes", fn: testNotificationMutes},
		{name: "Release", fn: testNotificationRelease, own: true},
		{name: "Backlog", fn: testNotificationBacklog, own: true},
	}, nodes: []nodesCheck{
		{name: "ClaimTwoNodes", n: 2, fn: testNotificationClaimTwoNodes},
	}},
	{name: "push", shared: true, checks: []check{
		{name: "Subscriptions", fn: testPushSubscriptions},
		{name: "Prefs", fn: testNotifyPrefs},
		{name: "Via", fn: testNotifyVia, own: true},
	}},
	{name: "reaction", shared: true, checks: []check{
		{name: "AddRemove", fn: testReactionAddRemove},
		{name: "ListOrder", fn: testReactionListOrder},
		{name: "Tenants", fn: testReactionTenants},
		{name: "GoWithTheMessage", fn: testReactionsGoWithTheMessage},
	}},
	// The reply-by-email keys and revocations (chat.ReplyMailStore).
	{name: "reply mail", shared: true, checks: []check{
		{name: "Revocation", fn: testReplyRevocation},
	}, nodes: []nodesCheck{
		{name: "KeyEnsureAcrossNodes", n: 2, fn: testReplyKeyAcrossNodes},
	}},
	{name: "session", checks: []check{
		{name: "Lifecycle", fn: testSessionLifecycle},
		{name: "DeleteByUser", fn: testSessionDeleteByUser},
		{name: "DeleteExpired", fn: testSessionDeleteExpired},
		{name: "Alive", fn: testSessionAlive},
		{name: "LoginFailures", fn: testSessionLoginFailures},
		{name: "LoginFailuresConcurrent", fn: testSessionLoginFailuresConcurrent},
	}},
	{name: "tenant", checks: []check{
		{name: "TenantRoundTrip", fn: testTenantRoundTrip},
		{name: "TenantListCount", fn: testTenantListCount},
		{name: "Companies", fn: testTenantCompanies},
		{name: "Roles", fn: testTenantRoles},
	}},
	{name: "topic post", run: testTopicPost},
	{name: "user", checks: []check{
		{name: "RoundTrip", fn: testUserRoundTrip},
		{name: "Update", fn: testUserUpdate},
		{name: "CreateValidation", fn: testUserCreateValidation},
		{name: "TenantIsolation", fn: testUserTenantIsolation},
		{name: "List", fn: testUserList},
	}},
}

// Run runs every area of the suite against stores made by e; each call of
// e.New returns a fresh, empty, migrated store of its own. Areas run in
// parallel with each other.
func Run(t *testing.T, e Engine) {
	t.Helper()
	if e.New == nil || e.NewNodes == nil {
		t.Fatal("storetest: Engine needs New and NewNodes")
	}
	for _, a := range areas {
		parallel(t, a.name, func(t *testing.T) { a.runIn(t, e) })
	}
}

// A check is one behaviour of an area, run as a parallel subtest named
// after it, so that a failure names the behaviour.
type check struct {
	name string
	fn   func(t *testing.T, s chat.Store)
	// own runs the check on a fresh store of its own instead of the
	// area's shared one (see runChecks), for a check that reads across
	// tenants.
	own bool
}

// runIn runs the area's checks on stores made by e.
func (a area) runIn(t *testing.T, e Engine) {
	if a.run != nil {
		a.run(t, e)
		return
	}
	runChecks(t, e.New, a.shared, a.checks)
	for _, c := range a.nodes {
		parallel(t, c.name, func(t *testing.T) { c.fn(t, e.NewNodes(t, c.n)) })
	}
}

// A nodesCheck is a behaviour across nodes: it gets n stores on one
// fresh database.
type nodesCheck struct {
	name string
	n    int
	fn   func(t *testing.T, nodes []chat.Store)
}

// runChecks runs each check as a parallel subtest. Shared, the checks
// run on one store of the area, each in tenants of its own, except a
// check marked own, which gets a fresh store; otherwise every check gets
// a fresh store.
func runChecks(t *testing.T, newStore NewStoreFunc, shared bool, checks []check) {
	var areaStore chat.Store
	if shared {
		areaStore = newStore(t)
	}
	for _, c := range checks {
		parallel(t, c.name, func(t *testing.T) {
			s := areaStore
			if s == nil || c.own {
				s = newStore(t)
			}
			c.fn(t, s)
		})
	}
}

// parallel runs fn as a subtest named name, in parallel with its siblings.
func parallel(t *testing.T, name string, fn func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t)
	})
}
