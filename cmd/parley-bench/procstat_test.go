package main

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestPGTitleDB(t *testing.T) {
	for title, want := range map[string]string{
		"postgres: 15/main: postgres parley_bench_1 127.0.0.1(40312) idle":   "parley_bench_1",
		"postgres: postgres other [local] idle in transaction":               "other",
		"postgres: 15/main: checkpointer                                   ": "",
		"postgres: background writer":                                        "",
		"postgres: logical replication launcher":                             "",
		"postgres: autovacuum worker parley_bench_1":                         "",
		"/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main": "",
	} {
		if got := pgTitleDB(title); got != want {
			t.Errorf("pgTitleDB(%q) = %q, want %q", title, got, want)
		}
	}
}

func TestCPUSources(t *testing.T) {
	srcs, err := parseCPUSources("nginx", "redis-server=12,self=34", "db1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.name)
	}
	if len(names) != 4 || names[0] != "nginx" || names[1] != "redis-server" || names[3] != "postgres" {
		t.Fatalf("sources %v", names)
	}
	for _, bad := range [][3]string{{"postgres", "", "db1"}, {"", "x", ""}, {"", "x=0", ""}} {
		if _, err := parseCPUSources(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("parseCPUSources%q accepted", bad)
		}
	}
	// This process by pid counts at least what it has spent.
	self, err := parseCPUSources("", "self="+strconv.Itoa(os.Getpid()), "")
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; selfCPU() < 50*time.Millisecond; x++ {
	}
	if got := cpuOf(self)["self"]; got <= 0 {
		t.Fatalf("own CPU by pid: %v", got)
	}
}
