package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The shipped dashboard (docs/deploy/grafana-dashboard.json) and alert
// rules (docs/deploy/prometheus-alerts.yml) may only name metrics a node
// exports: a renamed metric must not leave a panel empty or an alert that
// can never fire.

const (
	dashboardFile  = "../../docs/deploy/grafana-dashboard.json"
	alertsFile     = "../../docs/deploy/prometheus-alerts.yml"
	alertsTestFile = "../../docs/deploy/prometheus-alerts.test.yml"
)

// syntheticMetrics are made by Prometheus itself, not exported by a node.
var syntheticMetrics = []string{"up"}

func TestMonitoringNamesExportedMetrics(t *testing.T) {
	s := startOutside(t, "sqlite", nil)
	// Traffic for the labelled families: an API answer, a 404, an upgrade.
	s.admin.do("GET", "/api/v1/me", nil)
	s.admin.do("GET", "/api/v1/no-such-thing", nil)
	dialSocket(t, s.admin)
	exported := exportedMetrics(t, s.admin)
	// The route group comes from the pattern the mux matched.
	body := string(s.admin.do("GET", "/metrics", nil).body)
	for _, want := range []string{`parley_http_responses_total{code="200",group="me"} `, `parley_http_responses_total{code="404",group="api"} `,
		`parley_http_responses_total{code="200",group="session"} `, `parley_hub_error_frames_total{code="unavailable"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, want := range []string{"parley_http_responses_total", "parley_outbox_pending_jobs", "parley_outbox_due_jobs",
		"parley_outbox_oldest_due_age_seconds", "parley_outbox_read_errors_total", "parley_hub_error_frames_total"} {
		if !exported[want] {
			t.Errorf("/metrics does not export %s", want)
		}
	}

	used := map[string][]string{} // metric -> where
	for where, expr := range dashboardExprs(t) {
		names := promqlMetricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric found in %q", where, expr)
		}
		for _, n := range names {
			used[n] = append(used[n], where)
		}
	}
	alerts, exprs := alertRules(t)
	for _, want := range []string{"ParleyNodeDown", "ParleyBrokerDown", "ParleySlowConsumers", "ParleyOutboxBacklog", "ParleyHTTPErrorRate"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("%s has no alert %s", alertsFile, want)
		}
	}
	for i, expr := range exprs {
		names := promqlMetricNames(expr)
		if len(names) == 0 {
			t.Errorf("alert %s: no metric found in %q", alerts[i], expr)
		}
		for _, n := range names {
			used[n] = append(used[n], "alert "+alerts[i])
		}
	}
	if len(used) < 15 {
		t.Fatalf("only %d metrics found in the dashboard and the rules: %v", len(used), used)
	}
	for name, where := range used {
		if !exported[name] && !slices.Contains(syntheticMetrics, name) {
			t.Errorf("%s is used by %v but a node does not export it", name, where)
		}
	}
}

// The alert rules are valid and fire when their unit tests say (promtool,
// from Debian's prometheus package: tools/ci/services.sh installs it).
func TestMonitoringAlertRulesPromtool(t *testing.T) {
	promtool := os.Getenv("PARLEY_TEST_PROMTOOL")
	if promtool == "" {
		var err error
		if promtool, err = exec.LookPath("promtool"); err != nil {
			t.Fatal("PARLEY_TEST_PROMTOOL is not set and promtool is not installed (make test installs it: Debian package prometheus)")
		}
	}
	for _, args := range [][]string{{"check", "rules", alertsFile}, {"test", "rules", alertsTestFile}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestPromQLMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`up{job="parley"} == 0`: {"up"},
		`sum by (instance) (rate(parley_http_responses_total{code=~"5..", instance=~"$instance"}[$__rate_interval])) / on (instance) group_left (le) sum without (code) (rate(parley_b_total[5m] offset 5m))`: {"parley_b_total", "parley_http_responses_total"},
		`histogram_quantile(0.99, sum by (instance, le) (rate(parley_hub_publish_duration_seconds_bucket[1m]))) > bool 0.5 and ignoring(x) go_goroutines`:                                                     {"go_goroutines", "parley_hub_publish_duration_seconds_bucket"},
		`max(parley_outbox_oldest_due_age_seconds) > 600 or vector(0) unless parley_typo_metric`:                                                                                                              {"parley_outbox_oldest_due_age_seconds", "parley_typo_metric"},
		`label_values(parley_hub_connections, instance)`: {"parley_hub_connections"},
		`{__name__="x"}`:                       nil,
		`rate(a_total[5m]) * 1e3 + 0x10 - 2.5`: {"a_total"},
	} {
		if got := promqlMetricNames(expr); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", expr, got, want)
		}
	}
}

// exportedMetrics returns the names of every sample and family a node's
// /metrics shows (histograms as their _bucket, _sum and _count too).
func exportedMetrics(t *testing.T, c *client) map[string]bool {
	t.Helper()
	res := c.do("GET", "/metrics", nil)
	if res.status != http.StatusOK {
		t.Fatalf("/metrics: %d", res.status)
	}
	names := map[string]bool{}
	for line := range strings.SplitSeq(string(res.body), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			names[strings.Fields(rest)[0]] = true
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		name, _, _ = strings.Cut(name, "{")
		names[name] = true
	}
	return names
}

// dashboardExprs returns every PromQL expression of the dashboard (the
// panels' targets and the variables' queries), keyed by where it is.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not JSON: %v", dashboardFile, err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("%s has no title or no panels", dashboardFile)
	}
	out := map[string]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			out[fmt.Sprintf("panel %q target %d", p.Title, i)] = tg.Expr
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)
		if s, ok := q["query"].(string); ok {
			out["variable "+v.Name] = s
		}
	}
	return out
}

// alertRules returns the alert names and expressions of the rules file:
// a line-based reading of its "- alert:" and "expr:" keys (one-line or
// block scalars), enough for the file as written; promtool checks the
// YAML itself.
func alertRules(t *testing.T) (alerts, exprs []string) {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if name, ok := strings.CutPrefix(trimmed, "- alert:"); ok {
			alerts = append(alerts, strings.TrimSpace(name))
			continue
		}
		v, ok := strings.CutPrefix(trimmed, "expr:")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "|" || v == ">" || v == "|-" || v == ">-" {
			indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
			var block []string
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) > indent) {
				i++
				block = append(block, strings.TrimSpace(lines[i]))
			}
			v = strings.Join(block, " ")
		}
		exprs = append(exprs, v)
	}
	if len(alerts) == 0 || len(alerts) != len(exprs) {
		t.Fatalf("%s: %d alerts and %d expressions", alertsFile, len(alerts), len(exprs))
	}
	return alerts, exprs
}

var (
	promqlStrings = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	// Label matchers, ranges and subqueries.
	promqlBraces = regexp.MustCompile(`\{[^{}]*\}|\[[^\[\]]*\]`)
	// Label lists of grouping and vector matching.
	promqlLabelLists = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promqlTokens     = regexp.MustCompile(`[0-9][0-9a-zA-Z_.]*|[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	promqlKeywords   = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
		"group_left", "group_right", "inf", "nan", "Inf", "NaN"}
)

// promqlMetricNames returns the metric names an expression selects,
// sorted: identifiers left once strings, label matchers, ranges and label
// lists are gone, that are not functions (followed by "("), keywords or
// numbers. Grafana's label_values(metric, label) gives its metric.
func promqlMetricNames(expr string) []string {
	if m := regexp.MustCompile(`^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,`).FindStringSubmatch(expr); m != nil {
		return []string{m[1]}
	}
	s := promqlStrings.ReplaceAllString(expr, `""`)
	for prev := ""; prev != s; {
		prev, s = s, promqlBraces.ReplaceAllString(s, " ")
	}
	s = promqlLabelLists.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	for _, tok := range promqlTokens.FindAllString(s, -1) {
		if tok[0] >= '0' && tok[0] <= '9' || strings.HasSuffix(tok, "(") || slices.Contains(promqlKeywords, strings.TrimSpace(tok)) {
			continue
		}
		seen[strings.TrimSpace(tok)] = true
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
