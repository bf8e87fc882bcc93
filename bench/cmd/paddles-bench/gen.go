package main

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
)

// The data set: teuthology-shaped runs and jobs, generated deterministically from a seed so that
// the same size gives the same data every time. Runs are scheduled at a steady rate (about 50 a
// day, as in a busy lab), so a larger data set covers a longer history and a day, a branch or a
// node holds more runs; job counts per run follow a fixed mix from 1 to 300.

const runsPerDay = 50

// suiteTests is how many distinct job descriptions (tests) each suite has: a run of a suite runs
// a stretch of them, so the same description recurs across the runs of its suite, night after
// night, as in the lab, and history queries see that repetition.
const suiteTests = 3000

// labNodes is the node count of data sets of more than a million jobs (the lab has about 2,000);
// smaller ones keep the 300 nodes their published figures were measured with.
const labNodes = 2000

// runSizes is the mix of jobs per run: weights, then sizes. Runs of exactly 100 jobs serve the
// GET /runs/{name}/ phase.
var runSizes = []struct{ weight, jobs int }{
	{5, 1}, {10, 5}, {10, 10}, {15, 20}, {20, 50}, {30, 100}, {5, 200}, {5, 300},
}

var (
	devUsers  = []string{"jsmith", "akumar", "lchen", "mgarcia", "osullivan", "pnovak"}
	suites    = []string{"rados", "rbd", "fs", "rgw", "krbd", "orch", "smoke", "powercycle", "crimson-rados", "upgrade:reef-x"}
	nightlies = []string{"main", "main", "main", "squid", "reef", "tentacle"}
	machines  = []struct {
		name          string
		nodes, weight int
	}{{"smithi", 200, 75}, {"gibba", 40, 15}, {"mira", 60, 10}}
	distros    = []struct{ osType, osVersion string }{{"ubuntu", "22.04"}, {"ubuntu", "24.04"}, {"centos", "9.stream"}, {"rhel", "9.3"}}
	facetWords = []string{
		"0-size-min-size-overrides/3-size-2-min-size", "1-pg-log-overrides/normal_pg_log",
		"clusters/{fixed-2 openstack}", "crc-failures/default", "d-balancer/upmap-read",
		"mon_election/connectivity", "msgr-failures/fastclose", "msgr/async", "objectstore/bluestore-hybrid",
		"rados", "supported-random-distro$/{ubuntu_latest}", "thrashers/morepggrow", "thrashosds-health",
		"workloads/cache-snaps", "workloads/radosbench", "workloads/snaps-few-objects", "mon_election/classic",
		"objectstore/bluestore-comp-lz4", "thrashers/careful", "msgr-failures/few", "tasks/{0-install test/rados_api_tests}",
		"ceph/{cephadm conf/{disable-pool-app} deploy}", "begin/{0-install 1-ceph 2-logrotate 3-modules}",
	}
	failureReasons = []string{
		"Command failed on %s with status 1: 'sudo adjust-ulimits ceph-coverage /usr/bin/ceph_test_rados --max-ops 4000 --objects 500'",
		"\"2026-01-15T10:31:02.123456+0000 mon.a (mon.0) 412 : cluster [WRN] Health check failed: 1 slow ops, oldest one blocked for 32 sec (SLOW_OPS)\" in cluster log",
		"Command failed (workunit test rados/test.sh) on %s with status 1: 'mkdir -p -- /home/ubuntu/cephtest/mnt.0/client.0/tmp'",
		"reached maximum tries (90) after waiting for 540 seconds",
	}
)

// world is the data set's runs and nodes; jobs are derived from their run on demand.
type world struct {
	seed  uint64
	now   time.Time
	runs  []*runSpec
	nodes []nodeSpec
	jobs  int
	// byMachine lists the nodes of each machine type.
	byMachine map[string][]int
}

type nodeSpec struct {
	id          int64
	name        string
	machineType string
	sshKey      string
}

// runSpec is one run: what its name says and what its jobs share.
type runSpec struct {
	id          int64
	name        string
	user        string
	suite       string
	branch      string
	machineType string
	sha1        string
	suiteSha1   string
	suiteIndex  int // into suites
	firstTest   int // the suite's test that job 0 runs; job k runs the next ones
	priority    int
	scheduled   time.Time
	njobs       int
	firstJobID  int64 // job ids are global integers, as teuthology's
	firstRowID  int64 // jobs.id of the first job
	age         time.Duration
	rerunOf     *runSpec // a run whose first njobs tests this run reruns on the same sha1
}

func rng(parts ...uint64) *rand.Rand {
	return rand.New(rand.NewPCG(parts[0], mix(parts[1:]...)))
}

