package paddles

import (
	"testing"
	"time"
)

// Expected values come from, in this order: the real server's answers in the reference's
// Appendix B (section 6.1 and transcript T6), upstream's own tests (paddles/tests/models/
// test_runs.py, README.rst), and upstream's Run._parse_name run under CPython 3.11 for the rest.
func TestParseRunName(t *testing.T) {
	ts := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name                             string
		user, suite, branch, machineType string
		scheduled                        string // time.DateTime, "" for zero
	}{
		// Observed on the real server (Appendix B). Modern names with an unlisted machine type
		// fall to the pattern without machine type: the greedy branch swallows the kernel part.
		{"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi",
			"teuthology", "rados", "main-distro", "", "2026-01-15 10:20:30"},
		{"teuthology-2026-01-14_01:00:00-fs-squid-distro-default-smithi",
			"teuthology", "fs", "squid-distro", "", "2026-01-14 01:00:00"},
		{"alice-2026-01-15_11:00:00-rbd-main-distro-default-smithi",
			"alice", "rbd", "main-distro", "", "2026-01-15 11:00:00"},
		{"teuthology-2026-02-01_00:00:00-rados-main-distro-default-smithi",
			"teuthology", "rados", "main-distro", "", "2026-02-01 00:00:00"},
		{"teuthology-2013-01-02_00:00:00-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", "2013-01-02 00:00:00"},
		// Hyphenated suite, hyphenated branch, distro.
		{"teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-vps-ubuntu",
			"teuthology", "ceph-deploy", "wip-9999", "vps", "2013-10-22 03:00:02"},
		// Unparsable names: everything empty.
		{"whatever-name", "", "", "", "", ""},
		{"auto-created-run", "", "", "", "", ""},
		{"no-slash", "", "", "", "", ""},
		{"x", "", "", "", "", ""},
		{"", "", "", "", "", ""},

		// Upstream's model tests.
		{"whatup", "", "", "", "", ""},
		{"teuthology-2013-10-23_01:35:02-upgrade-small-next-testing-basic-vps",
			"teuthology", "upgrade-small", "next", "vps", "2013-10-23 01:35:02"},
		{"teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana",
			"teuthology", "big", "next", "plana", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-ceph-deploy-next-testing-basic-plana",
			"teuthology", "ceph-deploy", "next", "plana", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-23_00:30:38-rgw-next---basic-saya",
			"teuthology", "rgw", "next", "saya", "2013-10-23 00:30:38"},
		// Unlisted suite: backup pattern, whose machine type is always "".
		{"teuthology-2013-10-22_03:00:02-kittens-next-testing-basic-plana",
			"teuthology", "kittens", "next", "", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-big-wip-9999-testing-basic-plana",
			"teuthology", "big", "wip-9999", "plana", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-plana",
			"teuthology", "ceph-deploy", "wip-9999", "plana", "2013-10-22 03:00:02"},
		{"teuthology-2013-12-22_01:00:02-x-x-x-x-x",
			"teuthology", "x", "x", "", "2013-12-22 01:00:02"},
		{"x-2013-12-22_01:00:02-big-x-x-x-plana",
			"x", "big", "x", "plana", "2013-12-22 01:00:02"},
		// Upstream README.
		{"teuthology-2013-09-25_23:00:06-rados-master-testing-basic-plana",
			"teuthology", "rados", "master", "plana", "2013-09-25 23:00:06"},
		{"teuthology-2013-09-26_01:30:26-upgrade-fs-next-testing-basic-plana",
			"teuthology", "upgrade-fs", "next", "plana", "2013-09-26 01:30:26"},

		// Suite slices and the order of the suite alternatives.
		{"teuthology-2014-01-05_23:00:02-rados:thrash-firefly-testing-basic-plana",
			"teuthology", "rados:thrash", "firefly", "plana", "2014-01-05 23:00:02"},
		{"teuthology-2014-01-05_23:00:02-upgrade:dumpling-x:stress-split-next-testing-basic-vps",
			"teuthology", "upgrade:dumpling-x:stress-split", "next", "vps", "2014-01-05 23:00:02"},
		{"teuthology-2014-01-05_23:00:02-upgrade:dumpling-x-next-testing-basic-vps",
			"teuthology", "upgrade:dumpling-x", "next", "vps", "2014-01-05 23:00:02"},
		{"teuthology-2013-10-22_03:00:02-upgrade:dumpling-emperor-x-next-testing-basic-vps",
			"teuthology", "upgrade:dumpling-emperor-x", "next", "vps", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-upgrade-rados-double-next-testing-basic-plana",
			"teuthology", "upgrade-rados-double", "next", "plana", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-upgrade-rbd-wip-x-testing-basic-burnupi",
			"teuthology", "upgrade-rbd", "wip-x", "burnupi", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-upgrade-next-testing-basic-plana-ubuntu",
			"teuthology", "upgrade", "next", "plana", "2013-10-22 03:00:02"},
		{"teuthology-2013-10-22_03:00:02-mixed-clients-wip-a-b-c-testing-basic-tala-rhel",
			"teuthology", "mixed-clients", "wip-a-b-c", "tala", "2013-10-22 03:00:02"},

		// Branches with extra dashes.
		{"teuthology-2014-01-05_23:00:02-rados-wip-foo-bar-testing-basic-mira-centos",
			"teuthology", "rados", "wip-foo-bar", "mira", "2014-01-05 23:00:02"},
		{"teuthology-2014-01-05_23:00:02-rbd-wip-foo-bar-testing-basic-mira",
			"teuthology", "rbd", "wip-foo-bar", "mira", "2014-01-05 23:00:02"},
		// Modern names: an unlisted suite swallows the branch in the backup pattern...
		{"yuriw-2024-05-10_14:01:02-orch:cephadm-wip-yuri-testing-2024-05-09-1234-squid-distro-default-smithi",
			"yuriw", "orch:cephadm-wip-yuri-testing-2024-05-09-1234", "squid", "", "2024-05-10 14:01:02"},
		// ... and a distro after an unlisted machine type is taken for the flavor.
		{"teuthology-2026-01-15_10:20:30-rados:thrash-main-distro-default-smithi-ubuntu",
			"teuthology", "rados:thrash", "main-distro-default", "", "2026-01-15 10:20:30"},
		{"teuthology-2013-01-02_00:00:00-big-master-testing-basic-smithi-extra",
			"teuthology", "big", "master-testing-basic", "", "2013-01-02 00:00:00"},
		// Too few parts after the timestamp, even for the backup pattern.
		{"teuthology-2013-01-02_00:00:00-rados-master", "", "", "", "", ""},
		{"teuthology-2013-01-02_00:00:00-krbd-master-testing-basic",
			"teuthology", "krbd", "master", "", "2013-01-02 00:00:00"},
		// Matching is case sensitive.
		{"RADOS-2013-01-02_00:00:00-rados-master-testing-basic-PLANA",
			"RADOS", "rados", "master-testing", "", "2013-01-02 00:00:00"},
		// Groups are stripped of ' ' and '-'; the user may be empty.
		{"a-b--2013-01-02_00:00:00-big--master-testing-basic-plana",
			"a-b", "big", "master", "plana", "2013-01-02 00:00:00"},
		{"-2013-01-02_00:00:00-big-master-testing-basic-plana",
			"", "big", "master", "plana", "2013-01-02 00:00:00"},
		// Python's "$" matches before a final newline, but "." never matches one.
		{"teuthology-2013-01-02_00:00:00-big-master-testing-basic-plana\n",
			"teuthology", "big", "master", "plana", "2013-01-02 00:00:00"},
		{"u-2013-01-02_00:00:00-big-master-testing-basic-plana\nx",
			"u", "big", "master-testing", "", "2013-01-02 00:00:00"},

		// Timestamps: 1-2 digit fields are fine, invalid dates give a zero time but the match
		// (and therefore the other fields) stands.
		{"teuthology-2013-1-2_3:4:5-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", "2013-01-02 03:04:05"},
		{"teuthology-2012-02-29_23:59:59-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", "2012-02-29 23:59:59"},
		{"teuthology-2013-13-01_00:00:00-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", ""},
		{"teuthology-2013-02-29_00:00:00-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", ""},
		{"teuthology-13-01-02_00:00:00-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", ""},
		{"teuthology-2013-01-02_00:00:60-big-master-testing-basic-plana",
			"teuthology", "big", "master", "plana", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := RunName{User: tt.user, Suite: tt.suite, Branch: tt.branch, MachineType: tt.machineType}
			if tt.scheduled != "" {
				want.Scheduled = ts(tt.scheduled)
			}
			got := ParseRunName(tt.name)
			if got != want {
				t.Errorf("ParseRunName(%q)\n got %+v\nwant %+v", tt.name, got, want)
			}
			if !got.Scheduled.IsZero() && got.Scheduled.Location() != time.UTC {
				t.Errorf("ParseRunName(%q).Scheduled is in %v, want UTC", tt.name, got.Scheduled.Location())
			}
		})
	}
}

