// Command testsummary reads `go test -json` on stdin, prints the usual
// plain output (package results, and the output of failed tests) and ends
// with how many tests ran, failed and were skipped, the failed and skipped
// ones by name, and the slowest. With -no-skip a skipped test fails the
// run: the full suite (make test) must never skip. See docs/testing.md.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type result struct {
	name    string // package and test
	elapsed time.Duration
}

func main() {
	noSkip := flag.Bool("no-skip", false, "fail when any test was skipped")
	slowest := flag.Int("slowest", 10, "how many of the slowest tests to list")
	flag.Parse()
	os.Exit(summarize(os.Stdin, os.Stdout, *noSkip, *slowest))
}

func summarize(in io.Reader, out io.Writer, noSkip bool, slowest int) int {
	s := &summary{out: out, outputs: map[string]*strings.Builder{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: reading go test -json: %v\n", err)
		return 1
	}
	s.report(slowest)
	return s.exitCode(noSkip)
}

// summary is what the events so far say.
type summary struct {
	out                     io.Writer
	passed, failed, skipped []result
	top                     []result // top-level tests, for the slowest list
	pkgFailed               []string
	outputs                 map[string]*strings.Builder // per running test
}

// line handles one line of go test -json.
func (s *summary) line(line []byte) {
	var e event
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
		fmt.Fprintf(s.out, "%s\n", line) // build errors and anything else not JSON
		return
	}
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
	case "output":
		s.output(e)
	case "pass", "fail", "skip":
		s.ended(e)
	}
}

// output prints a package's output and keeps a test's until it ends.
func (s *summary) output(e event) {
	if e.Test == "" {
		if e.Output != "PASS\n" { // plain go test prints only "ok" then
			fmt.Fprint(s.out, e.Output) // ok/FAIL lines, package-level failures
		}
		return
	}
	key := e.Package + " " + e.Test
	b := s.outputs[key]
	if b == nil {
		b = &strings.Builder{}
		s.outputs[key] = b
	}
	b.WriteString(e.Output)
}

// ended counts a package's or a test's result; a failed top-level test's
// output is printed.
func (s *summary) ended(e event) {
	if e.Test == "" {
		if e.Action == "fail" {
			s.pkgFailed = append(s.pkgFailed, e.Package)
		}
		return
	}
	key := e.Package + " " + e.Test
	topLevel := !strings.Contains(e.Test, "/")
	r := result{name: e.Package + "." + e.Test, elapsed: time.Duration(e.Elapsed * float64(time.Second))}
	switch e.Action {
	case "pass":
		s.passed = append(s.passed, r)
	case "fail":
		s.failed = append(s.failed, r)
		if b := s.outputs[key]; b != nil && topLevel {
			fmt.Fprint(s.out, b.String()) // a top-level test's output holds its subtests'
		}
	case "skip":
		s.skipped = append(s.skipped, r)
	}
	if topLevel {
		s.top = append(s.top, r)
	}
	delete(s.outputs, key)
}

func (s *summary) run() int { return len(s.passed) + len(s.failed) + len(s.skipped) }

// report prints the counts, the failed and skipped tests and the slowest.
func (s *summary) report(slowest int) {
	out := s.out
	fmt.Fprintf(out, "\n==> tests: %d run, %d failed, %d skipped (subtests included; %d top-level)\n",
		s.run(), len(s.failed), len(s.skipped), len(s.top))
	list := func(title string, rs []result) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(out, "%s:\n", title)
		for _, r := range rs {
			fmt.Fprintf(out, "  %s\n", r.name)
		}
	}
	list("failed", s.failed)
	list("skipped", s.skipped)
	if len(s.pkgFailed) > 0 {
		fmt.Fprintf(out, "failed packages: %s\n", strings.Join(s.pkgFailed, " "))
	}
	slices.SortFunc(s.top, func(a, b result) int { return int(b.elapsed - a.elapsed) })
	if n := min(slowest, len(s.top)); n > 0 {
		fmt.Fprintf(out, "slowest:\n")
		for _, r := range s.top[:n] {
			fmt.Fprintf(out, "  %7.1fs %s\n", r.elapsed.Seconds(), r.name)
		}
	}
}

// exitCode is 1 for failures, for skips with -no-skip and when nothing
// ran, printing why for the last two.
func (s *summary) exitCode(noSkip bool) int {
	switch {
	case len(s.failed) > 0 || len(s.pkgFailed) > 0:
		return 1
	case noSkip && len(s.skipped) > 0:
		fmt.Fprintf(s.out, "the full suite must not skip tests (only -short may): %d skipped\n", len(s.skipped))
		return 1
	case s.run() == 0:
		fmt.Fprintln(s.out, "no tests ran")
		return 1
	}
	return 0
}
