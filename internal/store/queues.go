package store

import (
	"context"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// ListQueues lists the queues, optionally one queue or one pauser's.
func (q *Q) ListQueues(ctx context.Context, queue, pausedBy *string) ([]paddles.Queue, error) {
	rows, err := q.q().ListQueues(ctx, db.ListQueuesParams{Queue: queue, PausedBy: pausedBy})
	if err != nil {
		return nil, interpret(err)
	}
	queues := make([]paddles.Queue, len(rows))
	for i := range rows {
		queues[i] = toQueue(&rows[i])
	}
	return queues, nil
}

// InsertQueue inserts a queue; ErrExists if there is one by that name.
func (q *Q) InsertQueue(ctx context.Context, queue *paddles.Queue) error {
	_, err := q.q().InsertQueue(ctx, insertQueueParams(queue))
	return inserted(err)
}

// GetQueue returns a queue.
func (q *Q) GetQueue(ctx context.Context, name string) (paddles.Queue, error) {
	row, err := q.q().GetQueue(ctx, name)
	return toQueue(&row), interpret(err)
}

// LockQueue returns a queue and locks its row.
func (q *Q) LockQueue(ctx context.Context, name string) (paddles.Queue, error) {
	row, err := q.q().LockQueue(ctx, name)
	return toQueue(&row), interpret(err)
}

// UpdateQueue writes a queue's pause.
func (q *Q) UpdateQueue(ctx context.Context, queue *paddles.Queue) error {
	return interpret(q.q().UpdateQueue(ctx, updateQueueParams(queue)))
}

// QueuedJobIDs returns the ids of the queued jobs of a queue, optionally one user's or one run's,
// in the order the queue hands them out, at most limit of them (nil: all).
func (q *Q) QueuedJobIDs(ctx context.Context, queue string, user, runName *string, limit *int64) ([]int64, error) {
	ids, err := q.q().QueuedJobIDs(ctx, db.QueuedJobIDsParams{Queue: &queue, UserName: user, RunName: runName, Max: limit})
	return ids, interpret(err)
}

// CountQueuedJobs counts the jobs a queue holds.
func (q *Q) CountQueuedJobs(ctx context.Context, queue string) (int64, error) {
	n, err := q.q().CountQueuedJobs(ctx, &queue)
	return n, interpret(err)
}
