package main

import (
	"strings"
	"testing"

	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

const sample = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.5}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestB/sub","Output":"    b_test.go:9: boom\n"}
{"Action":"fail","Package":"p","Test":"TestB/sub","Elapsed":0.1}
{"Action":"output","Package":"p","Test":"TestB","Output":"--- FAIL: TestB (2.00s)\n    --- FAIL: TestB/sub (0.10s)\n"}
{"Action":"fail","Package":"p","Test":"TestB","Elapsed":2}
{"Action":"output","Package":"p","Test":"TestC","Output":"--- SKIP: TestC\n"}
{"Action":"skip","Package":"p","Test":"TestC","Elapsed":0}
{"Action":"output","Package":"p","Output":"FAIL\tp\t2.6s\n"}
{"Action":"fail","Package":"p","Elapsed":2.6}
# q [q.test]
./q.go:1:1: syntax error
`

func TestSummary(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	code := summarize(strings.NewReader(sample), &out, false, 2)
	got := out.String()
	for _, want := range []string{
		"--- FAIL: TestB (2.00s)", "FAIL\tp\t2.6s", "./q.go:1:1: syntax error",
		"==> tests: 4 run, 2 failed, 1 skipped (subtests included; 3 top-level)",
		"failed:\n  p.TestB/sub\n  p.TestB\n", "skipped:\n  p.TestC\n", "slowest:\n      2.0s p.TestB\n      0.5s p.TestA\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "=== RUN") {
		t.Errorf("a passing test's output was printed:\n%s", got)
	}
	if code != 1 {
		t.Errorf("exit %d with failures, want 1", code)
	}

	pass := `{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.5}
{"Action":"skip","Package":"p","Test":"TestC","Elapsed":0}
`
	if code := summarize(strings.NewReader(pass), &out, false, 0); code != 0 {
		t.Errorf("exit %d for a pass and a skip, want 0", code)
	}
	if code := summarize(strings.NewReader(pass), &out, true, 0); code != 1 {
		t.Errorf("exit %d for a skip with -no-skip, want 1", code)
	}
}
