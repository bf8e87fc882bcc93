package service

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// NodeView is a node and its VM host, as the API shows them.
type NodeView struct {
	Node paddles.Node
	Host *paddles.Node
}

// NodeQuery selects nodes (GET /nodes/); nil fields do not filter.
type NodeQuery struct {
	MachineTypes                []string
	Locked, Up                  *bool
	OsType, OsVersion, LockedBy *string
	Count                       *int
}

// ListNodes returns the nodes a query selects, by name.
func (s *Service) ListNodes(ctx context.Context, nq NodeQuery) ([]NodeView, error) {
	var limit *int64
	if nq.Count != nil {
		if *nq.Count < 0 {
			return nil, paddles.Errorf(paddles.Invalid, "count must be a non-negative integer")
		}
		n := int64(*nq.Count)
		limit = &n
	}
	var views []NodeView
	err := s.st.Read(ctx, func(q *store.Q) error {
		nodes, err := q.ListNodes(ctx, store.NodeFilter{MachineTypes: nq.MachineTypes, Locked: nq.Locked, Up: nq.Up,
			OsType: nq.OsType, OsVersion: nq.OsVersion, LockedBy: nq.LockedBy, Max: limit})
		if err != nil {
			return err
		}
		views, err = withHosts(ctx, q, nodes)
		return err
	})
	return views, err
}

// withHosts reads the VM hosts of nodes in one query.
func withHosts(ctx context.Context, q *store.Q, nodes []store.HostedNode) ([]NodeView, error) {
	var names []string
	for _, n := range nodes {
		if n.Host != nil {
			names = append(names, *n.Host)
		}
	}
	hosts := map[string]*paddles.Node{}
	if len(names) > 0 {
		rows, err := q.GetNodes(ctx, names)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			h := r.Node
			hosts[h.Name] = &h
		}
	}
	views := make([]NodeView, len(nodes))
	for i, n := range nodes {
		views[i].Node = n.Node
		if n.Host != nil {
			views[i].Host = hosts[*n.Host]
		}
	}
	return views, nil
}

func nodeNotFound() error { return paddles.Errorf(paddles.NotFound, "node not found") }

// GetNode returns one node.
func (s *Service) GetNode(ctx context.Context, name string) (NodeView, error) {
	var view NodeView
	if !storable(name) {
		return view, nodeNotFound()
	}
	err := s.st.Read(ctx, func(q *store.Q) error {
		nodes, err := q.GetNodes(ctx, []string{name})
		if err != nil {
			return err
		}
		if len(nodes) == 0 {
			return nodeNotFound()
		}
		views, err := withHosts(ctx, q, nodes[:1])
		if err == nil {
			view = views[0]
		}
		return err
	})
	return view, err
}

// CreateNode creates a node from a body with a name (given apart) and any node keys. No lock rule
// applies to a new node, as upstream.
func (s *Service) CreateNode(ctx context.Context, name string, patch paddles.NodePatch) error {
	if name == "" {
		return paddles.Errorf(paddles.Invalid, "could not find required key: 'name'")
	}
	if strings.ContainsRune(name, '/') {
		return paddles.Errorf(paddles.Invalid, "invalid node name %q: it may not contain '/'", name)
	}
	err := s.st.Write(ctx, func(q *store.Q) error {
		n := paddles.Node{Name: name}
		if err := s.applyNodePatch(ctx, q, &patch, &n); err != nil {
			return err
		}
		return q.InsertNode(ctx, &n)
	})
	if errors.Is(err, store.ErrExists) {
		return paddles.Errorf(paddles.Conflict, "Node with name %s already exists", name)
	}
	return err
}

// applyNodePatch writes a patch into a node, resolving its vm_host by name.
func (s *Service) applyNodePatch(ctx context.Context, q *store.Q, p *paddles.NodePatch, n *paddles.Node) error {
	p.Apply(n, s.now())
	if p.VMHost == nil {
		return nil
	}
	if *p.VMHost == "" {
		n.VmHostID = nil
		return nil
	}
	id, err := q.VMHostID(ctx, *p.VMHost)
	if errors.Is(err, store.ErrNotFound) {
		return paddles.Errorf(paddles.Invalid, "vm_host %s is not a known node", *p.VMHost)
	}
	if err != nil {
		return err
	}
	n.VmHostID = &id
	return nil
}

