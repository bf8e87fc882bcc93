package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m, testserver.Migrated) }

// pendingMetrics are read by the dashboard but not exposed yet by the server. Remove each one
// here when the server exposes it; the test then checks it like the others, and fails while it is
// listed here once the server has it.
var pendingMetrics = map[string]bool{}

// prometheusMetrics are made by Prometheus at every scrape, not by the server.
var prometheusMetrics = map[string]bool{"up": true}

// targetLabels are added by Prometheus to every series it scrapes.
var targetLabels = map[string]bool{"job": true, "instance": true}

// The parts of the dashboard model the tests read.
type board struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int          `json:"id"`
	Type        string       `json:"type"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Datasource  *datasource  `json:"datasource"`
	GridPos     *gridPos     `json:"gridPos"`
	Targets     []target     `json:"targets"`
	Panels      []panel      `json:"panels"` // a collapsed row's
	FieldConfig *fieldConfig `json:"fieldConfig"`
}

type gridPos struct{ H, W, X, Y int }

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID        string      `json:"refId"`
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat"`
	Datasource   *datasource `json:"datasource"`
}

type fieldConfig struct {
	Defaults struct {
		Unit string `json:"unit"`
	} `json:"defaults"`
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

func load(t *testing.T) board {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(Dashboard))
	var b board
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("paddles.json: %v", err)
	}
	return b
}

// allPanels lists the panels, with those of collapsed rows.
func (b board) allPanels() []panel {
	var out []panel
	for _, p := range b.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// usesDatasourceVariable: panels and queries read the dashboard's Prometheus variable, never a
// data source of one Grafana (whose uid another Grafana would not have).
func usesDatasourceVariable(d *datasource) bool {
	return d != nil && d.Type == "prometheus" && (d.UID == "${datasource}" || d.UID == "$datasource")
}

// The dashboard's structure: unique ids, panels inside the 24-column grid and not overlapping,
// every query with an expression and a refId of its own on the datasource variable, every series
// filtered by the job and instance variables, a description on every panel.
func TestDashboardStructure(t *testing.T) {
	b := load(t)
	if b.Title == "" || b.UID == "" || len(b.UID) > 40 {
		t.Errorf("title %q, uid %q: both needed, the uid at most 40 characters", b.Title, b.UID)
	}
	if b.SchemaVersion < 39 {
		t.Errorf("schemaVersion %d: Grafana 10.4 and 11 write 39 or later", b.SchemaVersion)
	}

	vars := map[string]variable{}
	for _, v := range b.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("no datasource variable of Prometheus data sources: %+v", v)
	}
	for _, name := range []string{"job", "instance"} {
		v, ok := vars[name]
		if !ok || v.Type != "query" || !usesDatasourceVariable(v.Datasource) {
			t.Errorf("variable %s: type %q, datasource %+v, want a query on the datasource variable", name, v.Type, v.Datasource)
		}
		if !v.Multi || !v.IncludeAll || v.AllValue != ".*" {
			t.Errorf("variable %s: multi %v, includeAll %v, allValue %q: several replicas are to be shown at once", name, v.Multi, v.IncludeAll, v.AllValue)
		}
	}

	ids := map[int]string{}
	type cell struct{ x, y int }
	taken := map[cell]string{}
	panels := b.allPanels()
	if len(panels) < 10 {
		t.Errorf("%d panels", len(panels))
	}
	for _, p := range panels {
		name := fmt.Sprintf("panel %d (%q)", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: no id", name)
		} else if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id also used by %s", name, other)
		}
		ids[p.ID] = name
		if p.Title == "" {
			t.Errorf("%s: no title", name)
		}
		g := p.GridPos
		if g == nil || g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", name, g)
			continue
		}
	grid:
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Errorf("%s overlaps %s at x=%d y=%d", name, other, x, y)
					break grid
				}
				taken[cell{x, y}] = name
			}
		}
		if p.Type == "row" {
			if len(p.Targets) != 0 {
				t.Errorf("%s: a row with queries", name)
			}
			continue
		}
		if !slices.Contains([]string{"timeseries", "stat", "gauge", "bargauge", "table"}, p.Type) {
			t.Errorf("%s: type %q", name, p.Type)
		}
		if len(p.Description) < 40 {
			t.Errorf("%s: the description should say what it shows and what to look for: %q", name, p.Description)
		}
		if !usesDatasourceVariable(p.Datasource) {
			t.Errorf("%s: datasource %+v, want the datasource variable", name, p.Datasource)
		}
		if p.FieldConfig == nil || p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("%s: no unit", name)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", name)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: refId %q missing or repeated", name, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s, query %s: no expr", name, tg.RefID)
				continue
			}
			if !usesDatasourceVariable(tg.Datasource) {
				t.Errorf("%s, query %s: datasource %+v, want the datasource variable", name, tg.RefID, tg.Datasource)
			}
			q, err := parseQuery(tg.Expr)
			if err != nil {
				t.Errorf("%s, query %s: %v in %s", name, tg.RefID, err, tg.Expr)
				continue
			}
			if len(q.selectors) == 0 {
				t.Errorf("%s, query %s: no series in %s", name, tg.RefID, tg.Expr)
			}
			for _, s := range q.selectors {
				if s.matchers["job"] != `=~"$job"` || s.matchers["instance"] != `=~"$instance"` {
					t.Errorf("%s, query %s: %s is not filtered by the job and instance variables (%v)", name, tg.RefID, s.metric, s.matchers)
				}
			}
			if len(p.Targets) > 1 && tg.LegendFormat == "" {
				t.Errorf("%s, query %s: several queries, and no legend to tell them apart", name, tg.RefID)
			}
		}
	}
}