// TestParseRunNameTimestamp checks the timestamp rules of datetime.strptime("%Y-%m-%d_%H:%M:%S")
// on the shapes runTimestampPattern lets through.
func TestParseRunNameTimestamp(t *testing.T) {
	tests := []struct {
		in, want string // want "" when strptime raises
	}{
		{"2013-01-02_00:00:00", "2013-01-02 00:00:00"},
		{"2013-1-2_3:4:5", "2013-01-02 03:04:05"},
		{"2013-01-02_23:59:59", "2013-01-02 23:59:59"},
		{"9999-12-31_23:59:59", "9999-12-31 23:59:59"},
		{"0001-01-01_00:00:00", "0001-01-01 00:00:00"},
		{"2000-02-29_00:00:00", "2000-02-29 00:00:00"},
		{"1900-02-29_00:00:00", ""},
		{"2013-04-31_00:00:00", ""},
		{"2013-00-01_00:00:00", ""},
		{"2013-01-00_00:00:00", ""},
		{"2013-13-01_00:00:00", ""},
		{"2013-01-32_00:00:00", ""},
		{"2013-01-01_24:00:00", ""},
		{"2013-01-01_00:60:00", ""},
		{"2013-01-01_00:00:60", ""},
		{"2013-01-01_00:00:61", ""},
		{"0000-01-01_00:00:00", ""}, // year 0 is out of range
		{"13-01-02_00:00:00", ""},   // %Y wants exactly 4 digits
		{"201-01-02_00:00:00", ""},
		{"1-1-1_1:1:1", ""},
	}
	for _, tt := range tests {
		got, ok := parseRunTimestamp(tt.in)
		if tt.want == "" {
			if ok || !got.IsZero() {
				t.Errorf("parseRunTimestamp(%q) = %v, %v; want invalid", tt.in, got, ok)
			}
			continue
		}
		if !ok || got.Format(time.DateTime) != tt.want || got.Location() != time.UTC {
			t.Errorf("parseRunTimestamp(%q) = %v, %v; want %s UTC", tt.in, got, ok, tt.want)
		}
	}
}