// UpdateNode applies a body to a node under the lock rules (PUT /nodes/{name}/); a change of its
// lock goes to the lock trail, with the request's id.
func (s *Service) UpdateNode(ctx context.Context, name string, patch paddles.NodePatch, rid paddles.RequestID) error {
	_, err := s.updateNode(ctx, name, patch, rid, paddles.Errorf(paddles.NotFound, "attempted to update a non-existent node"))
	return err
}

// LockNode locks, unlocks or checks one node (PUT|POST /nodes/{name}/lock/) and returns it; a
// change goes to the lock trail, with the request's id.
func (s *Service) LockNode(ctx context.Context, name string, patch paddles.NodePatch, rid paddles.RequestID) (paddles.Node, error) {
	return s.updateNode(ctx, name, patch, rid, nodeNotFound())
}

func (s *Service) updateNode(ctx context.Context, name string, patch paddles.NodePatch, rid paddles.RequestID, notFound error) (paddles.Node, error) {
	var n paddles.Node
	err := s.st.Write(ctx, func(q *store.Q) error {
		nodes, err := q.LockNodes(ctx, []string{name})
		if err != nil {
			return err
		}
		if len(nodes) == 0 {
			return notFound
		}
		n = nodes[0].Node
		before := n
		if err := patch.CheckLock(&n); err != nil {
			return err
		}
		if err := s.applyNodePatch(ctx, q, &patch, &n); err != nil {
			return err
		}
		if err := q.UpdateNode(ctx, &n); err != nil {
			return err
		}
		if ev, ok := paddles.LockChange(&before, &n, "", s.now(), rid); ok {
			return q.RecordLocks(ctx, []paddles.LockEvent{ev})
		}
		return nil
	})
	return n, err
}

// DeleteNode deletes a node.
func (s *Service) DeleteNode(ctx context.Context, name string) error {
	if !storable(name) {
		return nodeNotFound()
	}
	err := s.st.DeleteNode(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nodeNotFound()
	}
	return err
}

// LockManyNodes locks Count free (up, unlocked) nodes of the machine types for one owner, all or
// none: with fewer free it answers 503 "only N nodes available", which teuthology reads as
// "insufficient nodes". Concurrent calls wait for each other's rows, so each sees the nodes the
// ones before it left free.
func (s *Service) LockManyNodes(ctx context.Context, req paddles.LockMany, rid paddles.RequestID) ([]NodeView, error) {
	var views []NodeView
	err := s.st.Write(ctx, func(q *store.Q) error {
		nodes, err := q.LockFreeNodes(ctx, req)
		if err != nil {
			return err
		}
		if len(nodes) < req.Count {
			return paddles.Errorf(paddles.Unavailable, "only %d nodes available", len(nodes))
		}
		now := s.now()
		events := make([]paddles.LockEvent, 0, len(nodes))
		for i := range nodes {
			n := &nodes[i].Node
			before := *n
			n.Lock(req.LockedBy, req.Description, now)
			if err := q.UpdateNode(ctx, n); err != nil {
				return err
			}
			if ev, ok := paddles.LockChange(&before, n, paddles.LockActionLockMany, now, rid); ok {
				events = append(events, ev)
			}
		}
		if err := q.RecordLocks(ctx, events); err != nil {
			return err
		}
		views, err = withHosts(ctx, q, nodes)
		return err
	})
	return views, err
}

// UnlockManyNodes unlocks the named nodes for their owner, all or none: if one node may not be
// unlocked (another owner, already unlocked), none is. Upstream unlocked node by node and stopped
// at the first refusal.
func (s *Service) UnlockManyNodes(ctx context.Context, names []string, lockedBy string, rid paddles.RequestID) ([]paddles.Node, error) {
	var nodes []paddles.Node
	err := s.st.Write(ctx, func(q *store.Q) error {
		nodes = nodes[:0]
		var events []paddles.LockEvent
		locked, err := q.LockNodes(ctx, names)
		if err != nil {
			return err
		}
		if len(locked) != len(names) {
			return paddles.Errorf(paddles.Invalid, "Could not find all nodes!")
		}
		patch := paddles.UnlockPatch(lockedBy)
		for _, r := range locked {
			n := r.Node
			if err := patch.CheckLock(&n); err != nil {
				return paddles.Errorf(paddles.ErrorCode(err), "%s: %s", n.Name, paddles.ErrorMessage(err))
			}
			before := n
			now := s.now()
			patch.Apply(&n, now)
			if err := q.UpdateNode(ctx, &n); err != nil {
				return err
			}
			if ev, ok := paddles.LockChange(&before, &n, paddles.LockActionUnlockMany, now, rid); ok {
				events = append(events, ev)
			}
			nodes = append(nodes, n)
		}
		return q.RecordLocks(ctx, events)
	})
	return nodes, err
}

