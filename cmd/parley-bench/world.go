package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// worldFile is a set-up saved by -setup-only for later runs (-world): the
// users' session cookies and the topic channels, so that a run can measure
// a server process that did none of the set-up (logins hash passwords with
// argon2id, whose freed memory a later measurement would otherwise reuse).
type worldFile struct {
	URL      string     `json:"url"`
	Created  time.Time  `json:"created"`
	Prefix   string     `json:"prefix"`
	GroupID  int64      `json:"group_id"`
	Users    []userFile `json:"users"`
	Channels []string   `json:"channels"` // "topic:<id>"
}

type userFile struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Cookie string `json:"cookie"` // Cookie header value of its session
}

func saveWorld(path string, w *world) error {
	f := worldFile{URL: w.url, Created: time.Now().UTC(), Prefix: w.prefix, GroupID: w.groupID, Channels: w.channels}
	for i, c := range w.cookies {
		f.Users = append(f.Users, userFile{ID: w.userIDs[i], Email: w.emails[i], Cookie: c})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	// Session cookies are credentials: readable by the owner only.
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// loadWorld reads a saved set-up and takes the first cfg.users users and
// cfg.channels channels of it.
func loadWorld(path string, cfg config) (*world, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f worldFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.users > len(f.Users) || cfg.channels > len(f.Channels) {
		return nil, fmt.Errorf("%s has %d users and %d channels; the run needs %d and %d (make it with -setup-only and at least these -users/-channels)",
			path, len(f.Users), len(f.Channels), cfg.users, cfg.channels)
	}
	w := &world{url: f.URL, prefix: f.Prefix, groupID: f.GroupID, channels: f.Channels[:cfg.channels]}
	for _, u := range f.Users[:cfg.users] {
		if u.Cookie == "" {
			return nil, fmt.Errorf("%s: user %s has no session cookie", path, u.Email)
		}
		w.cookies = append(w.cookies, u.Cookie)
		w.emails = append(w.emails, u.Email)
		w.userIDs = append(w.userIDs, u.ID)
	}
	return w, nil
}
