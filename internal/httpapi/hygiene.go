package httpapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// Lab hygiene (issue 20): the lock trail, stale locks and failing nodes.

func (h *handlers) ListNodeLocks(ctx context.Context, req api.ListNodeLocksRequestObject) (api.ListNodeLocksResponseObject, error) {
	page, err := h.svc.NodeLocks(ctx, req.Node, service.Page{Count: req.Params.Count, Page: req.Params.Page})
	if err != nil {
		return nil, err
	}
	return lockTrailPage(page)
}

func (h *handlers) ListLocks(ctx context.Context, req api.ListLocksRequestObject) (api.ListLocksResponseObject, error) {
	p := req.Params
	page, err := h.svc.Locks(ctx, service.LockTrailQuery{Owner: p.Owner, MachineType: p.MachineType, Since: p.Since},
		service.Page{Count: p.Count, Page: p.Page})
	if err != nil {
		return nil, err
	}
	return lockTrailPage(page)
}

func lockTrailPage(page service.LockTrailPage) (jsonPage, error) {
	out := make([]api.NodeLockEvent, len(page.Events))
	for i, e := range page.Events {
		out[i] = api.NodeLockEvent{Id: e.ID, Node: e.Node, MachineType: e.MachineType, Action: api.NodeLockEventAction(e.Action),
			LockedBefore: e.LockedBefore, LockedAfter: e.LockedAfter, OwnerBefore: e.OwnerBefore, OwnerAfter: e.OwnerAfter,
			DescriptionBefore: e.DescriptionBefore, DescriptionAfter: e.DescriptionAfter, At: paddles.FormatTime(e.At),
			RequestId: e.RequestID}
	}
	b, err := marshal(out)
	return jsonPage{body: b, total: page.Total, exact: &page.TotalExact}, err
}

func (h *handlers) ListStaleLocks(ctx context.Context, req api.ListStaleLocksRequestObject) (api.ListStaleLocksResponseObject, error) {
	p := req.Params
	sq := service.StaleLockQuery{OlderThan: service.StaleOlderThan, NoJobOlderThan: service.StaleNoJobOlderThan,
		LockedBy: p.LockedBy, MachineType: p.MachineType}
	var err error
	if p.OlderThan != nil {
		if sq.OlderThan, err = paddles.ParseAge("older_than", *p.OlderThan); err != nil {
			return nil, err
		}
	}
	if p.NoJobOlderThan != nil {
		if sq.NoJobOlderThan, err = paddles.ParseAge("no_job_older_than", *p.NoJobOlderThan); err != nil {
			return nil, err
		}
	}
	locks, err := h.svc.StaleLocks(ctx, sq)
	if err != nil {
		return nil, err
	}
	out := make([]api.StaleLock, len(locks))
	for i, l := range locks {
		n := &l.Node
		out[i] = api.StaleLock{Name: n.Name, MachineType: n.MachineType, LockedBy: n.LockedBy, LockedSince: wireTime(n.LockedSince),
			Description: n.Description, Reason: api.StaleLockReason(l.Reason), StaleSince: wireTime(l.StaleSince)}
		if j := l.Job; j != nil {
			out[i].Job = &api.StaleLockJob{Run: j.Run, JobId: j.JobID, Status: j.Status, Updated: wireTime(j.Updated),
				Href: h.jobHref(j.Run, j.JobID), FoundBy: api.StaleLockJobFoundBy(j.FoundBy)}
		}
	}
	b, err := marshal(out)
	return jsonBody(b), err
}

func (h *handlers) ListUnhealthyNodes(ctx context.Context, req api.ListUnhealthyNodesRequestObject) (api.ListUnhealthyNodesResponseObject, error) {
	streak := paddles.StreakDefault
	if req.Params.Streak != nil {
		streak = *req.Params.Streak
	}
	nodes, err := h.svc.UnhealthyNodes(ctx, streak, req.Params.MachineType)
	if err != nil {
		return nil, err
	}
	out := make([]api.UnhealthyNode, len(nodes))
	for i, u := range nodes {
		n := &u.Node
		out[i] = api.UnhealthyNode{Name: n.Name, MachineType: n.MachineType, Up: n.Up, Locked: n.Locked, LockedBy: n.LockedBy,
			Description: n.Description, Status: api.UnhealthyNodeStatus(u.Status),
			Signature: u.Signature, TrackerUrl: u.TrackerURL, Jobs: make([]api.UnhealthyJob, len(u.Jobs))}
		if u.SignatureID != nil {
			id, err := uuid.Parse(*u.SignatureID)
			if err != nil {
				return nil, err
			}
			out[i].SignatureId = &id
		}
		for k, j := range u.Jobs {
			out[i].Jobs[k] = api.UnhealthyJob{Run: j.Run, JobId: j.JobID, Status: api.UnhealthyJobStatus(j.Status),
				Posted: paddles.FormatTime(j.Posted), Href: h.jobHref(j.Run, j.JobID), FailureReason: j.FailureReason}
		}
	}
	b, err := marshal(out)
	return jsonBody(b), err
}

func (p jsonPage) VisitListNodeLocksResponse(w http.ResponseWriter) error      { return p.write(w) }
func (p jsonPage) VisitListLocksResponse(w http.ResponseWriter) error          { return p.write(w) }
func (b jsonBody) VisitListStaleLocksResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitListUnhealthyNodesResponse(w http.ResponseWriter) error { return b.write(w) }
