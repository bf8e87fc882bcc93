package store

import (
	"context"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// HostedNode is a node and the name of its VM host, if any.
type HostedNode struct {
	Node paddles.Node
	Host *string
}

// hosted maps rows of the node queries, which all read a node and its host's name.
func hosted[R db.GetNodesRow | db.ListNodesRow | db.LockFreeNodesRow | db.LockNodesRow](rows []R, err error) ([]HostedNode, error) {
	if err != nil {
		return nil, interpret(err)
	}
	nodes := make([]HostedNode, len(rows))
	for i := range rows {
		r := db.GetNodesRow(rows[i])
		nodes[i] = HostedNode{Node: toNode(&r.Node), Host: r.HostName}
	}
	return nodes, nil
}

// NodeFilter selects nodes; nil fields do not filter.
type NodeFilter struct {
	MachineTypes                []string
	Locked, Up                  *bool
	OsType, OsVersion, LockedBy *string
	Max                         *int64
}

// ListNodes returns the nodes a filter selects, by name.
func (q *Q) ListNodes(ctx context.Context, f NodeFilter) ([]HostedNode, error) {
	return hosted(q.q().ListNodes(ctx, db.ListNodesParams{MachineTypes: f.MachineTypes, Locked: f.Locked, Up: f.Up,
		OsType: f.OsType, OsVersion: f.OsVersion, LockedBy: f.LockedBy, Max: f.Max}))
}

// GetNodes returns the named nodes that exist.
func (q *Q) GetNodes(ctx context.Context, names []string) ([]HostedNode, error) {
	return hosted(q.q().GetNodes(ctx, names))
}

// LockNodes returns the named nodes that exist and locks their rows.
func (q *Q) LockNodes(ctx context.Context, names []string) ([]HostedNode, error) {
	return hosted(q.q().LockNodes(ctx, names))
}

// LockFreeNodes returns at most req.Count free (up, unlocked) nodes that req's machine types,
// OS and arch select, and locks their rows.
func (q *Q) LockFreeNodes(ctx context.Context, req paddles.LockMany) ([]HostedNode, error) {
	return hosted(q.q().LockFreeNodes(ctx, db.LockFreeNodesParams{MachineTypes: req.MachineTypes,
		OsType: req.OsType, OsVersion: req.OsVersion, Arch: req.Arch, Max: int32(req.Count)}))
}

// InsertNode inserts a node; ErrExists if there is one by that name.
func (q *Q) InsertNode(ctx context.Context, n *paddles.Node) error {
	_, err := q.q().InsertNode(ctx, insertNodeParams(n))
	return inserted(err)
}

// UpdateNode writes every field of an existing node but its name.
func (q *Q) UpdateNode(ctx context.Context, n *paddles.Node) error {
	return interpret(q.q().UpdateNode(ctx, updateNodeParams(n)))
}

// VMHostID returns the id of a node that may host VMs.
func (q *Q) VMHostID(ctx context.Context, name string) (int64, error) {
	id, err := q.q().VMHostID(ctx, name)
	return id, interpret(err)
}

// NodeID returns a node's id.
func (q *Q) NodeID(ctx context.Context, name string) (int64, error) {
	id, err := q.q().NodeID(ctx, name)
	return id, interpret(err)
}

// DeleteNode deletes a node; ErrNotFound if there is none.
func (q *Q) DeleteNode(ctx context.Context, name string) error {
	return deleted(q.q().DeleteNode(ctx, name))
}

// NodeLockStats counts the locked nodes per owner and machine type, most first; only those of
// machineType when it is set.
func (q *Q) NodeLockStats(ctx context.Context, machineType *string) ([]paddles.LockCount, error) {
	rows, err := q.q().NodeLockStats(ctx, machineType)
	if err != nil {
		return nil, interpret(err)
	}
	counts := make([]paddles.LockCount, len(rows))
	for i, r := range rows {
		counts[i] = paddles.LockCount{LockedBy: r.LockedBy, MachineType: r.MachineType, Nodes: r.Nodes}
	}
	return counts, nil
}

// MachineTypes lists the nodes' distinct machine types.
func (q *Q) MachineTypes(ctx context.Context) ([]string, error) {
	types, err := q.q().MachineTypes(ctx)
	return types, interpret(err)
}

// NodeJobIDs returns a page of the ids of the jobs that ran on a node, optionally of one run or
// status, and the number of those jobs.
func (q *Q) NodeJobIDs(ctx context.Context, nodeID int64, runName, status *string, limit *int64, offset int64) ([]int64, int64, error) {
	ids, err := q.q().NodeJobIDs(ctx, db.NodeJobIDsParams{NodeID: nodeID, RunName: runName, Status: status, Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, interpret(err)
	}
	total, err := q.q().CountNodeJobs(ctx, db.CountNodeJobsParams{NodeID: nodeID, RunName: runName, Status: status})
	return ids, total, interpret(err)
}

// JobCount is a number of jobs with one status (on one node, for NodesJobStats).
type JobCount struct {
	Node, Status string
	Jobs         int64
}

// NodeJobStats counts a node's jobs by status, for the statuses present.
func (q *Q) NodeJobStats(ctx context.Context, nodeID int64) ([]JobCount, error) {
	rows, err := q.q().NodeJobStats(ctx, nodeID)
	counts := make([]JobCount, len(rows))
	for i, r := range rows {
		counts[i] = JobCount{Status: r.Status, Jobs: r.Jobs}
	}
	return counts, interpret(err)
}

// NodesJobStats counts, for every node, the jobs posted since by status, for the statuses
// present; machineType narrows it to jobs of that type (or multi) on nodes of that type.
func (q *Q) NodesJobStats(ctx context.Context, since time.Time, machineType *string) ([]JobCount, error) {
	rows, err := q.q().NodesJobStats(ctx, db.NodesJobStatsParams{Since: since, MachineType: machineType})
	counts := make([]JobCount, len(rows))
	for i, r := range rows {
		counts[i] = JobCount{Node: r.Name, Status: r.Status, Jobs: r.Jobs}
	}
	return counts, interpret(err)
}
