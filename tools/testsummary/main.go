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
	var (
		passed, failed, skipped []result
		top                     []result // top-level tests, for the slowest list
		pkgFailed               []string
		outputs                 = map[string]*strings.Builder{} // per running test
	)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line) // build errors and anything else not JSON
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "output":
			if e.Test == "" {
				if e.Output != "PASS\n" { // plain go test prints only "ok" then
					fmt.Fprint(out, e.Output) // ok/FAIL lines, package-level failures
				}
				continue
			}
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "fail" {
					pkgFailed = append(pkgFailed, e.Package)
				}
				continue
			}
			r := result{name: e.Package + "." + e.Test, elapsed: time.Duration(e.Elapsed * float64(time.Second))}
			switch e.Action {
			case "pass":
				passed = append(passed, r)
			case "fail":
				failed = append(failed, r)
				if b := outputs[key]; b != nil && !strings.Contains(e.Test, "/") {
					fmt.Fprint(out, b.String()) // a top-level test's output holds its subtests'
				}
			case "skip":
				skipped = append(skipped, r)
			}
			if !strings.Contains(e.Test, "/") {
				top = append(top, r)
			}
			delete(outputs, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: reading go test -json: %v\n", err)
		return 1
	}

	run := len(passed) + len(failed) + len(skipped)
	fmt.Fprintf(out, "\n==> tests: %d run, %d failed, %d skipped (subtests included; %d top-level)\n",
		run, len(failed), len(skipped), len(top))
	list := func(title string, rs []result) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(out, "%s:\n", title)
		for _, r := range rs {
			fmt.Fprintf(out, "  %s\n", r.name)
		}
	}
	list("failed", failed)
	list("skipped", skipped)
	if len(pkgFailed) > 0 {
		fmt.Fprintf(out, "failed packages: %s\n", strings.Join(pkgFailed, " "))
	}
	slices.SortFunc(top, func(a, b result) int { return int(b.elapsed - a.elapsed) })
	if n := min(slowest, len(top)); n > 0 {
		fmt.Fprintf(out, "slowest:\n")
		for _, r := range top[:n] {
			fmt.Fprintf(out, "  %7.1fs %s\n", r.elapsed.Seconds(), r.name)
		}
	}
	switch {
	case len(failed) > 0 || len(pkgFailed) > 0:
		return 1
	case noSkip && len(skipped) > 0:
		fmt.Fprintf(out, "the full suite must not skip tests (only -short may): %d skipped\n", len(skipped))
		return 1
	case run == 0:
		fmt.Fprintln(out, "no tests ran")
		return 1
	}
	return 0
}
