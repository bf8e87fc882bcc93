package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

func (h *handlers) ListNodes(ctx context.Context, req api.ListNodesRequestObject) (api.ListNodesResponseObject, error) {
	p := req.Params
	nq := service.NodeQuery{OsType: p.OsType, OsVersion: p.OsVersion, LockedBy: p.LockedBy, Count: p.Count}
	if p.MachineType != nil {
		nq.MachineTypes = paddles.SplitMachineTypes(*p.MachineType)
	}
	for name, f := range map[string]struct {
		in  *string
		out **bool
	}{"locked": {p.Locked, &nq.Locked}, "up": {p.Up, &nq.Up}} {
		if f.in != nil {
			v, err := paddles.ParseFlag(name, *f.in)
			if err != nil {
				return nil, err
			}
			*f.out = &v
		}
	}
	nodes, err := h.svc.ListNodes(ctx, nq)
	if err != nil {
		return nil, err
	}
	return jsonBody(appendNodes(nil, nodes)), nil
}

func appendNodes(b []byte, nodes []service.NodeView) []byte {
	b = append(b, '[')
	for i := range nodes {
		if i > 0 {
			b = append(b, ',')
		}
		b = paddles.AppendNode(b, &nodes[i].Node, nodes[i].Host)
	}
	return append(b, ']')
}

func (h *handlers) CreateNode(ctx context.Context, req api.CreateNodeRequestObject) (api.CreateNodeResponseObject, error) {
	patch, name, err := paddles.ParseNodePatch(*req.Body)
	if err != nil {
		return nil, err
	}
	return jsonBody(`{}`), h.svc.CreateNode(ctx, name, patch)
}

func (h *handlers) GetNode(ctx context.Context, req api.GetNodeRequestObject) (api.GetNodeResponseObject, error) {
	n, err := h.svc.GetNode(ctx, req.Node)
	if err != nil {
		return nil, err
	}
	return jsonBody(paddles.AppendNode(nil, &n.Node, n.Host)), nil
}

func (h *handlers) UpdateNode(ctx context.Context, req api.UpdateNodeRequestObject) (api.UpdateNodeResponseObject, error) {
	patch, _, err := paddles.ParseNodePatch(*req.Body)
	if err != nil {
		return nil, err
	}
	return jsonBody(`{}`), h.svc.UpdateNode(ctx, req.Node, patch, paddles.RequestIDFrom(ctx))
}

func (h *handlers) DeleteNode(ctx context.Context, req api.DeleteNodeRequestObject) (api.DeleteNodeResponseObject, error) {
	return jsonBody(`{}`), h.svc.DeleteNode(ctx, req.Node)
}

func (h *handlers) lockNode(ctx context.Context, node string, body []byte) (jsonBody, error) {
	patch, _, err := paddles.ParseNodePatch(body)
	if err != nil {
		return nil, err
	}
	n, err := h.svc.LockNode(ctx, node, patch, paddles.RequestIDFrom(ctx))
	if err != nil {
		return nil, err
	}
	return paddles.AppendNodeLock(nil, &n), nil
}

func (h *handlers) LockNode(ctx context.Context, req api.LockNodeRequestObject) (api.LockNodeResponseObject, error) {
	return h.lockNode(ctx, req.Node, *req.Body)
}

func (h *handlers) LockNodePost(ctx context.Context, req api.LockNodePostRequestObject) (api.LockNodePostResponseObject, error) {
	return h.lockNode(ctx, req.Node, *req.Body)
}

func (h *handlers) LockManyNodes(ctx context.Context, req api.LockManyNodesRequestObject) (api.LockManyNodesResponseObject, error) {
	lm, err := paddles.ParseLockMany(*req.Body)
	if err != nil {
		return nil, err
	}
	nodes, err := h.svc.LockManyNodes(ctx, lm, paddles.RequestIDFrom(ctx))
	if err != nil {
		return nil, err
	}
	return jsonBody(appendNodes(nil, nodes)), nil
}

func (h *handlers) UnlockManyNodes(ctx context.Context, req api.UnlockManyNodesRequestObject) (api.UnlockManyNodesResponseObject, error) {
	names, by, err := paddles.ParseUnlockMany(*req.Body)
	if err != nil {
		return nil, err
	}
	nodes, err := h.svc.UnlockManyNodes(ctx, names, by, paddles.RequestIDFrom(ctx))
	if err != nil {
		return nil, err
	}
	b := []byte{'['}
	for i := range nodes {
		if i > 0 {
			b = append(b, ',')
		}
		b = paddles.AppendNodeLock(b, &nodes[i])
	}
	return jsonBody(append(b, ']')), nil
}

