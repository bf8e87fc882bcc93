package store_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/pgtest"
)

// Failure reasons as teuthology writes them (teuthology/exceptions.py, run_tasks.py,
// task/internal, contextutil.py, dispatcher; ceph's qa/tasks), with their variable parts as
// {{slots}}: fill gives each slot a random value, so that two fills are two occurrences of one
// failure, on other nodes, in other runs, with other pids and times.
var signatureCases = []struct{ name, reason, want string }{
	{
		"CommandFailedError",
		`Command failed on {{host}} with status 1: 'sudo ceph osd pool create foo 8'`,
		`Command failed on <host> with status 1: 'sudo ceph osd pool create foo <n>'`,
	}, {
		"CommandFailedError, another exit status",
		`Command failed on {{host}} with status 22: 'sudo ceph osd pool create foo 8'`,
		`Command failed on <host> with status 22: 'sudo ceph osd pool create foo <n>'`,
	}, {
		"CommandFailedError, another command",
		`Command failed on {{host}} with status 1: 'sudo ceph --cluster ceph osd crush tunables default'`,
		`Command failed on <host> with status 1: 'sudo ceph --cluster ceph osd crush tunables default'`,
	}, {
		"CommandFailedError on an address",
		`Command failed on {{ip}} with status 100: 'sudo apt-get update'`,
		`Command failed on <ip> with status 100: 'sudo apt-get update'`,
	}, {
		"CommandFailedError, timeout",
		`Command failed on {{host}} with status 124: 'sudo adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage timeout 120 ceph --cluster ceph --admin-daemon /var/run/ceph/ceph-osd.{{n}}.asok dump_ops_in_flight'`,
		`Command failed on <host> with status 124: 'sudo adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage timeout <n> ceph --cluster ceph --admin-daemon /var/run/ceph/ceph-osd.<n>.asok dump_ops_in_flight'`,
	}, {
		"workunit",
		`Command failed (workunit test rados/test.sh) on {{host}} with status 1: 'mkdir -p -- /home/ubuntu/cephtest/mnt.0/client.0/tmp && cd -- /home/ubuntu/cephtest/mnt.0/client.0/tmp && CEPH_CLI_TEST_DUP_COMMAND=1 CEPH_REF={{sha1}} TESTDIR="/home/ubuntu/cephtest" CEPH_ARGS="--cluster ceph" CEPH_ID="0" PATH=$PATH:/usr/sbin CEPH_BASE=/home/ubuntu/cephtest/clone.client.0 CEPH_ROOT=/home/ubuntu/cephtest/clone.client.0 adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage timeout 3h /home/ubuntu/cephtest/clone.client.0/qa/workunits/rados/test.sh'`,
		`Command failed (workunit test rados/test.sh) on <host> with status 1: 'mkdir -p -- /home/ubuntu/cephtest/mnt.<n>/client.<n>/tmp && cd -- /home/ubuntu/cephtest/mnt.<n>/client.<n>/tmp && CEPH_CLI_TEST_DUP_COMMAND=<n> CEPH_REF=<hex> TESTDIR="/home/ubuntu/cephtest" CEPH_ARGS="--cluster ceph" CEPH_ID="<n>" PATH=$PATH:/usr/sbin CEPH_BASE=/home/ubuntu/cephtest/clone.client.<n> CEPH_ROOT=/home/ubuntu/cephtest/clone.client.<n> adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage timeout <n> /home/ubuntu/cephtest/clone.client.<n>/qa/workunits/rados/test.sh'`,
	}, {
		"workunit, another test timing out",
		`Command failed (workunit test cephtool/test.sh) on {{host}} with status 124: 'mkdir -p -- /home/ubuntu/cephtest/mnt.0/client.0/tmp && cd -- /home/ubuntu/cephtest/mnt.0/client.0/tmp && CEPH_CLI_TEST_DUP_COMMAND=1 CEPH_REF={{sha1}} TESTDIR="/home/ubuntu/cephtest" CEPH_ARGS="--cluster ceph" CEPH_ID="0" PATH=$PATH:/usr/sbin CEPH_BASE=/home/ubuntu/cephtest/clone.client.0 CEPH_ROOT=/home/ubuntu/cephtest/clone.client.0 adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage timeout 3h /home/ubuntu/cephtest/clone.client.0/qa/workunits/cephtool/test.sh'`,
		`Command failed (workunit test cephtool/test.sh) on <host> with status 124: 'mkdir -p -- /home/ubuntu/cephtest/mnt.<n>/client.<n>/tmp && cd -- /home/ubuntu/cephtest/mnt.<n>/client.<n>/tmp && CEPH_CLI_TEST_DUP_COMMAND=<n> CEPH_REF=<hex> TESTDIR="/home/ubuntu/cephtest" CEPH_ARGS="--cluster ceph" CEPH_ID="<n>" PATH=$PATH:/usr/sbin CEPH_BASE=/home/ubuntu/cephtest/clone.client.<n> CEPH_ROOT=/home/ubuntu/cephtest/clone.client.<n> adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage timeout <n> /home/ubuntu/cephtest/clone.client.<n>/qa/workunits/cephtool/test.sh'`,
	}, {
		"cephadm shell",
		`Command failed on {{host}} with status 22: 'sudo /home/ubuntu/cephtest/cephadm --image quay.ceph.io/ceph-ci/ceph:{{sha1}} shell -c /etc/ceph/ceph.conf -k /etc/ceph/ceph.client.admin.keyring --fsid {{uuid}} -- ceph orch daemon redeploy mgr.{{host}}.{{suffix}}'`,
		`Command failed on <host> with status 22: 'sudo /home/ubuntu/cephtest/cephadm --image <host>/ceph-ci/ceph:<hex> shell -c /etc/ceph/ceph.conf -k /etc/ceph/ceph.client.admin.keyring --fsid <uuid> -- ceph orch daemon redeploy mgr.<host>.<id>'`,
	}, {
		"CommandCrashedError",
		`Command crashed: 'CEPH_CLIENT_ID={{n}} adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage daemon-helper kill ceph-osd -f --cluster ceph -i {{n}}'`,
		`Command crashed: 'CEPH_CLIENT_ID=<n> adjust-ulimits ceph-coverage /home/ubuntu/cephtest/archive/coverage daemon-helper kill ceph-osd -f --cluster ceph -i <n>'`,
	}, {
		"ConnectionLostError",
		`SSH connection to {{host}} was lost: "sudo find /var/log/ceph -name '*.log' -print0 | sudo xargs -0 --no-run-if-empty -- gzip --"`,
		`SSH connection to <host> was lost: "sudo find /var/log/ceph -name '*.log' -print0 | sudo xargs -<n> --no-run-if-empty -- gzip --"`,
	}, {
		"max job timeout",
		`hit max job timeout`,
		`hit max job timeout`,
	}, {
		"valgrind",
		`saw valgrind issues`,
		`saw valgrind issues`,
	}, {
		"SELinux denials",
		`SELinux denials found on ubuntu@{{fqdn}}: ['type=AVC msg=audit({{secs}}:{{n}}): avc:  denied  { read } for  pid={{n}} comm="ceph-osd" name="sda" dev="devtmpfs" ino={{n}} scontext=system_u:system_r:ceph_t:s0 tcontext=system_u:object_r:fixed_disk_device_t:s0 tclass=blk_file permissive=1', 'type=AVC msg=audit({{secs}}:{{n}}): avc:  denied  { getattr } for  pid={{n}} comm="ceph-mon" path="/proc/{{n}}/status" dev="proc" ino={{n}} scontext=system_u:system_r:ceph_t:s0 tcontext=system_u:system_r:unconfined_service_t:s0 tclass=file permissive=1']`,
		`SELinux denials found on <host>: ['type=AVC msg=audit(<n>:<n>): avc: denied { read } for pid=<n> comm="ceph-osd" name="sda" dev="devtmpfs" ino=<n> scontext=system_u:system_r:ceph_t:s0 tcontext=system_u:object_r:fixed_disk_device_t:s0 tclass=blk_file permissive=<n>', 'type=AVC msg=audit(<n>:<n>): avc: denied { getattr } for pid=<n> comm="ceph-mon" path="/proc/<n>/status" dev="proc" ino=<n> scontext=system_u:system_r:ceph_t:s0 tcontext=system_u:system_r:unconfined_service_t:s0 tclass=file permissive=<n>']`,
	}, {
		"coredumps",
		`Found coredumps on ubuntu@{{fqdn}}`,
		`Found coredumps on <host>`,
	}, {
		"stale jobs",
		`Stale jobs detected, aborting.`,
		`Stale jobs detected, aborting.`,
	}, {
		"MaxWhileTries",
		`reached maximum tries ({{n}}) after waiting for {{n}} seconds`,
		`reached maximum tries (<n>) after waiting for <n> seconds`,
	}, {
		"MaxWhileTries with an action",
		`'ssh_keyscan {{fqdn}}' reached maximum tries ({{n}}) after waiting for {{n}} seconds`,
		`'ssh_keyscan <host>' reached maximum tries (<n>) after waiting for <n> seconds`,
	}, {
		"timeout on a daemon",
		`timed out waiting for admin_socket to appear after osd.{{n}} restart`,
		`timed out waiting for admin_socket to appear after osd.<n> restart`,
	}, {
		"reboot timeout, with a duration",
		`{{fqdn}} did not come up after reboot within {{secs}}s`,
		`<host> did not come up after reboot within <n>`,
	}, {
		"traceback",
		"Traceback (most recent call last):\n" +
			`  File "/home/teuthworker/src/git.ceph.com_teuthology_{{sha1}}/teuthology/run_tasks.py", line {{n}}, in run_tasks` + "\n" +
			"    manager.__enter__()\n" +
			`  File "/home/teuthworker/src/github.com_ceph_ceph-c_{{sha1}}/qa/tasks/ceph_manager.py", line {{n}}, in wait_for_clean` + "\n" +
			"    assert time.time() - start < timeout, \\\n" +
			"AssertionError: failed to become clean before timeout expired",
		`Traceback (most recent call last): in wait_for_clean AssertionError: failed to become clean before timeout expired`,
	}, {
		"chained traceback",
		"Traceback (most recent call last):\n" +
			`  File "/home/teuthworker/src/git.ceph.com_teuthology_{{sha1}}/teuthology/orchestra/connection.py", line {{n}}, in connect` + "\n" +
			"    ssh.connect(**connect_args)\n" +
			"    ~~~~~~~~~~~^^^^^^^^^^^^^^^^\n" +
			`socket.timeout: timed out at {{date}}.{{n}}+00:00` + "\n\n" +
			"During handling of the above exception, another exception occurred:\n\n" +
			"Traceback (most recent call last):\n" +
			`  File "/home/teuthworker/src/git.ceph.com_teuthology_{{sha1}}/teuthology/orchestra/remote.py", line {{n}}, in reconnect` + "\n" +
			"    self.ssh = connection.connect(\n" +
			`ConnectionError: could not reach ubuntu@{{fqdn}}:22 after {{dur}}`,
		`Traceback (most recent call last): in connect socket.timeout: timed out at <time> During handling of the above exception, another exception occurred: Traceback (most recent call last): in reconnect ConnectionError: could not reach <host>:<n> after <time>`,
	}, {
		"health warning",
		`"{{iso}} mon.{{mon}} (mon.{{n}}) {{n}} : cluster [WRN] Health check failed: {{n}} osds down (OSD_DOWN)" in cluster log`,
		`"<time> mon.<id> (mon.<n>) <n> : cluster [WRN] Health check failed: <n> osds down (OSD_DOWN)" in cluster log`,
	}, {
		"another health warning",
		`"{{iso}} mon.{{mon}} (mon.{{n}}) {{n}} : cluster [WRN] Health check failed: Degraded data redundancy: {{n}}/{{n}} objects degraded ({{secs}}%), {{n}} pgs degraded (PG_DEGRADED)" in cluster log`,
		`"<time> mon.<id> (mon.<n>) <n> : cluster [WRN] Health check failed: Degraded data redundancy: <n>/<n> objects degraded (<n>%), <n> pgs degraded (PG_DEGRADED)" in cluster log`,
	}, {
		"health error",
		`"{{iso}} mon.{{mon}} (mon.{{n}}) {{n}} : cluster [ERR] Health check failed: {{n}} scrub errors (OSD_SCRUB_ERRORS)" in cluster log`,
		`"<time> mon.<id> (mon.<n>) <n> : cluster [ERR] Health check failed: <n> scrub errors (OSD_SCRUB_ERRORS)" in cluster log`,
	}, {
		"syslog",
		`'{{iso}} {{host}} kernel: [{{secs}}] BUG: unable to handle page fault for address: {{addr}}' in syslog`,
		`'<time> <host> kernel: [<n>] BUG: unable to handle page fault for address: <hex>' in syslog`,
	}, {
		"ansible",
		`{'{{fqdn}}': {'_ansible_no_log': False, 'changed': False, 'msg': 'Failed to connect to the host via ssh: ssh: connect to host {{ip}} port 22: No route to host', 'unreachable': True}}`,
		`{'<host>': {'_ansible_no_log': False, 'changed': False, 'msg': 'Failed to connect to the host via ssh: ssh: connect to host <ip> port <n>: No route to host', 'unreachable': True}}`,
	}, {
		"reimage",
		`Error reimaging machines: Expected {{host}}'s OS to be centos 9.stream but found ubuntu 22.04`,
		`Error reimaging machines: Expected <host>'s OS to be centos <n>.stream but found ubuntu <n>`,
	}, {
		"missing packages",
		`Packages for distro 'centos' and ceph hash '{{sha1}}' not found`,
		`Packages for distro 'centos' and ceph hash '<hex>' not found`,
	}, {
		"a log under the archive, an IPv6 address",
		`gzip: {{archive}}/remote/{{host}}/log/ceph-osd.{{n}}.log: No space left on device (mon addr [v2:[{{ip6}}]:{{n}}/{{n}},v1:[{{ip6}}]:{{n}}/{{n}}])`,
		`gzip: <path>: No space left on device (mon addr [v2:[<ip>]:<n>/<n>,v1:[<ip>]:<n>/<n>])`,
	}, {
		"dispatcher",
		`Saw error while trying to spawn supervisor.`,
		`Saw error while trying to spawn supervisor.`,
	},
}

