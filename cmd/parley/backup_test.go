package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/storage/pgtest"
)

// Backup and restore as docs/operations.md ("Backup and restore") tells an
// operator: six writers post to a topic while `parley backup` runs; the copy is
// restored into a fresh data directory or database; a node started on it
// has every message acknowledged before the backup began, a gap-free
// prefix of the topic (one consistent snapshot), the attachment's bytes,
// and takes new posts.
func TestBackupRestoreUnderLoad(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		var env []string
		var restore func(backup string) []string // the restored node's environment
		switch engine {
		case "sqlite":
			env = []string{"PARLEY_DATA_DIR=" + t.TempDir()}
			restore = func(backup string) []string {
				dir := t.TempDir()
				copyFile(t, backup, filepath.Join(dir, "parley.db"))
				return []string{"PARLEY_DATA_DIR=" + dir}
			}
		case "postgres":
			env = []string{"PARLEY_DATABASE_URL=" + pgtest.NewDatabase(t), testKeys}
			restore = func(backup string) []string {
				url := pgtest.NewEmptyDatabase(t)
				out, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname="+url, backup).CombinedOutput()
				if err != nil {
					t.Fatalf("pg_restore: %v\n%s", err, out)
				}
				return []string{"PARLEY_DATABASE_URL=" + url, testKeys}
			}
		}
		env = append(env, "PARLEY_ADMIN_PASSWORD="+outsidePassword, "PARLEY_LOG_LEVEL=warn")
		node := start(t, env)
		w, _, members := newFailoverWorld(t, node.url, 5)
		attachment := bytes.Repeat([]byte("backup attachment bytes\n"), 1000)
		attID := upload(t, w.author, "report.txt", attachment)
		expect(t, "post with attachment", w.author.do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", w.topicID),
			map[string]any{"body": "with attachment", "client_msg_id": "att", "attachment_ids": []int64{attID}}), 201, "", "")

		load := startPosting(append(members, w.author), w.topicID)
		time.Sleep(time.Second)
		before := load.acked() // acknowledged before the backup began
		backup := filepath.Join(t.TempDir(), "parley.backup")
		args := []string{"backup", "--output", backup}
		if engine == "postgres" {
			args = append(args, "--pg-dump", pgTool(t, "pg_dump"))
		}
		out, errOut, code := command(t, env, args...)
		during := load.acked()
		time.Sleep(300 * time.Millisecond) // writes go on after the backup
		total, errs := load.stop()
		if code != 0 || !strings.Contains(out, "backup written to "+backup) {
			t.Fatalf("parley backup: exit %d\n%s\n%s", code, out, errOut)
		}
		if len(errs) > 0 {
			t.Fatalf("posting under load: %v", errs)
		}
		if len(before) < 20 || len(during) <= len(before) {
			t.Fatalf("too little load to test: %d acked before the backup, %d by its end", len(before), len(during))
		}
		node.stop()

		restored := start(t, append(restore(backup), "PARLEY_ADMIN_PASSWORD="+outsidePassword, "PARLEY_LOG_LEVEL=warn"))
		author := newClient(t, restored.url)
		author.login("author@example.com", outsidePassword)
		ids, seqs := topicHistory(t, author, w.topicID)
		for _, id := range append([]string{"att"}, before...) {
			if !ids[id] {
				t.Fatalf("message %q, acknowledged before the backup began, is not in the restored copy", id)
			}
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("restored topic seqs are not 1..%d without gaps: position %d holds seq %d", len(seqs), i, s)
			}
		}
		t.Logf("FIGURES %s: %d acked before the backup, %d by its end, %d in all; the copy holds %d messages (backup %d bytes)",
			engine, len(before), len(during), total, len(seqs), fileSize(t, backup))
		res := author.raw("GET", fmt.Sprintf("/api/v1/attachments/%d", attID), "", nil)
		if res.status != 200 || !bytes.Equal(res.body, attachment) {
			t.Fatalf("restored attachment: %d, %d bytes, want %d", res.status, len(res.body), len(attachment))
		}
		res = author.do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", w.topicID),
			map[string]any{"body": "after restore", "client_msg_id": "after-restore"})
		expect(t, "post after restore", res, 201, "", "")
		var m wireMessage
		res.decode(t, &m)
		if m.Seq != int64(len(seqs)+1) {
			t.Fatalf("first post after restore has seq %d, want %d", m.Seq, len(seqs)+1)
		}
		restored.stop()
	})
}