func (h *handlers) ListMachineTypes(ctx context.Context, _ api.ListMachineTypesRequestObject) (api.ListMachineTypesResponseObject, error) {
	types, err := h.svc.MachineTypes(ctx)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(types)
	return jsonBody(b), err
}

func (h *handlers) ListNodeLockStats(ctx context.Context, req api.ListNodeLockStatsRequestObject) (api.ListNodeLockStatsResponseObject, error) {
	counts, err := h.svc.NodeLockStats(ctx, req.Params.MachineType)
	if err != nil {
		return nil, err
	}
	stats := make([]api.NodeLockStat, len(counts))
	for i, c := range counts {
		stats[i] = api.NodeLockStat{LockedBy: c.LockedBy, MachineType: c.MachineType, Count: c.Nodes}
	}
	b, err := json.Marshal(stats)
	return jsonBody(b), err
}

func (h *handlers) ListNodesJobStats(ctx context.Context, req api.ListNodesJobStatsRequestObject) (api.ListNodesJobStatsResponseObject, error) {
	days := 14
	if req.Params.SinceDays != nil {
		days = *req.Params.SinceDays
	}
	stats, err := h.svc.NodesJobStats(ctx, req.Params.MachineType, days)
	if err != nil {
		return nil, err
	}
	// An object whose keys keep the service's order: fewest jobs first, as upstream.
	b := []byte{'{'}
	for i, ns := range stats {
		if i > 0 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(ns.Node)
		b = append(append(b, key...), ':', '{')
		n := 0
		for _, st := range paddles.JobStatuses {
			if c, ok := ns.Counts[st]; ok {
				if n > 0 {
					b = append(b, ',')
				}
				n++
				b = append(b, `"`+st+`":`...)
				b = append(b, []byte(jsonInt(c))...)
			}
		}
		b = append(b, '}')
	}
	return jsonBody(append(b, '}')), nil
}

func (h *handlers) ListNodeJobs(ctx context.Context, req api.ListNodeJobsRequestObject) (api.ListNodeJobsResponseObject, error) {
	p := req.Params
	page, err := h.svc.NodeJobs(ctx, req.Node, p.Name, (*string)(p.Status), service.Page{Count: p.Count, Page: p.Page})
	if err != nil {
		return nil, err
	}
	return jsonPage{body: h.appendJobPage(page), total: page.Total}, nil
}

