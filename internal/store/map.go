package store

import (
	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// The rows of the generated queries and the domain types have the same fields today, but nothing
// relies on it: each mapping names every field (map_test.go checks none is left out). The job's
// mappings are generated with the job keys (job_keys.gen.go).

func toJobs(rows []db.Job) []paddles.Job {
	jobs := make([]paddles.Job, len(rows))
	for i := range rows {
		jobs[i] = jobFromRow(&rows[i])
	}
	return jobs
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
		Tags:        r.Run.Tags,
	}
}

func insertQueueParams(q *paddles.Queue) db.InsertQueueParams {
	return db.InsertQueueParams{Queue: q.Queue, PausedBy: q.PausedBy, PausedSince: q.PausedSince, PausedUntil: q.PausedUntil}
}

func updateQueueParams(q *paddles.Queue) db.UpdateQueueParams {
	return db.UpdateQueueParams{Queue: q.Queue, PausedBy: q.PausedBy, PausedSince: q.PausedSince, PausedUntil: q.PausedUntil}
}
