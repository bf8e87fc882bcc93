package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/testserver"
)

// On a terminal, progress is one line rewritten in place, with rows/s and an ETA; elsewhere,
// plain lines.
func TestProgress(t *testing.T) {
	var term testserver.SyncBuffer
	p := startProgress("import", &term, true, time.Hour, 1000)
	p.add(10, 240)
	time.Sleep(1200 * time.Millisecond)
	p.finish()
	out := term.String()
	if !strings.HasPrefix(out, "\rimport: 10 runs, 240 job rows: 250/1000 rows (25.0%), ") || !strings.Contains(out, " rows/s, elapsed ") ||
		!strings.Contains(out, ", ETA ") || !strings.Contains(out, "\x1b[K") || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("terminal progress %q", out)
	}

	var plain testserver.SyncBuffer
	p = startProgress("import", &plain, false, 50*time.Millisecond, 1000)
	p.add(40, 960)
	time.Sleep(120 * time.Millisecond)
	p.finish()
	lines := strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n")
	if len(lines) < 2 || strings.Contains(plain.String(), "\r") || !strings.HasPrefix(lines[len(lines)-1], "import: 40 runs, 960 job rows: 1000/1000 rows (100.0%)") {
		t.Errorf("plain progress %q", plain.String())
	}
	if IsTerminal(&plain) {
		t.Error("a buffer is a terminal")
	}
}