func (h *handlers) GetNodeJobStats(ctx context.Context, req api.GetNodeJobStatsRequestObject) (api.GetNodeJobStatsResponseObject, error) {
	stats, err := h.svc.NodeJobStats(ctx, req.Node)
	if err != nil {
		return nil, err
	}
	b := []byte{'{'}
	for i, st := range paddles.JobStatuses {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"`+st+`":`...)
		b = append(b, []byte(jsonInt(stats[st]))...)
	}
	return jsonBody(append(b, '}')), nil
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (h *handlers) ListQueues(ctx context.Context, req api.ListQueuesRequestObject) (api.ListQueuesResponseObject, error) {
	queues, err := h.svc.ListQueues(ctx, req.Params.MachineType, req.Params.PausedBy)
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now()
	b := []byte{'['}
	for i := range queues {
		if i > 0 {
			b = append(b, ',')
		}
		b = paddles.AppendQueue(b, &queues[i], now, nil)
	}
	return jsonBody(append(b, ']')), nil
}

func (h *handlers) CreateQueue(ctx context.Context, req api.CreateQueueRequestObject) (api.CreateQueueResponseObject, error) {
	patch, err := paddles.ParseQueuePatch(*req.Body)
	if err != nil {
		return nil, err
	}
	return jsonBody(`{}`), h.svc.CreateQueue(ctx, patch)
}

func (h *handlers) UpdateQueue(ctx context.Context, req api.UpdateQueueRequestObject) (api.UpdateQueueResponseObject, error) {
	patch, err := paddles.ParseQueuePatch(*req.Body)
	if err != nil {
		return nil, err
	}
	return jsonBody(`{}`), h.svc.UpdateQueue(ctx, patch)
}

func (h *handlers) PopQueue(ctx context.Context, req api.PopQueueRequestObject) (api.PopQueueResponseObject, error) {
	job, runName, err := h.svc.PeekQueue(ctx, req.Params.Queue)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return jsonBody(`null`), nil
	}
	return jsonBody(paddles.AppendJob(nil, job, nil, h.logHref(runName))), nil
}

func (h *handlers) queueStats(ctx context.Context, query string, body []byte) (jsonBody, error) {
	name, err := paddles.QueueName(query, body)
	if err != nil {
		return nil, err
	}
	q, queued, err := h.svc.QueueStats(ctx, name)
	if err != nil {
		return nil, err
	}
	return paddles.AppendQueue(nil, &q, h.cfg.Now(), &queued), nil
}

func (h *handlers) QueueStats(ctx context.Context, req api.QueueStatsRequestObject) (api.QueueStatsResponseObject, error) {
	return h.queueStats(ctx, req.Params.Queue, nil)
}

func (h *handlers) QueueStatsPost(ctx context.Context, req api.QueueStatsPostRequestObject) (api.QueueStatsPostResponseObject, error) {
	return h.queueStats(ctx, "", *req.Body)
}

func (h *handlers) queuedJobs(ctx context.Context, query string, body []byte, user, runName *string) (jsonBody, error) {
	name, err := paddles.QueueName(query, body)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.QueuedJobs(ctx, name, user, runName)
	if err != nil {
		return nil, err
	}
	return h.appendJobPage(page), nil
}

func (h *handlers) QueuedJobs(ctx context.Context, req api.QueuedJobsRequestObject) (api.QueuedJobsResponseObject, error) {
	return h.queuedJobs(ctx, req.Params.Queue, nil, req.Params.User, req.Params.RunName)
}

func (h *handlers) QueuedJobsPost(ctx context.Context, req api.QueuedJobsPostRequestObject) (api.QueuedJobsPostResponseObject, error) {
	var query string
	if req.Params.Queue != nil {
		query = *req.Params.Queue
	}
	var body []byte
	if req.Body != nil {
		body = *req.Body
	}
	return h.queuedJobs(ctx, query, body, req.Params.User, req.Params.RunName)
}

// appendJobPage writes jobs of several runs as a JSON array.
func (h *handlers) appendJobPage(page service.JobPage) []byte {
	b := make([]byte, 1, jobsSize(page.Jobs, nil))
	b[0] = '['
	for i := range page.Jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = paddles.AppendJob(b, &page.Jobs[i], nil, h.logHref(page.RunNames[i]))
	}
	return append(b, ']')
}

func (b jsonBody) VisitListNodesResponse(w http.ResponseWriter) error         { return b.write(w) }
func (b jsonBody) VisitCreateNodeResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitGetNodeResponse(w http.ResponseWriter) error           { return b.write(w) }
func (b jsonBody) VisitUpdateNodeResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitDeleteNodeResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitLockNodeResponse(w http.ResponseWriter) error          { return b.write(w) }
func (b jsonBody) VisitLockNodePostResponse(w http.ResponseWriter) error      { return b.write(w) }
func (b jsonBody) VisitLockManyNodesResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitUnlockManyNodesResponse(w http.ResponseWriter) error   { return b.write(w) }
func (b jsonBody) VisitListMachineTypesResponse(w http.ResponseWriter) error  { return b.write(w) }
func (b jsonBody) VisitListNodeLockStatsResponse(w http.ResponseWriter) error { return b.write(w) }
func (b jsonBody) VisitListNodesJobStatsResponse(w http.ResponseWriter) error { return b.write(w) }
func (b jsonBody) VisitGetNodeJobStatsResponse(w http.ResponseWriter) error   { return b.write(w) }
func (b jsonBody) VisitListQueuesResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitCreateQueueResponse(w http.ResponseWriter) error       { return b.write(w) }
func (b jsonBody) VisitUpdateQueueResponse(w http.ResponseWriter) error       { return b.write(w) }
func (b jsonBody) VisitPopQueueResponse(w http.ResponseWriter) error          { return b.write(w) }
func (b jsonBody) VisitQueueStatsResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitQueueStatsPostResponse(w http.ResponseWriter) error    { return b.write(w) }
func (b jsonBody) VisitQueuedJobsResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitQueuedJobsPostResponse(w http.ResponseWriter) error    { return b.write(w) }
func (p jsonPage) VisitListNodeJobsResponse(w http.ResponseWriter) error      { return p.write(w) }
