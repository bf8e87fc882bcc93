package httpapi

import (
	"strings"
	"testing"
)

// The parsed log URL template fills exactly as strings.NewReplacer did.
func TestHrefTemplateFillsAsReplacer(t *testing.T) {
	templates := []string{
		DefaultJobLogHrefTemplate, "", "plain", "{run_name}{job_id}", "{job_id}/{job_id}", "x{job_id", "{{run_name}}",
		"{run_name{job_id}}", "{run_{job_id}name}", "{run_name", "job_id}{run_name}x",
	}
	values := [][2]string{{"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi", "7510032"},
		{"a{job_id}b", "{run_name}"}, {"", ""}}
	for _, tmpl := range templates {
		parsed := parseHrefTemplate(tmpl)
		for _, v := range values {
			want := strings.NewReplacer("{run_name}", v[0], "{job_id}", v[1]).Replace(tmpl)
			if got := parsed.fill(v[0], v[1]); got != want {
				t.Errorf("template %q with %q: got %q, want %q", tmpl, v, got, want)
			}
		}
	}
}