// NodeLockStats counts the locked nodes per owner and machine type, most first; only those of
// machineType when it is set.
func (s *Service) NodeLockStats(ctx context.Context, machineType *string) ([]paddles.LockCount, error) {
	var counts []paddles.LockCount
	err := s.st.Browse(ctx, func(q *store.Q) (err error) {
		counts, err = q.NodeLockStats(ctx, machineType)
		return err
	})
	return counts, err
}

// MachineTypes lists the nodes' distinct machine types.
func (s *Service) MachineTypes(ctx context.Context) ([]string, error) {
	return s.st.MachineTypes(ctx)
}

// NodeJobs returns a page of the jobs that ran on a node, most recently posted first, with their
// run names; count 0 means all.
func (s *Service) NodeJobs(ctx context.Context, node string, runName, status *string, page Page) (JobPage, error) {
	if status != nil && !paddles.ValidJobStatus(*status) {
		return JobPage{}, paddles.Errorf(paddles.Invalid, "invalid status %q", *status)
	}
	if page.Count != nil && *page.Count == 0 {
		page.Count = nil
	}
	limit, offset, err := s.limits(page, false)
	if err != nil {
		return JobPage{}, err
	}
	var result JobPage
	err = s.st.Browse(ctx, func(q *store.Q) error {
		id, err := q.NodeID(ctx, node)
		if err != nil {
			return err
		}
		ids, total, err := q.NodeJobIDs(ctx, id, runName, status, limit, offset)
		if err != nil {
			return err
		}
		result.Total = total
		return readJobs(ctx, q, ids, &result)
	})
	if errors.Is(err, store.ErrNotFound) {
		return result, nodeNotFound()
	}
	return result, err
}

// NodeJobStats counts a node's jobs by status, every status included.
func (s *Service) NodeJobStats(ctx context.Context, node string) (map[string]int64, error) {
	stats := map[string]int64{}
	for _, st := range paddles.JobStatuses {
		stats[st] = 0
	}
	if !storable(node) {
		return nil, nodeNotFound()
	}
	err := s.st.Browse(ctx, func(q *store.Q) error {
		id, err := q.NodeID(ctx, node)
		if err != nil {
			return err
		}
		counts, err := q.NodeJobStats(ctx, id)
		for _, c := range counts {
			stats[c.Status] = c.Jobs
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return stats, nodeNotFound()
	}
	return stats, err
}

// NodeStats is one node's job counts by status.
type NodeStats struct {
	Node   string
	Counts map[string]int64
	Total  int64
}

// NodesJobStats counts, for every node, the jobs posted in the last days by status (only the
// statuses present), fewest jobs first; machineType narrows it to jobs of that type (or multi) on
// nodes of that type.
func (s *Service) NodesJobStats(ctx context.Context, machineType *string, days int) ([]NodeStats, error) {
	if days < 1 {
		return nil, paddles.Errorf(paddles.Invalid, "since_days must be a positive integer")
	}
	var counts []store.JobCount
	err := s.st.Browse(ctx, func(q *store.Q) (err error) {
		counts, err = q.NodesJobStats(ctx, s.now().Add(-time.Duration(days)*24*time.Hour), machineType)
		return err
	})
	if err != nil {
		return nil, err
	}
	byNode := map[string]*NodeStats{}
	var out []*NodeStats
	for _, r := range counts {
		ns := byNode[r.Node]
		if ns == nil {
			ns = &NodeStats{Node: r.Node, Counts: map[string]int64{}}
			byNode[r.Node] = ns
			out = append(out, ns)
		}
		ns.Counts[r.Status] = r.Jobs
		ns.Total += r.Jobs
	}
	sorted := make([]NodeStats, len(out))
	for i, ns := range out {
		sorted[i] = *ns
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Total != sorted[j].Total {
			return sorted[i].Total < sorted[j].Total
		}
		return sorted[i].Node < sorted[j].Node
	})
	return sorted, nil
}
