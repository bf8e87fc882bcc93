package grafana

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// query is what the dashboard tests need to know of a PromQL expression: the series it selects
// and the labels it groups by. It is read by a small lexer, not a PromQL parser (Prometheus'
// would bring its whole module in for a test): enough for the dashboard's expressions, and strict
// enough to fail on what it does not understand rather than let a metric name slip by.
type query struct {
	selectors []selector
	grouping  []string // the labels of by, without, on, ignoring, group_left and group_right
	made      []string // labels made by label_replace or label_join (their second argument)
}

// selector is one vector selector: a metric name and its label matchers, as written.
type selector struct {
	metric   string
	matchers map[string]string // label -> operator and value, e.g. job -> =~"$job"
}

// Words of PromQL that are not metric names when they stand alone.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true,
}

// Clauses followed by a list of label names (group_left and group_right may have none).
var groupingClauses = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// isAggregationClause tells whether rest starts with by or without and their label list.
func isAggregationClause(rest string) bool {
	for _, w := range []string{"by", "without"} {
		if len(rest) > len(w) && strings.EqualFold(rest[:len(w)], w) && !isIdent(rest[len(w)]) {
			return strings.HasPrefix(strings.TrimLeft(rest[len(w):], " \t\r\n"), "(")
		}
	}
	return false
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

// parseQuery reads expr; Grafana's variables ($job, $__rate_interval) may stand in strings and
// in range brackets.
func parseQuery(expr string) (query, error) {
	var q query
	type call struct {
		name string // the function or aggregation, "" for a plain parenthesis
		arg  int
	}
	var calls []call
	pending := "" // a function name whose parenthesis comes next
	i := 0
	skipSpace := func() {
		for i < len(expr) && strings.IndexByte(" \t\r\n", expr[i]) >= 0 {
			i++
		}
	}
	ident := func() string {
		start := i
		for i < len(expr) && isIdent(expr[i]) {
			i++
		}
		return expr[start:i]
	}
	str := func() (string, error) {
		quote := expr[i]
		start := i
		for i++; i < len(expr); i++ {
			switch {
			case expr[i] == '\\' && quote != '`':
				i++
			case expr[i] == quote:
				i++
				return expr[start:i], nil
			}
		}
		return "", fmt.Errorf("unterminated string at %d", start)
	}
	// matchers reads {label op "value", ...} into m.
	matchers := func(m map[string]string) error {
		i++ // {
		for {
			skipSpace()
			if i < len(expr) && expr[i] == '}' {
				i++
				return nil
			}
			if i >= len(expr) || !isIdentStart(expr[i]) {
				return fmt.Errorf("a label name expected at %d", i)
			}
			name := ident()
			skipSpace()
			op := ""
			for _, o := range []string{"=~", "!~", "!=", "="} {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return fmt.Errorf("a matcher operator expected at %d", i)
			}
			i += len(op)
			skipSpace()
			if i >= len(expr) || strings.IndexByte("\"'`", expr[i]) < 0 {
				return fmt.Errorf("a label value expected at %d", i)
			}
			v, err := str()
			if err != nil {
				return err
			}
			if _, dup := m[name]; dup {
				name += op // a second matcher on one label (code=~"5..", code!="503")
			}
			m[name] = op + v
			skipSpace()
			if i < len(expr) && expr[i] == ',' {
				i++
			}
		}
	}
	for {
		skipSpace()
		if i >= len(expr) {
			break
		}
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			s, err := str()
			if err != nil {
				return q, err
			}
			if n := len(calls); n > 0 && (calls[n-1].name == "label_replace" || calls[n-1].name == "label_join") && calls[n-1].arg == 1 {
				q.made = append(q.made, s[1:len(s)-1])
			}
		case c == '(':
			calls = append(calls, call{name: pending})
			pending = ""
			i++
		case c == ')':
			if len(calls) == 0 {
				return q, fmt.Errorf("unbalanced ) at %d", i)
			}
			calls = calls[:len(calls)-1]
			i++
		case c == ',':
			if len(calls) == 0 {
				return q, fmt.Errorf("a comma outside parentheses at %d", i)
			}
			calls[len(calls)-1].arg++
			i++
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return q, fmt.Errorf("unterminated [ at %d", i)
			}
			i += end + 1
		case c == '{':
			// A selector without a metric name ({__name__=~...}) is not used by the dashboard.
			return q, fmt.Errorf("a selector without a metric name at %d", i)
		case '0' <= c && c <= '9' || c == '.':
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') && expr[i] != ':' {
				i++ // a number or a duration
			}
		case isIdentStart(c):
			name := ident()
			skipSpace()
			next := byte(0)
			if i < len(expr) {
				next = expr[i]
			}
			lower := strings.ToLower(name)
			switch {
			case groupingClauses[lower]:
				if next != '(' {
					if lower == "group_left" || lower == "group_right" {
						continue
					}
					return q, fmt.Errorf("%s without labels at %d", name, i)
				}
				end := strings.IndexByte(expr[i:], ')')
				if end < 0 {
					return q, fmt.Errorf("unterminated %s( at %d", name, i)
				}
				for _, l := range strings.Split(expr[i+1:i+end], ",") {
					if l = strings.TrimSpace(l); l != "" {
						q.grouping = append(q.grouping, l)
					}
				}
				i += end + 1
			case promqlKeywords[lower]:
			case next == '(':
				pending = name
			case isAggregationClause(expr[i:]):
				pending = name // sum by (le) (...): the clause comes first
			default:
				s := selector{metric: name, matchers: map[string]string{}}
				if next == '{' {
					if err := matchers(s.matchers); err != nil {
						return q, err
					}
				}
				q.selectors = append(q.selectors, s)
			}
		case strings.IndexByte("+-*/%^=!<>", c) >= 0:
			i++
		default:
			return q, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	if len(calls) != 0 {
		return q, fmt.Errorf("unbalanced (")
	}
	return q, nil
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want query
	}{
		{`up`, query{selectors: []selector{{"up", map[string]string{}}}}},
		{
			`histogram_quantile(0.99, sum by (le, url) (rate(paddles_http_request_duration_seconds_bucket{job=~"$job", url=~"$route"}[$__rate_interval])))`,
			query{
				selectors: []selector{{"paddles_http_request_duration_seconds_bucket", map[string]string{"job": `=~"$job"`, "url": `=~"$route"`}}},
				grouping:  []string{"le", "url"},
			},
		},
		{
			`sum by (url, class) (label_replace(rate(paddles_http_requests_total{code=~"5..", code!="503"}[5m]), "class", "${1}xx", "code", "([0-9]).."))`,
			query{
				selectors: []selector{{"paddles_http_requests_total", map[string]string{"code": `=~"5.."`, "code!=": `!="503"`}}},
				grouping:  []string{"url", "class"},
				made:      []string{"class"},
			},
		},
		{
			`sum(rate(a_total[1h] offset 1d)) / on (instance) group_left max(b{x='y'}) > bool 0.5e3`,
			query{
				selectors: []selector{{"a_total", map[string]string{}}, {"b", map[string]string{"x": `='y'`}}},
				grouping:  []string{"instance"},
			},
		},
	} {
		got, err := parseQuery(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.expr, got, tc.want)
		}
	}
	for _, bad := range []string{`sum(rate(x[5m])`, `x{a="b"`, `{__name__="x"}`, `x{a}`, `rate(x[5m]))`, `x # y`} {
		if q, err := parseQuery(bad); err == nil {
			t.Errorf("%s: no error, read as %+v", bad, q)
		}
	}
}