// slot is a variable part in a signatureCases reason.
var slot = regexp.MustCompile(`\{\{(host|fqdn|ip|ip6|n|secs|dur|sha1|addr|uuid|iso|date|mon|suffix|archive)\}\}`)

// fill gives each slot of reason a value drawn from rng.
func fill(reason string, rng *rand.Rand) string {
	hex := func(n int) string {
		for {
			b := make([]byte, n)
			for i := range b {
				b[i] = "0123456789abcdef"[rng.IntN(16)]
			}
			// A hex id has a letter and a digit; an all-digit one is a number (the migration).
			if s := string(b); strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, "abcdef") {
				return s
			}
		}
	}
	at := time.Unix(1.4e9+rng.Int64N(5e8), rng.Int64N(1e9)).UTC()
	host := func() string {
		return fmt.Sprintf("%s%03d", []string{"smithi", "mira", "gibba", "vpm", "magna", "trial"}[rng.IntN(6)], rng.IntN(1000))
	}
	return slot.ReplaceAllStringFunc(reason, func(m string) string {
		switch m[2 : len(m)-2] {
		case "host":
			return host()
		case "fqdn":
			return host() + []string{".front.sepia.ceph.com", ".ceph.example.com"}[rng.IntN(2)]
		case "ip":
			return fmt.Sprintf("%d.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256))
		case "ip6":
			if rng.IntN(2) == 0 {
				return fmt.Sprintf("fe80::%x:%x", rng.IntN(1<<16), rng.IntN(1<<16))
			}
			return fmt.Sprintf("2001:db8:%x:%x:%x:%x:%x:%x", rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16))
		case "n":
			return fmt.Sprint(rng.IntN(1 << rng.IntN(24)))
		case "secs":
			return fmt.Sprintf("%d.%d", rng.IntN(2e9), rng.IntN(1000))
		case "dur":
			return fmt.Sprintf("%d:%02d:%02d", rng.IntN(24), rng.IntN(60), rng.IntN(60))
		case "sha1":
			return hex(40)
		case "addr":
			return fmt.Sprintf("%#x", rng.Uint64())
		case "uuid":
			h := hex(32)
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		case "iso":
			return at.Format("2006-01-02T15:04:05.000000-0700")
		case "date":
			return at.Format("2006-01-02 15:04:05")
		case "mon":
			return string(rune('a' + rng.IntN(5)))
		case "suffix":
			b := make([]byte, 6)
			for i := range b {
				b[i] = byte('a' + rng.IntN(26))
			}
			return string(b)
		case "archive":
			user := []string{"teuthology", "yuriw", "pdonnell"}[rng.IntN(3)]
			return fmt.Sprintf("/home/teuthworker/archive/%s-%s-rados-main-distro-default-smithi/%d", user, at.Format("2006-01-02_15:04:05"), rng.IntN(1e7))
		}
		panic(m)
	})
}