// The dashboard decodes strictly as Grafana's dashboard model (the Grafana Foundation SDK's types,
// generated from Grafana's schema, with the panel and Prometheus query plugins' options): a
// misspelt or misplaced key, or a value of the wrong type, fails here rather than being dropped
// by Grafana without a word.
func TestDashboardSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	var d dashboard.Dashboard
	if err := sdkError(d.UnmarshalJSONStrict(Dashboard)); err != nil {
		t.Fatalf("paddles.json is not a Grafana dashboard:\n%v", err)
	}
	if err := sdkError(d.Validate()); err != nil {
		t.Errorf("paddles.json: %v", err)
	}
	if d.Title == nil || *d.Title != "paddles" || len(d.Panels) == 0 {
		t.Errorf("decoded as %+v", d)
	}
}

// sdkError is err, or nil for the empty list of errors the SDK can return as a non-nil error (a
// nil cog.BuildErrors in an error interface).
func sdkError(err error) error {
	var errs cog.BuildErrors
	if errors.As(err, &errs) && len(errs) == 0 {
		return nil
	}
	return err
}

// series are the samples a scrape exposes, by name (histograms as name_bucket, name_sum and
// name_count, as PromQL sees them), with the label names each has.
type series map[string]map[string]bool

func scrape(t *testing.T, c *http.Client, base string) series {
	t.Helper()
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	out := series{}
	add := func(name string, labels map[string]bool, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for l := range labels {
			out[name][l] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]bool{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
			switch f.GetType().String() {
			case "HISTOGRAM":
				add(name+"_bucket", labels, "le")
				add(name+"_sum", labels)
				add(name+"_count", labels)
			case "SUMMARY":
				add(name, labels, "quantile")
				add(name+"_sum", labels)
				add(name+"_count", labels)
			default:
				add(name, labels)
			}
		}
	}
	return out
}

// Every metric the dashboard reads is one the server exposes, with the labels the dashboard
// filters and groups by: the server is started as "paddles serve" wires it (testserver.Start),
// given requests and job status changes so that the series exist, and scraped.
func TestDashboardMetricsExist(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	c := testserver.Client(t)
	const run = "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"
	jobs := s.URL + "/runs/" + run + "/jobs/"
	send := func(method, url, body string, want int) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %s, want %d", method, url, resp.Status, want)
		}
	}
	send("POST", jobs, `{"job_id": "1", "status": "queued"}`, 200)
	send("PUT", jobs+"1/", `{"status": "running"}`, 200)
	send("PUT", jobs+"1/", `{"status": "dead"}`, 200)
	send("GET", s.URL+"/runs/"+run+"/", "", 200)
	send("GET", s.URL+"/runs/nope/", "", 404)
	exposed := scrape(t, c, s.URL)

	b := load(t)
	type use struct{ where, expr string }
	var exprs []use
	for _, p := range b.allPanels() {
		for _, tg := range p.Targets {
			exprs = append(exprs, use{fmt.Sprintf("panel %d (%q), query %s", p.ID, p.Title, tg.RefID), tg.Expr})
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)
	for _, v := range b.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Errorf("variable %s: query %s: %v", v.Name, v.Query, err)
			continue
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("variable %s: %q is not label_values(series, label)", v.Name, q.Query)
			continue
		}
		// label_values(s, l) reads label l of s: check it as a query grouping s by l.
		exprs = append(exprs, use{"variable " + v.Name, fmt.Sprintf("group by (%s) (%s)", m[2], m[1])})
	}

	used := map[string]bool{}
	for _, u := range exprs {
		q, err := parseQuery(u.expr)
		if err != nil {
			t.Errorf("%s: %v in %s", u.where, err, u.expr)
			continue
		}
		// Labels the query may group by: those of the series it reads, Prometheus' target labels,
		// and those it makes.
		groupable := map[string]bool{}
		for l := range targetLabels {
			groupable[l] = true
		}
		for _, l := range q.made {
			groupable[l] = true
		}
		unchecked := false
		for _, sel := range q.selectors {
			used[sel.metric] = true
			if prometheusMetrics[sel.metric] {
				continue
			}
			labels, ok := exposed[sel.metric]
			if pendingMetrics[sel.metric] {
				if ok {
					t.Errorf("%s is exposed now: take it out of pendingMetrics", sel.metric)
				}
				unchecked = true // its labels are not known yet
				continue
			}
			if !ok {
				t.Errorf("%s: %s is not exposed by the server", u.where, sel.metric)
				continue
			}
			for l := range labels {
				groupable[l] = true
			}
			for m := range sel.matchers {
				l := strings.TrimRight(m, "=!~")
				if !labels[l] && !targetLabels[l] {
					t.Errorf("%s: %s has no label %q", u.where, sel.metric, l)
				}
			}
		}
		for _, l := range q.grouping {
			if !groupable[l] && !unchecked {
				t.Errorf("%s: groups by %q, a label none of its series has", u.where, l)
			}
		}
	}

	// What the dashboard leaves out of the server's own metrics, for whoever extends it.
	var unused []string
	for name := range exposed {
		if strings.HasPrefix(name, "paddles_") && !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	t.Logf("paddles metrics not on the dashboard: %s", strings.Join(unused, " "))
}
