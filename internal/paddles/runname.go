package paddles

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file ports upstream paddles' run name parsing (paddles/models/runs.py: suite_names,
// machine_types, distros, get_name_regexes, Run.timestamp_regex, Run.backup_name_regex,
// Run._parse_name and the use of its result in Run.__init__).
//
// Upstream applies the patterns with Python's re.match. Go's regexp uses the same leftmost-first
// semantics (the submatches are those a backtracking engine finds first), so the greedy and lazy
// groups split a name exactly as upstream does; two details differ and are handled when the
// patterns are built:
//   - re.match anchors only at the start, hence the leading "^" (and no end anchor on the backup
//     pattern, which is therefore a prefix match);
//   - Python's "$" also matches just before a final "\n", Go's (without the m flag) only at the end
//     of the text, hence "\n?\z" wherever upstream ends a pattern with "$".
// Everything else in these patterns means the same in both: "." matches any character but "\n",
// "[^-]" matches "\n" too, [0-9] is ASCII only.

// RunName is what a run's name says about it.
type RunName struct {
	User, Suite, Branch, MachineType string    // "" when unknown
	Scheduled                        time.Time // zero when the name has no (valid) timestamp
}

// runSuiteNames is upstream's suite_names, in its order (alternation order matters).
var runSuiteNames = []string{
	"big",
	"ceph-deploy",
	"clusters",
	"dummy",
	"experimental",
	"fs",
	"hadoop",
	"iozone",
	"kcephfs",
	"knfs",
	"krbd",
	"marginal",
	"mixed-clients",
	"mount",
	"multimds",
	"nfs",
	"powercycle",
	"rados",
	"rbd",
	"rest",
	"rgw",
	"samba",
	"smoke",
	"stress",
	"tgt",
	"upgrade:dumpling-x:stress-split",
	"upgrade:dumpling-x",
	"upgrade:dumpling-emperor-x",
	"upgrade-cuttlefish",
	"upgrade-dumpling",
	"upgrade-fs",
	"upgrade-mixed-cluster",
	"upgrade-mixed-mons",
	"upgrade-parallel",
	"upgrade-rados-double",
	"upgrade-rados",
	"upgrade-rbd-double",
	"upgrade-rbd",
	"upgrade-rgw-double",
	"upgrade-rgw",
	"upgrade-small",
	"upgrade",
	"workload",
}

// runMachineTypes is upstream's machine_types. Newer machine types (smithi, ...) are not listed, so
// modern names fall through to the pattern without a machine type.
var runMachineTypes = []string{"burnupi", "mira", "plana", "saya", "tala", "vps"}

// runDistros is upstream's distros.
var runDistros = []string{"centos", "debian", "fedora", "opensuse", "rhel", "suse", "ubuntu"}

// runTimestampPattern is upstream's Run.timestamp_regex.
const runTimestampPattern = `[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}_[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}`

// runNameRegexes are tried in order; the first that matches decides, even if its timestamp then
// turns out to be invalid (upstream parses the timestamp only after choosing the match).
var runNameRegexes = buildRunNameRegexes()

// runTimestampRegex splits a string matched by runTimestampPattern into its six numbers.
var runTimestampRegex = regexp.MustCompile(
	`^([0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})_([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})$`)

func quoteAll(words []string, suffix string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = regexp.QuoteMeta(w) + suffix
	}
	return strings.Join(quoted, "|")
}

// buildRunNameRegexes mirrors get_name_regexes plus the backup pattern.
func buildRunNameRegexes() []*regexp.Regexp {
	const pyEnd = `\n?\z` // Python's "$"
	// Each suite name is followed by "[^-]*" to allow suite slices like "rados:thrash".
	suites := "(" + quoteAll(runSuiteNames, `[^-]*`) + ")"
	base := `(?P<user>.*)-(?P<scheduled>` + runTimestampPattern + `)-(?P<suite>` + suites +
		`)-(?P<branch>.+)-(?P<kernel_branch>.+)-(?P<flavor>[^-]+)`
	mtype := base + `-(?P<machine_type>` + quoteAll(runMachineTypes, "") + `)`
	distro := mtype + `-(?P<distro>(` + quoteAll(runDistros, "") + `))`
	backup := `(?P<user>.*)-(?P<scheduled>` + runTimestampPattern +
		`)-(?P<suite>.*)-(?P<branch>.*)-.*?-.*?-(?P<machine_type>.*?)`
	return []*regexp.Regexp{
		regexp.MustCompile(`^` + distro + pyEnd),
		regexp.MustCompile(`^` + mtype + pyEnd),
		regexp.MustCompile(`^` + base + pyEnd),
		regexp.MustCompile(`^` + backup),
	}
}

// ParseRunName reads the user, suite, branch, machine type and scheduled time out of a run name
// such as "teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-vps-ubuntu", exactly
// as upstream paddles does, quirks included:
//   - the patterns are tried in order: with distro, without distro, without machine type, then a
//     loose backup pattern; the first that matches wins;
//   - only the machine types and suites upstream lists are recognised, so a modern name like
//     "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi" gives suite "rados",
//     branch "main-distro" (the greedy branch group swallows the kernel part) and machine type "";
//   - the backup pattern's machine type group is lazy and unanchored, so it is always "";
//   - every group is stripped of ' ' and '-' at both ends (Python's str.strip(' -'));
//   - the timestamp is read as UTC (upstream converts from the server's local time zone, which is
//     UTC in production).
//
// A name that no pattern matches gives the zero RunName (upstream: user, suite, branch and
// machine_type "" and scheduled = posted, which is the caller's business).
//
// Deliberate difference: when the chosen match has a timestamp that is not a valid date (a year
// of fewer than 4 digits or year 0, month 13, February 30, hour 24, second 60, ...), upstream's
// datetime.strptime raises ValueError and the run cannot be created at all (HTTP 500). Here
// Scheduled is left zero, as for a name without a timestamp, and the other fields are kept as the
// match gave them; the caller then falls back to the posted time like it does for unparsable
// names. No other pattern is tried, since upstream would not have tried one either.
func ParseRunName(name string) RunName {
	for _, re := range runNameRegexes {
		m := re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		group := func(key string) string {
			i := re.SubexpIndex(key)
			if i < 0 {
				return "" // upstream: parsed_name.get(key, '')
			}
			return strings.Trim(m[i], " -")
		}
		scheduled, _ := parseRunTimestamp(group("scheduled"))
		return RunName{
			User:        group("user"),
			Suite:       group("suite"),
			Branch:      group("branch"),
			MachineType: group("machine_type"),
			Scheduled:   scheduled,
		}
	}
	return RunName{}
}

// parseRunTimestamp parses a teuthology timestamp like Python's
// datetime.strptime(s, "%Y-%m-%d_%H:%M:%S") would (on input matched by runTimestampPattern): the
// year must have exactly 4 digits and be at least 1, the other fields 1 or 2 digits, all within
// range (day within its month, seconds 0..59). The result is in UTC.
func parseRunTimestamp(s string) (time.Time, bool) {
	m := runTimestampRegex.FindStringSubmatch(s)
	if m == nil || len(m[1]) != 4 {
		return time.Time{}, false
	}
	var n [6]int
	for i := range n {
		v, err := strconv.Atoi(m[i+1])
		if err != nil {
			return time.Time{}, false
		}
		n[i] = v
	}
	year, month, day, hour, minute, second := n[0], n[1], n[2], n[3], n[4], n[5]
	if year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC)
	if t.Day() != day { // time.Date normalised an overflowing day (February 30 → March 2)
		return time.Time{}, false
	}
	return t, true
}