// maxSignature is the longest signature, in characters (the migration's cut).
const maxSignature = 1000

func connect(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// signature is failure_signature(reason); nil for NULL.
func signature(tb testing.TB, conn *pgx.Conn, reason *string) *string {
	tb.Helper()
	var s *string
	if err := conn.QueryRow(context.Background(), "SELECT failure_signature($1)", reason).Scan(&s); err != nil {
		tb.Fatalf("failure_signature(%.200q): %v", deref(reason), err)
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return "<NULL>"
	}
	return *s
}

// TestFailureSignature checks that two occurrences of each failure have its one expected
// signature, and its id.
func TestFailureSignature(t *testing.T) {
	conn := connect(t)
	for i, c := range signatureCases {
		t.Run(c.name, func(t *testing.T) {
			var occurrences []string
			for seed := range uint64(2) {
				reason := fill(c.reason, rand.New(rand.NewPCG(uint64(i), seed)))
				occurrences = append(occurrences, reason)
				if got := deref(signature(t, conn, &reason)); got != c.want {
					t.Errorf("failure_signature(%q)\n got %q\nwant %q", reason, got, c.want)
				}
				var id *string
				if err := conn.QueryRow(context.Background(), "SELECT failure_signature_id($1)::text", reason).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if want := md5UUID(c.want); deref(id) != want {
					t.Errorf("failure_signature_id(%q) = %s, want md5 of the signature, %s", reason, deref(id), want)
				}
			}
			if slot.MatchString(c.reason) && occurrences[0] == occurrences[1] {
				t.Errorf("two occurrences are one text: %q", occurrences[0])
			}
		})
	}
}

func md5UUID(s string) string {
	h := md5.Sum([]byte(s))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[:4], h[4:6], h[6:8], h[8:10], h[10:])
}