// poster posts to a topic, one writer per client, until stopped.
type poster struct {
	mu     sync.Mutex
	ids    []string // client_msg_ids acknowledged (201), in ack order
	errs   []error
	stopCh chan struct{}
	wg     sync.WaitGroup
}

// postEvery paces each writer below the per-user post limit (20/s).
const postEvery = 70 * time.Millisecond

func startPosting(writers []*client, topicID int64) *poster {
	p := &poster{stopCh: make(chan struct{})}
	for w, c := range writers {
		url := fmt.Sprintf("%s/api/v1/messenger/topics/%d/messages", c.base, topicID)
		p.wg.Go(func() {
			tick := time.NewTicker(postEvery)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-p.stopCh:
					return
				case <-tick.C:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				err := postOnce(c, url, id)
				p.mu.Lock()
				if err != nil {
					p.errs = append(p.errs, err)
				} else {
					p.ids = append(p.ids, id)
				}
				p.mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	return p
}

// postOnce posts one message and waits for its 201.
func postOnce(c *client, url, id string) error {
	body, _ := json.Marshal(map[string]any{"body": "load " + id, "client_msg_id": id})
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("post %s: status %d", id, res.StatusCode)
	}
	return nil
}

// acked returns the ids acknowledged so far.
func (p *poster) acked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ids...)
}

func (p *poster) stop() (int, []error) {
	close(p.stopCh)
	p.wg.Wait()
	return len(p.ids), p.errs
}

// topicHistory pages through a topic's whole history: the client_msg_ids
// present and the seqs in ascending order.
func topicHistory(t *testing.T, c *client, topicID int64) (map[string]bool, []int64) {
	t.Helper()
	ids := map[string]bool{}
	var seqs []int64
	before := ""
	for {
		var page struct {
			Items []wireMessage
			Next  string // the before of the older page; "" at the oldest
		}
		res := c.do("GET", fmt.Sprintf("/api/v1/messenger/topics/%d/messages?limit=500%s", topicID, before), nil)
		expect(t, "history", res, 200, "", "")
		res.decode(t, &page)
		for _, m := range page.Items {
			if m.ClientMsgID != "" && ids[m.ClientMsgID] {
				t.Fatalf("message %q twice in the history", m.ClientMsgID)
			}
			ids[m.ClientMsgID] = true
			seqs = append(seqs, m.Seq)
		}
		if page.Next == "" || len(page.Items) == 0 {
			break
		}
		before = "&before=" + page.Next
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return ids, seqs
}

// upload stores an attachment as c and returns its id.
func upload(t *testing.T, c *client, name string, data []byte) int64 {
	t.Helper()
	res := c.raw("POST", "/api/v1/attachments?filename="+name, "text/plain", bytes.NewReader(data))
	expect(t, "upload", res, 201, "", "")
	var a struct{ ID int64 }
	res.decode(t, &a)
	return a.ID
}

// pgTool finds a PostgreSQL client program of the newest installed major
// version (pg_dump must be at least the server's), else on PATH.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) < versionOf(dirs[j]) })
	if len(dirs) > 0 {
		return dirs[len(dirs)-1]
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (Debian package postgresql-client; make test installs postgresql)", name)
	}
	return p
}

// versionOf reads the major version of /usr/lib/postgresql/<v>/bin/x.
func versionOf(path string) int {
	var v int
	_, _ = fmt.Sscanf(filepath.Base(filepath.Dir(filepath.Dir(path))), "%d", &v)
	return v
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, name string) int64 {
	t.Helper()
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
