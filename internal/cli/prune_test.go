package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

// seedPruneRuns posts a job to each of an old run, an old tagged run, an old failed run and a
// new run.
func seedPruneRuns(t *testing.T, base string) (old, tagged, failed, recent string) {
	t.Helper()
	old = "teuthology-2020-01-01_00:00:00-rados-main-distro-default-smithi"
	tagged = "teuthology-2020-01-02_00:00:00-rados-main-distro-default-smithi"
	failed = fmt.Sprintf("teuthology-%s_00:00:00-rados-main-distro-default-smithi", time.Now().UTC().AddDate(0, 0, -40).Format("2006-01-02"))
	recent = fmt.Sprintf("teuthology-%s_00:00:00-rados-main-distro-default-smithi", time.Now().UTC().Format("2006-01-02"))
	if code := post(t, base+"/runs/", `{"name": "`+tagged+`", "tags": ["release"]}`); code != 200 {
		t.Fatalf("POST /runs/: %d", code)
	}
	for _, r := range []string{old, tagged, recent} {
		if code := post(t, base+"/runs/"+r+"/jobs/", `{"job_id": "1", "status": "pass", "targets": {"ubuntu@smithi001": "k"}}`); code != 200 {
			t.Fatalf("POST: %d", code)
		}
	}
	if code := post(t, base+"/runs/"+failed+"/jobs/", `{"job_id": "1", "status": "fail", "failure_reason": "boom"}`); code != 200 {
		t.Fatalf("POST: %d", code)
	}
	return
}

// paddles prune: a dry run, then the real one, print progress and a summary; kept tags and
// failed runs stay; a pass needs --older-than.
func TestPruneCommand(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := startServe(t, []string{"--database-url", url, "--expire-interval", "0"}, env(nil))
	old, tagged, failed, recent := seedPruneRuns(t, s.URL)
	if code := s.Stop(t); code != 0 {
		t.Fatalf("serve: %d\n%s", code, s.Logs)
	}
	run := func(args ...string) string {
		t.Helper()
		var out, logs testserver.SyncBuffer
		if code := Main(context.Background(), append([]string{"prune", "--database-url", url}, args...), env(nil), &out, &logs); code != 0 {
			t.Fatalf("prune %v: exit %d\n%s\n%s", args, code, out.String(), logs.String())
		}
		return out.String()
	}
	summary := regexp.MustCompile(`(?m)^(would delete|deleted) (\d+) runs, (\d+) jobs, (\d+) links \((\d+) rows\) in (\d+) batches, [^:]+: \d+ jobs/s, \d+ rows/s; longest batch \S+$`)
	dry := run("--older-than", "30d", "--keep-tag", "release", "--keep-failed-for", "365d", "--dry-run", "--progress-every", "0s")
	if m := summary.FindStringSubmatch(dry); m == nil || m[1] != "would delete" || m[2] != "1" || m[3] != "1" || m[4] != "1" ||
		!strings.Contains(dry, "would delete 1 of 1 runs, 1 jobs (100.0%), 1 links in ") {
		t.Fatalf("dry run:\n%s", dry)
	}
	real := run("--older-than", "30d", "--keep-tag", "release", "--keep-failed-for", "365d")
	if m := summary.FindStringSubmatch(real); m == nil || m[1] != "deleted" || m[2] != "1" || m[5] != "4" {
		t.Fatalf("prune:\n%s", real)
	}
	s = startServe(t, []string{"--database-url", url, "--expire-interval", "0"}, env(nil))
	for r, want := range map[string]int{old: 404, tagged: 200, failed: 200, recent: 200} {
		if code, _ := get(t, s.URL+"/runs/"+r+"/"); code != want {
			t.Errorf("%s: %d, want %d", r, code, want)
		}
	}
	s.Stop(t)
	// The environment sets the policy too; without the failed runs' exemption the failed run goes.
	var out, logs testserver.SyncBuffer
	getenv := env(map[string]string{"PADDLES_DATABASE_URL": url, "PADDLES_PRUNE_OLDER_THAN": "720h", "PADDLES_PRUNE_KEEP_TAGS": "release"})
	if code := Main(context.Background(), []string{"prune"}, getenv, &out, &logs); code != 0 || !strings.Contains(out.String(), "\ndeleted 1 runs, 1 jobs, 0 links") {
		t.Fatalf("prune from the environment: %d %q\n%s", code, out.String(), logs.String())
	}
	for _, args := range [][]string{{}, {"--older-than", "10m"}, {"--older-than", "soon"}} {
		var out, logs testserver.SyncBuffer
		if code := Main(context.Background(), append([]string{"prune", "--database-url", url}, args...), env(nil), &out, &logs); code == 0 {
			t.Errorf("prune %v: exit 0", args)
		}
	}
}

// serve prunes in the background with --prune-older-than.
func TestServePrunes(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := startServe(t, []string{"--database-url", url, "--expire-interval", "0", "--prune-older-than", "30d",
		"--prune-keep-tags", "release", "--prune-interval", "50ms"}, env(nil))
	old, tagged, failed, recent := seedPruneRuns(t, s.URL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := get(t, s.URL+"/runs/"+old+"/"); code == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old run was not pruned\n%s", s.Logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, r := range []string{tagged, recent} {
		if code, _ := get(t, s.URL+"/runs/"+r+"/"); code != 200 {
			t.Errorf("%s: %d", r, code)
		}
	}
	_ = failed
	if code := s.Stop(t); code != 0 {
		t.Fatalf("serve: %d\n%s", code, s.Logs)
	}
}
