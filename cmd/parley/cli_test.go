package main

import (
	"bytes"
	"strings"
	"testing"
)

// The command line's help and mistakes: --help prints the command's usage
// to stdout and exits 0, groups (user, tenant) have their own usage, a
// bare group exits 2 with it, a wrong flag is one line and a hint, and a
// missing or too-short PARLEY_SESSION_KEYS is the same exit status.
func TestCLIUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cliRun := func(env map[string]string, args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		getenv := func(k string) string {
			if k == "PARLEY_DATA_DIR" && env[k] == "" {
				return dir
			}
			return env[k]
		}
		code := run(t.Context(), args, &stdout, &stderr, getenv)
		return stdout.String(), stderr.String(), code
	}
	for _, tc := range []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"--help"}, []string{"Usage:", "PARLEY_LISTEN", "parley user create"}},
		{[]string{"user", "--help"}, []string{"parley user create", "parley user reset-password", "parley user deactivate"}},
		{[]string{"user", "-h"}, []string{"parley user create"}},
		{[]string{"tenant", "--help"}, []string{"parley tenant create", "parley tenant list"}},
		{[]string{"user", "create", "--help"}, []string{"Usage: parley user create", "-email"}},
		{[]string{"migrate", "--help"}, []string{"Usage: parley migrate"}},
		{[]string{"backup", "--help"}, []string{"Usage: parley backup", "-output", "-pg-dump"}},
	} {
		out, errOut, code := cliRun(nil, tc.args...)
		if code != exitOK || errOut != "" {
			t.Errorf("parley %v: exit %d, stderr %q; want 0 and nothing on stderr", tc.args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("parley %v: stdout lacks %q:\n%s", tc.args, w, out)
			}
		}
		if tc.args[0] == "user" && strings.HasPrefix(tc.args[1], "-") && strings.Contains(out, "parley tenant") {
			t.Errorf("parley %v: the user usage lists tenant commands:\n%s", tc.args, out)
		}
	}

	out, errOut, code := cliRun(nil, "user")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "parley user create") ||
		!strings.HasPrefix(errOut, "parley user: a command is missing\n") {
		t.Errorf("bare parley user: exit %d stdout %q stderr:\n%s", code, out, errOut)
	}

	// Mistakes are an error line and a hint, not the whole usage.
	for _, tc := range []struct {
		args       []string
		line, hint string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: -bogus", `Run "parley --help"`},
		{[]string{"user", "create", "--bogus"}, "flag provided but not defined: -bogus", `Run "parley user create --help"`},
		{[]string{"tenant", "list", "extra"}, `unexpected argument "extra"`, `Run "parley tenant list --help"`},
		{[]string{"user", "bogus"}, `unknown command "parley user bogus"`, `Run "parley user --help"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, `Run "parley --help"`},
	} {
		_, errOut, code := cliRun(nil, tc.args...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != exitUsage || len(lines) != 2 || !strings.Contains(lines[0], tc.line) || !strings.HasPrefix(lines[1], tc.hint) {
			t.Errorf("parley %v: exit %d, stderr:\n%s\nwant exit 2, %q and %q", tc.args, code, errOut, tc.line, tc.hint)
		}
	}

	// Missing and too-short session keys are both a wrong configuration.
	_, missing, codeMissing := cliRun(map[string]string{"PARLEY_DATABASE_URL": "postgres://127.0.0.1:1/none"})
	_, short, codeShort := cliRun(map[string]string{"PARLEY_SESSION_KEYS": "short"})
	if codeMissing != exitUsage || codeShort != exitUsage || !strings.Contains(missing, "PARLEY_SESSION_KEYS is required") ||
		!strings.Contains(short, "shorter than") {
		t.Errorf("missing keys: exit %d %q; short key: exit %d %q; want both %d", codeMissing, missing, codeShort, short, exitUsage)
	}
}
