package cli

import (
	"context"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/testserver"
)

// setting is one flag as the README's configuration table or "paddles serve --help" describes it.
type setting struct {
	env  []string // sorted
	def  string   // "" when the default is empty
	kind string   // "string", "int", "duration", "bool", ...; only from --help
}

// readmeSettings parses the table under "## Configuration" in README.md.
func readmeSettings(t *testing.T) map[string]setting {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no ## Configuration section")
	}
	backticked := regexp.MustCompile("`([^`]*)`")
	out := map[string]setting{}
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) < 4 || strings.TrimSpace(cells[0]) == "flag" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		name := strings.TrimPrefix(strings.Trim(strings.TrimSpace(cells[0]), "`"), "--")
		var s setting
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			s.env = append(s.env, m[1])
		}
		sort.Strings(s.env)
		s.def = strings.Trim(strings.TrimSpace(cells[2]), "`")
		if s.def == "empty" {
			s.def = ""
		}
		if _, dup := out[name]; dup {
			t.Errorf("README lists --%s twice", name)
		}
		out[name] = s
	}
	if len(out) == 0 {
		t.Fatal("no rows in the README's configuration table")
	}
	return out
}

// helpSettings parses the flags "paddles serve --help" prints (with an empty environment).
func helpSettings(t *testing.T) map[string]setting {
	t.Helper()
	var out testserver.SyncBuffer
	if code := Main(context.Background(), []string{"serve", "--help"}, env(nil), io.Discard, &out); code != 0 {
		t.Fatalf("serve --help: exit %d", code)
	}
	flagLine := regexp.MustCompile(`^  -([a-z0-9-]+)(?: (\w+))?$`)
	envList := regexp.MustCompile(`\[([A-Z0-9_, ]+)\]`)
	trailingDefault := regexp.MustCompile(`\(default "?(.*?)"?\)$`)
	inlineDefault := regexp.MustCompile(`\(default ([^)]*)\)`)
	settings := map[string]setting{}
	var name string
	var s setting
	flush := func() {
		if name != "" {
			settings[name] = s
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			flush()
			name, s = m[1], setting{kind: m[2]}
			if s.kind == "" {
				s.kind = "bool"
			}
			continue
		}
		text := strings.TrimSpace(line)
		if name == "" || text == "" {
			continue
		}
		if m := envList.FindAllStringSubmatch(text, -1); m != nil {
			s.env = strings.Split(strings.ReplaceAll(m[len(m)-1][1], " ", ""), ",")
			sort.Strings(s.env)
		}
		switch m := trailingDefault.FindStringSubmatch(text); {
		case m != nil:
			s.def = m[1]
		case inlineDefault.MatchString(text):
			// A default the server computes, such as --public-url's http://<addr>.
			s.def = inlineDefault.FindStringSubmatch(text)[1]
		case s.kind == "bool":
			s.def = "false"
		case s.kind == "int" || s.kind == "int64" || s.kind == "uint" || s.kind == "float64":
			s.def = "0"
		case s.kind == "duration":
			s.def = "0s"
		}
	}
	flush()
	if len(settings) == 0 {
		t.Fatalf("no flags in serve --help:\n%s", out.String())
	}
	return settings
}

// Issue 6, acceptance 3: the README's configuration table lists exactly the flags of
// "paddles serve --help", with the same environment variables and defaults.
func TestReadmeConfigurationTable(t *testing.T) {
	readme, help := readmeSettings(t), helpSettings(t)
	for name, h := range help {
		r, ok := readme[name]
		if !ok {
			t.Errorf("--%s (%v, default %q) is missing from the README's configuration table", name, h.env, h.def)
			continue
		}
		if strings.Join(r.env, ",") != strings.Join(h.env, ",") {
			t.Errorf("--%s: README names the variables %v, --help %v", name, r.env, h.env)
		}
		same := r.def == h.def
		if h.kind == "duration" {
			rd, err1 := time.ParseDuration(r.def)
			hd, err2 := time.ParseDuration(h.def)
			same = err1 == nil && err2 == nil && rd == hd
		}
		if !same {
			t.Errorf("--%s: README says the default is %q, --help %q", name, r.def, h.def)
		}
	}
	for name := range readme {
		if _, ok := help[name]; !ok {
			t.Errorf("the README lists --%s, which serve does not have", name)
		}
	}
}