// TestFailureSignatureDistinct checks that different failures keep different signatures and
// ids: other commands, exit statuses, tests, health checks.
func TestFailureSignatureDistinct(t *testing.T) {
	conn := connect(t)
	seen := map[string]string{}
	for i, c := range signatureCases {
		reason := fill(c.reason, rand.New(rand.NewPCG(uint64(i), 9)))
		var sig, id *string
		if err := conn.QueryRow(context.Background(), "SELECT failure_signature($1), failure_signature_id($1)::text", reason).Scan(&sig, &id); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"signature " + deref(sig), "id " + deref(id)} {
			if other, ok := seen[k]; ok {
				t.Errorf("%q and %q have one %s", other, c.name, k)
			}
			seen[k] = c.name
		}
	}
}

// TestFailureSignatureProperties checks what holds of every reason: NULL for no text, a bounded
// length, no error, and that a signature is its own signature.
func TestFailureSignatureProperties(t *testing.T) {
	conn := connect(t)
	for _, blank := range []*string{nil, ptr(""), ptr(" "), ptr("\t\r\n \u00a0 ")} {
		if s := signature(t, conn, blank); s != nil {
			t.Errorf("failure_signature(%q) = %q, want NULL", deref(blank), *s)
		}
		var id *string
		if err := conn.QueryRow(context.Background(), "SELECT failure_signature_id($1)::text", blank).Scan(&id); err != nil || id != nil {
			t.Errorf("failure_signature_id(%q) = %s, %v; want NULL", deref(blank), deref(id), err)
		}
	}

	mb := 1 << 20
	frame := "  File \"/home/teuthworker/src/teuthology/run_tasks.py\", line 105, in run_tasks\n    manager.__enter__()\n"
	long := "Traceback (most recent call last):\n" + strings.Repeat(frame, mb/len(frame)) + "KeyError: 'foo'"
	reasons := []string{
		"x",
		"<host> <n> <hex> <ip> <path> <time> <uuid> <id> <long>",
		"status 1 status=2 status: 3 exit code 4 code=5 error code: 6 status 12345",
		"sha256 int64 x86_64 python3.10 std::vector<int> ceph::buffer::list ::1 added decade deadbeef",
		"Command failed on smithi042 with status 1: '" + strings.Repeat("x", 1990) + "'",
		strings.Repeat("1 ", mb),
		strings.Repeat("smithi042.front.sepia.ceph.com ", mb/30),
		strings.Repeat("a", mb),
		long,
		strings.Repeat("é€😀 ", mb/8),
	}
	for _, c := range signatureCases {
		reasons = append(reasons, fill(c.reason, rand.New(rand.NewPCG(7, 7))), c.want)
	}
	for _, reason := range reasons {
		start := time.Now()
		s := signature(t, conn, &reason)
		// A megabyte costs what its first (or a traceback's last) 2,000 characters do.
		if d := time.Since(start); d > time.Second {
			t.Errorf("failure_signature(%.80q...) took %v", reason, d)
		}
		if s == nil {
			t.Errorf("failure_signature(%.80q...) = NULL", reason)
			continue
		}
		if n := utf8.RuneCountInString(*s); n > maxSignature {
			t.Errorf("failure_signature(%.80q...) has %d characters, more than %d", reason, n, maxSignature)
		}
		if again := deref(signature(t, conn, s)); again != *s {
			t.Errorf("failure_signature(%.80q...) = %q\nits own signature is %q", reason, *s, again)
		}
	}
	// The long traceback is reduced as a short one is.
	short := "Traceback (most recent call last):\n" + strings.Repeat(frame, 3) + "KeyError: 'foo'"
	if a, b := deref(signature(t, conn, &short)), deref(signature(t, conn, &long)); a != b {
		t.Errorf("a short and a long traceback of one failure: %q and %q", a, b)
	}
}

