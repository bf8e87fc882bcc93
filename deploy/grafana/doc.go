// Package grafana holds the Grafana dashboard of the server's Prometheus metrics, paddles.json,
// and the tests that check it loads: its structure, its schema (the Grafana Foundation SDK's
// strict decoding of the dashboard model), and that every metric and label its queries read is
// one a running server exposes (README.md beside this file).
package grafana

import _ "embed"

// Dashboard is paddles.json, the dashboard to import or provision.
//
//go:embed paddles.json
var Dashboard []byte
