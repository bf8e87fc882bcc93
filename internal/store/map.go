package store

import (
	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// The rows of the generated queries and the domain types have the same fields today, but nothing
// relies on it: each mapping below names every field (map_test.go checks none is left out).

func toJob(r *db.Job) paddles.Job {
	return paddles.Job{
		ID: r.ID, RunID: r.RunID, JobID: r.JobID, Status: r.Status, Success: r.Success,
		ArchivePath: r.ArchivePath, Description: r.Description, Duration: r.Duration, Email: r.Email,
		FailureReason: r.FailureReason, Flavor: r.Flavor, Kernel: r.Kernel, LastInSuite: r.LastInSuite,
		MachineType: r.MachineType, Name: r.Name, NukeOnError: r.NukeOnError, OsType: r.OsType,
		OsVersion: r.OsVersion, Overrides: r.Overrides, Owner: r.Owner, Pid: r.Pid, Roles: r.Roles,
		SentryEvent: r.SentryEvent, Branch: r.Branch, Seed: r.Seed, Sha1: r.Sha1, Subset: r.Subset,
		Suite: r.Suite, SuiteBranch: r.SuiteBranch, SuitePath: r.SuitePath, SuiteRelpath: r.SuiteRelpath,
		SuiteRepo: r.SuiteRepo, SuiteSha1: r.SuiteSha1, Targets: r.Targets, Tasks: r.Tasks,
		Timestamp: r.Timestamp, TeuthologyBranch: r.TeuthologyBranch, Verbose: r.Verbose,
		PcpGrafanaUrl: r.PcpGrafanaUrl, Priority: r.Priority, User: r.User, Queue: r.Queue,
		PackageSource: r.PackageSource, MonAKernelSha1: r.MonAKernelSha1,
		MonBKernelSha1: r.MonBKernelSha1, Posted: r.Posted, Started: r.Started, Updated: r.Updated,
	}
}

func toJobs(rows []db.Job) []paddles.Job {
	jobs := make([]paddles.Job, len(rows))
	for i := range rows {
		jobs[i] = toJob(&rows[i])
	}
	return jobs
}

// jobParams lays a job out as the parameters of InsertJob (and UpdateJob, which shares them).
func jobParams(j *paddles.Job) db.InsertJobParams {
	return db.InsertJobParams{
		RunID: j.RunID, JobID: j.JobID, Status: j.Status, Success: j.Success, ArchivePath: j.ArchivePath,
		Description: j.Description, Duration: j.Duration, Email: j.Email, FailureReason: j.FailureReason,
		Flavor: j.Flavor, Kernel: j.Kernel, LastInSuite: j.LastInSuite, MachineType: j.MachineType,
		Name: j.Name, NukeOnError: j.NukeOnError, OsType: j.OsType, OsVersion: j.OsVersion,
		Overrides: j.Overrides, Owner: j.Owner, Pid: j.Pid, Roles: j.Roles, SentryEvent: j.SentryEvent,
		Branch: j.Branch, Seed: j.Seed, Sha1: j.Sha1, Subset: j.Subset, Suite: j.Suite,
		SuiteBranch: j.SuiteBranch, SuitePath: j.SuitePath, SuiteRelpath: j.SuiteRelpath,
		SuiteRepo: j.SuiteRepo, SuiteSha1: j.SuiteSha1, Targets: j.Targets, Tasks: j.Tasks,
		Timestamp: j.Timestamp, TeuthologyBranch: j.TeuthologyBranch, Verbose: j.Verbose,
		PcpGrafanaUrl: j.PcpGrafanaUrl, Priority: j.Priority, UserName: j.User, Queue: j.Queue,
		PackageSource: j.PackageSource, MonAKernelSha1: j.MonAKernelSha1,
		MonBKernelSha1: j.MonBKernelSha1, Posted: j.Posted, Started: j.Started, Updated: j.Updated,
	}
}

func toNode(r *db.Node) paddles.Node {
	return paddles.Node{
		ID: r.ID, Name: r.Name, Description: r.Description, Up: r.Up, MachineType: r.MachineType,
		Arch: r.Arch, IsVm: r.IsVm, OsType: r.OsType, OsVersion: r.OsVersion, VmHostID: r.VmHostID,
		Locked: r.Locked, LockedBy: r.LockedBy, LockedSince: r.LockedSince, MacAddress: r.MacAddress,
		SshPubKey: r.SshPubKey,
	}
}

func insertNodeParams(n *paddles.Node) db.InsertNodeParams {
	return db.InsertNodeParams{Name: n.Name, Description: n.Description, Up: n.Up,
		MachineType: n.MachineType, Arch: n.Arch, IsVm: n.IsVm, OsType: n.OsType, OsVersion: n.OsVersion,
		VmHostID: n.VmHostID, Locked: n.Locked, LockedBy: n.LockedBy, LockedSince: n.LockedSince,
		MacAddress: n.MacAddress, SshPubKey: n.SshPubKey}
}

func updateNodeParams(n *paddles.Node) db.UpdateNodeParams {
	return db.UpdateNodeParams{ID: n.ID, Description: n.Description, Up: n.Up,
		MachineType: n.MachineType, Arch: n.Arch, IsVm: n.IsVm, OsType: n.OsType, OsVersion: n.OsVersion,
		VmHostID: n.VmHostID, Locked: n.Locked, LockedBy: n.LockedBy, LockedSince: n.LockedSince,
		MacAddress: n.MacAddress, SshPubKey: n.SshPubKey}
}

func toQueue(r *db.Queue) paddles.Queue {
	return paddles.Queue{Queue: r.Queue, PausedBy: r.PausedBy, PausedSince: r.PausedSince, PausedUntil: r.PausedUntil}
}

func toRun(r *db.RunsByIDRow) paddles.Run {
	return paddles.Run{
		Name:   r.Run.Name,
		User:   r.Run.User,
		Status: r.Run.Status,
		Results: paddles.Results{
			Queued: int64(r.Run.QueuedCount), Pass: int64(r.Run.PassCount), Running: int64(r.Run.RunningCount),
			Waiting: int64(r.Run.WaitingCount), Fail: int64(r.Run.FailCount), Dead: int64(r.Run.DeadCount),
			Unknown: int64(r.Run.UnknownCount), Sha1: r.FirstSha1, Flavor: r.FirstFlavor,
		},
		Posted:      r.Run.Posted,
		Scheduled:   r.Run.Scheduled,
		Started:     r.Run.Started,
		Updated:     r.Run.Updated,
		Branch:      r.Run.Branch,
		Suite:       r.Run.Suite,
		MachineType: r.Run.MachineType,
		Priority:    r.FirstPriority,
	}
}

func insertQueueParams(q *paddles.Queue) db.InsertQueueParams {
	return db.InsertQueueParams{Queue: q.Queue, PausedBy: q.PausedBy, PausedSince: q.PausedSince, PausedUntil: q.PausedUntil}
}

func updateQueueParams(q *paddles.Queue) db.UpdateQueueParams {
	return db.UpdateQueueParams{Queue: q.Queue, PausedBy: q.PausedBy, PausedSince: q.PausedSince, PausedUntil: q.PausedUntil}
}