func ptr(s string) *string { return &s }

// trickyPieces are the pieces the rules look for and at, glued at random by
// TestFailureSignatureTrickyText: where one rule's placeholder could make another match on a
// second pass (x.com.0s gave x.com.<n>, where '.<' no longer kept x.com from being a host).
var trickyPieces = []string{
	"0", "1", "9", "42", "a", "f", "x", "s", "status ", "code=", ":", "::", ".", "-", "_", " ", "<",
	">", "@", "/", ",", "'", `"`, "\n", "smithi", "mon.", "mds.", ".com", "T", "Z", "UTC", "+0000",
	"2026-01-15", "10:20:30", "1.2.3.4", "fe80", "0x", "deadbeef", "sha", "abc", "e", "ubuntu@",
	"/archive/", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "Traceback (most recent call last):",
	"\n  File \"x.py\", line 1, in f", "\n    y",
}

// TestFailureSignatureTrickyText checks, in one query, that random gluings of trickyPieces,
// short and long, are their signatures' signatures.
func TestFailureSignatureTrickyText(t *testing.T) {
	conn := connect(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var reasons []string
	for i := range 5000 {
		var b strings.Builder
		for range 1 + rng.IntN([]int{12, 60, 12, 60, 400}[i%5]) {
			b.WriteString(trickyPieces[rng.IntN(len(trickyPieces))])
		}
		reasons = append(reasons, b.String())
	}
	rows, err := conn.Query(context.Background(), `
		SELECT r, s, failure_signature(s) FROM unnest($1::text[]) r, failure_signature(r) s
		WHERE failure_signature(s) IS DISTINCT FROM s LIMIT 5`, reasons)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r, s, again string
		if err := rows.Scan(&r, &s, &again); err != nil {
			t.Fatal(err)
		}
		t.Errorf("failure_signature(%q) = %q\nits own signature is %q", r, s, again)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFailureSignatureTrickyInvariance checks, in one query, that random gluings of
// trickyPieces and delimited slots keep their signature whatever the slots' values.
func TestFailureSignatureTrickyInvariance(t *testing.T) {
	conn := connect(t)
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := []string{"host", "fqdn", "ip", "ip6", "n", "secs", "dur", "sha1", "addr", "uuid", "iso", "date", "archive"}
	seps := []string{" ", "'", `"`, "(", ")", "[", "]", ",", ";", "=", "/"}
	var a, b []string
	for len(a) < 3000 {
		var tpl strings.Builder
		for range 1 + rng.IntN(40) {
			if rng.IntN(4) == 0 {
				tpl.WriteString(seps[rng.IntN(len(seps))] + "{{" + kinds[rng.IntN(len(kinds))] + "}}" + seps[rng.IntN(len(seps))])
			} else {
				tpl.WriteString(trickyPieces[rng.IntN(len(trickyPieces))])
			}
		}
		if !delimited(tpl.String()) {
			continue
		}
		a, b = append(a, fill(tpl.String(), rng)), append(b, fill(tpl.String(), rng))
	}
	rows, err := conn.Query(context.Background(), `
		SELECT a, failure_signature(a), b, failure_signature(b) FROM unnest($1::text[], $2::text[]) r(a, b)
		WHERE length(a) <= 2000 AND length(b) <= 2000 AND failure_signature(a) IS DISTINCT FROM failure_signature(b)
		LIMIT 5`, a, b)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ra, sa, rb, sb string
		if err := rows.Scan(&ra, &sa, &rb, &sb); err != nil {
			t.Fatal(err)
		}
		t.Errorf("one failure, two signatures:\n%q\n-> %q\n%q\n-> %q", ra, sa, rb, sb)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// delimited reports whether every slot of reason stands apart from its neighbours (a space,
// quote, bracket, comma, '=' or '/' either side, or an end), no number follows "status" or
// "code", which keeps it, and no slot is one that varies only where it belongs (a mon's letter
// after "mon.", a cephadm suffix after a host): where a fuzzed reason's slots may take any
// value and its signature must stay the same.
func delimited(reason string) bool {
	apart := func(r rune) bool { return r == utf8.RuneError || strings.ContainsRune(" \t\n'\"()[],;=/", r) }
	for _, m := range slot.FindAllStringSubmatchIndex(reason, -1) {
		kind := reason[m[2]:m[3]]
		before, _ := utf8.DecodeLastRuneInString(reason[:m[0]]) // RuneError at an end
		after, _ := utf8.DecodeRuneInString(reason[m[1]:])
		if !apart(before) || !apart(after) || kind == "mon" || kind == "suffix" ||
			(kind == "n" || kind == "secs") && keptNumber.MatchString(reason[:m[0]]) {
			return false
		}
	}
	return true
}

var keptNumber = regexp.MustCompile(`(?:status|code)(?:\s+|=|:\s+)$`)

// FuzzFailureSignature fuzzes the reasons of signatureCases, slots included: any text gives a
// bounded signature that is its own signature, without an error; and the values filled into
// the slots of a seed, or of a fuzzed reason whose slots stand apart, do not change it.
func FuzzFailureSignature(f *testing.F) {
	seeds := map[string]bool{}
	for i, c := range signatureCases {
		seeds[c.reason] = true
		f.Add(c.reason, uint64(i), uint64(i+1))
	}
	conn := connect(f)
	f.Fuzz(func(t *testing.T, reason string, a, b uint64) {
		if !utf8.ValidString(reason) || strings.ContainsRune(reason, 0) {
			t.Skip("not text to PostgreSQL")
		}
		var sigs [2]*string
		for i, seed := range []uint64{a, b} {
			filled := fill(reason, rand.New(rand.NewPCG(seed, 0)))
			for _, r := range []string{reason, filled} {
				s := signature(t, conn, &r)
				if s == nil {
					continue
				}
				if n := utf8.RuneCountInString(*s); n > maxSignature {
					t.Fatalf("failure_signature(%q) has %d characters", r, n)
				}
				if again := deref(signature(t, conn, s)); again != *s {
					t.Fatalf("failure_signature(%q) = %q\nits own signature is %q", r, *s, again)
				}
			}
			// Beyond 2,000 characters the cut may fall in a different place.
			if utf8.RuneCountInString(filled) > 2000 {
				return
			}
			sigs[i] = signature(t, conn, &filled)
		}
		if (seeds[reason] || delimited(reason)) && deref(sigs[0]) != deref(sigs[1]) {
			ra, rb := fill(reason, rand.New(rand.NewPCG(a, 0))), fill(reason, rand.New(rand.NewPCG(b, 0)))
			t.Fatalf("one failure, two signatures:\n%q\n-> %q\n%q\n-> %q", ra, deref(sigs[0]), rb, deref(sigs[1]))
		}
	})
}