func mix(parts ...uint64) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		var b [8]byte
		for i := range b {
			b[i] = byte(p >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

func hexString(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// newWorld lays out runs until they hold at least jobs jobs, the last one scheduled an hour
// before now.
func newWorld(seed uint64, jobs int, now time.Time) *world {
	w := &world{seed: seed, now: now.UTC().Truncate(time.Second), byMachine: map[string][]int{}}
	var nodeID int64
	scale := 1
	if jobs > 1_000_000 {
		scale = labNodes / 300
	}
	for _, m := range machines {
		r := rng(seed, 1, mix(uint64(len(m.name))))
		for i := 1; i <= m.nodes*scale; i++ {
			nodeID++
			w.byMachine[m.name] = append(w.byMachine[m.name], len(w.nodes))
			w.nodes = append(w.nodes, nodeSpec{
				id:          nodeID,
				name:        fmt.Sprintf("%s%03d.front.sepia.ceph.com", m.name, i),
				machineType: m.name,
				sshKey:      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + hexString(r, 43),
			})
		}
	}
	r := rng(seed, 2)
	totalWeight := 0
	for _, s := range runSizes {
		totalWeight += s.weight
	}
	var specs []*runSpec
	for n := 0; n < jobs; {
		x, njobs := r.IntN(totalWeight), 0
		for _, s := range runSizes {
			if x < s.weight {
				njobs = s.jobs
				break
			}
			x -= s.weight
		}
		if jobs-n < njobs {
			njobs = jobs - n
		}
		specs = append(specs, &runSpec{njobs: njobs})
		n += njobs
	}
	// Oldest first: ids grow with time, as they would have.
	interval := 24 * time.Hour / runsPerDay
	var jobID, rowID int64 = 7_000_000, 1
	for i, s := range specs {
		s.id = int64(i + 1)
		s.age = time.Hour + time.Duration(len(specs)-1-i)*interval + time.Duration(r.Int64N(int64(interval)))
		s.scheduled = w.now.Add(-s.age).Truncate(time.Second)
		if r.IntN(2) == 0 {
			s.user = "teuthology"
			s.branch = nightlies[r.IntN(len(nightlies))]
			s.priority = 70 + 10*r.IntN(4)
		} else {
			s.user = devUsers[r.IntN(len(devUsers))]
			s.branch = fmt.Sprintf("wip-%s-testing-%s-%04d", s.user, s.scheduled.Format("2006-01-02"), r.IntN(10000))
			s.priority = 50 + 50*r.IntN(4)
		}
		s.suiteIndex = r.IntN(len(suites))
		s.suite = suites[s.suiteIndex]
		s.firstTest = r.IntN(suiteTests)
		x := r.IntN(100)
		for _, m := range machines {
			if x < m.weight {
				s.machineType = m.name
				break
			}
			x -= m.weight
		}
		s.sha1 = w.branchSha1(s.branch, s.scheduled)
		// One run in ten picks a run of the last three days and, when that run has as many jobs,
		// reruns its tests on its sha1, as teuthology-suite --rerun does: flaky tests then pass
		// and fail on one sha1.
		if i > 0 && r.IntN(10) == 0 {
			if o := specs[i-1-r.IntN(min(i, 3*runsPerDay))]; o.njobs >= s.njobs {
				s.rerunOf = o
				s.user, s.branch, s.priority, s.sha1 = o.user, o.branch, o.priority, o.sha1
				s.suiteIndex, s.suite, s.firstTest, s.machineType = o.suiteIndex, o.suite, o.firstTest, o.machineType
			}
		}
		s.suiteSha1 = hexString(r, 40)
		s.name = fmt.Sprintf("%s-%s-%s-%s-distro-default-%s", s.user, s.scheduled.Format("2006-01-02_15:04:05"),
			s.suite, s.branch, s.machineType)
		s.firstJobID, s.firstRowID = jobID, rowID
		jobID += int64(s.njobs)
		rowID += int64(s.njobs)
	}
	w.runs = specs
	w.jobs = jobs
	return w
}

// branchSha1 is the sha1 a branch's runs of a day test: the lab builds a branch's head once and
// schedules its suites on that build.
func (w *world) branchSha1(branch string, at time.Time) string {
	h := fnv.New64a()
	h.Write([]byte(branch))
	return hexString(rng(w.seed, 8, h.Sum64(), uint64(at.UTC().Unix()/86400)), 40)
}

// jobSpec is one generated job: its request body and what the server stores for it.
type jobSpec struct {
	run     *runSpec
	index   int
	jobID   string
	status  string
	hosts   []int // indexes into world.nodes
	posted  time.Time
	started *time.Time
	updated time.Time
}

// job derives job k of run s. Old runs are finished; runs of the last day still have queued,
// running and waiting jobs.
func (w *world) job(s *runSpec, k int) jobSpec {
	r := rng(w.seed, 3, uint64(s.id), uint64(k))
	j := jobSpec{run: s, index: k, jobID: strconv.FormatInt(s.firstJobID+int64(k), 10)}
	j.posted = s.scheduled.Add(30*time.Second + time.Duration(k)*200*time.Millisecond)
	x := r.IntN(100)
	switch {
	case s.rerunOf != nil && s.age > 24*time.Hour:
		// A rerun mostly repeats the outcome of the test it reruns; one in four flips.
		j.status = w.job(s.rerunOf, k).status
		if x < 25 {
			j.status = map[string]string{"pass": "fail", "fail": "pass", "dead": "pass"}[j.status]
		}
	case s.age > 24*time.Hour:
		j.status = pick(x, []string{"pass", "fail", "dead"}, []int{82, 12, 6})
	case s.age > 6*time.Hour:
		j.status = pick(x, []string{"pass", "fail", "dead", "running"}, []int{70, 15, 5, 10})
	default:
		j.status = pick(x, []string{"queued", "running", "waiting", "pass", "fail"}, []int{40, 20, 2, 30, 8})
	}
	if j.status != "queued" {
		j.hosts = w.pickHosts(r, s)
		started := j.posted.Add(time.Duration(r.Int64N(max(int64(s.age/2), 1))))
		j.started = &started
	}
	j.updated = j.posted
	if j.started != nil {
		j.updated = j.started.Add(time.Duration(r.Int64N(max(int64(w.now.Sub(*j.started)/2), 0) + int64(time.Second))))
	}
	return j
}

// pickHosts chooses the one to three nodes a job runs on.
func (w *world) pickHosts(r *rand.Rand, s *runSpec) []int {
	n := 1 + r.IntN(3)
	pool := w.byMachine[s.machineType]
	var hosts []int
	for len(hosts) < n {
		h := pool[r.IntN(len(pool))]
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func pick(x int, values []string, weights []int) string {
	for i, w := range weights {
		if x < w {
			return values[i]
		}
		x -= w
	}
	return values[len(values)-1]
}

// body writes the job as teuthology reports it (keys in teuthology's spelling, including some
// the server ignores), with status given: "" leaves status out.
func (w *world) body(j *jobSpec, status string, withTargets bool) []byte {
	s := j.run
	r := rng(w.seed, 4, uint64(s.id), uint64(j.index))
	var b strings.Builder
	b.Grow(4096)
	q := strconv.Quote
	d := w.distro(j)
	fmt.Fprintf(&b, `{"archive_path":%s,"branch":%s,"description":%s,"email":"ceph-qa@ceph.io","first_in_suite":false,`,
		q("/home/teuthworker/archive/"+s.name+"/"+j.jobID), q(s.branch), q(w.description(j)))
	fmt.Fprintf(&b, `"flavor":"default","job_id":%s,"kernel":{"kdb":true,"sha1":"distro"},"last_in_suite":false,"machine_type":%s,`,
		j.jobID, q(s.machineType))
	fmt.Fprintf(&b, `"name":%s,"no_nested_subset":false,"nuke-on-error":true,"os_type":%s,"os_version":%s,`,
		q(s.name), q(d.osType), q(d.osVersion))
	fmt.Fprintf(&b, `"overrides":{"admin_socket":{"branch":%s},"ceph":{"conf":{"global":{"mon client directed command retry":5,"ms inject socket failures":%d,"osd_pool_default_min_size":2,"osd_pool_default_size":3},"mgr":{"debug mgr":20,"debug ms":1},"mon":{"debug mon":20,"debug ms":1,"debug paxos":20,"mon min osdmap epochs":50,"paxos service trim min":10},"osd":{"bluestore block size":96636764160,"debug bluestore":20,"debug ms":1,"debug osd":20,"osd debug reject backfill probability":0.3,"osd max backfills":%d,"osd scrub max interval":120,"osd scrub min interval":60}},"flavor":"default","log-ignorelist":["\\(MDS_ALL_DOWN\\)","\\(MDS_UP_LESS_THAN_MAX\\)","but it is still running","objects unfound and apparently lost","overall HEALTH_","\\(OSDMAP_FLAGS\\)","\\(OSD_","\\(PG_","\\(POOL_","\\(CACHE_POOL_","\\(SMALLER_PGP_NUM\\)","\\(OBJECT_","\\(SLOW_OPS\\)","\\(REQUEST_SLOW\\)","\\(TOO_FEW_PGS\\)","slow request"],"sha1":%s},"ceph-deploy":{"conf":{"client":{"log file":"/var/log/ceph/ceph-$name.$pid.log"},"mon":{}}},"install":{"ceph":{"flavor":"default","sha1":%s}},"selinux":{"allowlist":["scontext=system_u:system_r:logrotate_t:s0"]},"thrashosds":{"bdev_inject_crash":2,"bdev_inject_crash_probability":0.5}},`,
		q(s.branch), 500*(1+r.IntN(10)), 1+r.IntN(5), q(s.sha1), q(s.sha1))
	fmt.Fprintf(&b, `"owner":%s,"priority":%d,"repo":"https://github.com/ceph/ceph-ci.git",`, q("scheduled_"+s.user+"@teuthology"), s.priority)
	b.WriteString(`"roles":[["mon.a","mon.c","mgr.y","osd.0","osd.1","osd.2","osd.3","client.0"],["mon.b","mgr.x","osd.4","osd.5","osd.6","osd.7"]],`)
	fmt.Fprintf(&b, `"seed":%d,"sha1":%s,"sleep_before_teardown":0,"subset":"%d/20000","suite":%s,"suite_branch":%s,`,
		r.IntN(10000), q(s.sha1), r.IntN(512), q(s.suite), q(s.branch))
	fmt.Fprintf(&b, `"suite_path":%s,"suite_relpath":"qa","suite_repo":"https://github.com/ceph/ceph-ci.git","suite_sha1":%s,`,
		q("/home/teuthworker/src/github.com_ceph_ceph-c_"+s.suiteSha1[:16]+"/qa"), q(s.suiteSha1))
	if withTargets && len(j.hosts) > 0 {
		b.WriteString(`"targets":{`)
		for i, h := range j.hosts {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `%s:%s`, q("ubuntu@"+w.nodes[h].name), q(w.nodes[h].sshKey))
		}
		b.WriteString(`},`)
		fmt.Fprintf(&b, `"pid":%d,`, 100000+r.IntN(900000))
	}
	fmt.Fprintf(&b, `"tasks":[{"install":null},{"ceph":{"log-ignorelist":["but it is still running"]}},{"thrashosds":{"chance_pgnum_grow":%d,"chance_pgpnum_fix":1,"timeout":1200}},{"exec":{"client.0":["sudo ceph osd pool create base 4","sudo ceph osd pool application enable base rados"]}},{"rados":{"clients":["client.0"],"objects":500,"op_weights":{"copy_from":50,"delete":50,"read":100,"write":100},"ops":4000,"pools":[]}}],`,
		1+r.IntN(3))
	fmt.Fprintf(&b, `"teuthology_branch":"main","teuthology_sha1":"aaaabbbbccccddddeeeeffff0000111122223333","timestamp":%s,"tube":%s,"user":%s,"verbose":false`,
		q(s.scheduled.Format("2006-01-02_15:04:05")), q(s.machineType), q(s.user))
	switch status {
	case "":
	case "pass", "fail", "dead":
		fmt.Fprintf(&b, `,"status":%s,"success":%t,"duration":%d`, q(status), status == "pass", 600+r.IntN(7200))
		if status != "pass" {
			// A test mostly fails the same way each time.
			reason := failureReasons[j.test()%len(failureReasons)]
			if r.IntN(5) == 0 {
				reason = failureReasons[r.IntN(len(failureReasons))]
			}
			if strings.Contains(reason, "%s") {
				host := "smithi001"
				if len(j.hosts) > 0 {
					host = strings.SplitN(w.nodes[j.hosts[0]].name, ".", 2)[0]
				}
				reason = fmt.Sprintf(reason, host)
			}
			fmt.Fprintf(&b, `,"failure_reason":%s`, q(reason))
		}
	default:
		fmt.Fprintf(&b, `,"status":%s`, q(status))
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func (w *world) distro(j *jobSpec) struct{ osType, osVersion string } {
	return distros[mix(uint64(j.run.id), uint64(j.index))%uint64(len(distros))]
}

// test is which of its suite's tests the job runs.
func (j *jobSpec) test() int {
	return (j.run.firstTest + j.index) % suiteTests
}

// description is a teuthology job description: the suite and a facet per dimension, the same for
// every job that runs the same test of the suite.
func (w *world) description(j *jobSpec) string {
	r := rng(w.seed, 5, uint64(j.run.suiteIndex), uint64(j.test()))
	n := 8 + r.IntN(6)
	facets := make([]string, n)
	for i := range facets {
		facets[i] = facetWords[r.IntN(len(facetWords))]
	}
	return strings.ReplaceAll(j.run.suite, ":", "/") + "/thrash/{" + strings.Join(facets, " ") + "}"
}

// stored is what the server stores for the job once reported with its final status: the body
// read by the server's own parser and status rules, with the generated times.
func (w *world) stored(j *jobSpec) (paddles.Job, error) {
	patch, err := paddles.ParseJobPatch(w.body(j, j.status, true))
	if err != nil {
		return paddles.Job{}, err
	}
	job := paddles.Job{ID: j.run.firstRowID + int64(j.index), RunID: j.run.id, JobID: j.jobID}
	patch.Apply(&job, true, j.posted)
	job.Posted, job.Started, job.Updated = j.posted, j.started, j.updated
	return job, nil
}
