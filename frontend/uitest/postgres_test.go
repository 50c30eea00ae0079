package uitest

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"parley/storage/pgtest"
)

// TestPostgres runs a live chat against parley on PostgreSQL (its own
// database from PARLEY_TEST_POSTGRES_URL): the same UI, the other engine.
func TestPostgres(t *testing.T) {
	t.Parallel()
	api, topicID, stamp, emma, matti := holidayTopicOnPostgres(t, pgtest.NewDatabase(t))
	emma.typeUntilSeen("#composer-input", "Midsummer", matti, "Emma Employee")
	emma.setValue("#composer-input", "Midsummer")
	emma.send(" off? " + stamp)
	matti.waitText("#messages .msg .body", "Midsummer off? "+stamp)
	matti.send("Yes, both days " + stamp)
	emma.waitText("#messages .msg:not(.pending) .body", "Yes, both days "+stamp)
	api.postTopic(topicID, "From the API "+stamp)
	for _, b := range []*browser{emma, matti} {
		b.waitText("#messages .msg .body", "From the API "+stamp)
		if n := eval[int](b, countText("#messages .msg .body", stamp)); n != 3 {
			t.Fatalf("%s sees %d of the 3 messages", b.name, n)
		}
	}
}

// holidayTopicOnPostgres starts parley on the PostgreSQL database at url
// and puts two browsers, Emma and Matti, online in the demo's "Holiday
// calendar" topic. stamp makes the test's messages its own.
func holidayTopicOnPostgres(t *testing.T, url string) (api *client, topicID int64, stamp string, emma, matti *browser) {
	t.Helper()
	srv := startServer(t, "PARLEY_DATABASE_URL="+url,
		"PARLEY_SESSION_KEYS="+base64.StdEncoding.EncodeToString([]byte("uitest session key of at least 32 bytes!!")))
	api = srv.api(t, "messenger@demo.example")
	topicID = api.topic("Holiday calendar").ID
	route := fmt.Sprintf("#/topic/%d", topicID)
	stamp = fmt.Sprint(time.Now().UnixNano())
	emma = newBrowser(t, srv, "emma")
	matti = newBrowser(t, srv, "matti")
	emma.login("employee@demo.example")
	matti.login("manager@demo.example")
	emma.route(route)
	matti.route(route)
	emma.waitOnline()
	matti.waitOnline()
	return api, topicID, stamp, emma, matti
}
