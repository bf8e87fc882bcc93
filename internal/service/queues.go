package service

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// ListQueues lists the queues, optionally one machine type's ("a|b" types share "multi") or one
// pauser's.
func (s *Service) ListQueues(ctx context.Context, machineType, pausedBy *string) ([]paddles.Queue, error) {
	var queue *string
	if machineType != nil {
		q := paddles.QueueForMachineType(*machineType)
		queue = &q
	}
	rows, err := s.q.ListQueues(ctx, db.ListQueuesParams{Queue: queue, PausedBy: pausedBy})
	if err != nil {
		return nil, s.wrap(err)
	}
	queues := make([]paddles.Queue, len(rows))
	for i, r := range rows {
		queues[i] = paddles.Queue(r)
	}
	return queues, nil
}

// CreateQueue creates a queue from a body {"queue": name, ...}.
func (s *Service) CreateQueue(ctx context.Context, body []byte) error {
	patch, err := paddles.ParseQueuePatch(body)
	if err != nil {
		return err
	}
	q := paddles.Queue{Queue: patch.Name}
	if err := patch.Apply(&q, s.now()); err != nil {
		return err
	}
	_, err = s.q.InsertQueue(ctx, db.InsertQueueParams(q))
	return s.wrap(notFoundOr(err, paddles.Errorf(paddles.Conflict, "Queue %s already exists", patch.Name)))
}

// UpdateQueue updates or pauses a queue.
func (s *Service) UpdateQueue(ctx context.Context, body []byte) error {
	patch, err := paddles.ParseQueuePatch(body)
	if err != nil {
		return err
	}
	return s.inTx(ctx, readWrite, func(q *db.Queries) error {
		row, err := q.LockQueue(ctx, patch.Name)
		if err != nil {
			return notFoundOr(err, queueNotFound())
		}
		queue := paddles.Queue(row)
		if err := patch.Apply(&queue, s.now()); err != nil {
			return err
		}
		return q.UpdateQueue(ctx, db.UpdateQueueParams{Queue: queue.Queue, PausedBy: queue.PausedBy,
			PausedSince: queue.PausedSince, PausedUntil: queue.PausedUntil})
	})
}

func queueNotFound() error { return paddles.Errorf(paddles.Invalid, "specified queue does not exist") }

// PeekQueue returns the job the queue would hand out next (lowest priority number, then oldest),
// without taking it, as upstream's pop_queue; nil when the queue does not exist or is empty, and a
// 503 while it is paused.
func (s *Service) PeekQueue(ctx context.Context, name string) (*paddles.Job, string, error) {
	var (
		job     *paddles.Job
		runName string
	)
	err := s.inTx(ctx, readOnly, func(q *db.Queries) error {
		row, err := q.GetQueue(ctx, name)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // an unknown queue has no job to hand out
		}
		if err != nil {
			return err
		}
		queue := paddles.Queue(row)
		if queue.Paused(s.now()) {
			return paddles.Errorf(paddles.Unavailable, "queue is paused, cannot retrieve job")
		}
		one := int64(1)
		ids, err := q.QueuedJobIDs(ctx, db.QueuedJobIDsParams{Queue: &name, Max: &one})
		if err != nil {
			return err
		}
		var page JobPage
		if err := readJobs(ctx, q, ids, &page); err != nil || len(page.Jobs) == 0 {
			return err
		}
		job, runName = &page.Jobs[0], page.RunNames[0]
		return nil
	})
	return job, runName, err
}

// QueueStats returns a queue and how many jobs it holds.
func (s *Service) QueueStats(ctx context.Context, name string) (paddles.Queue, int64, error) {
	var (
		queue  paddles.Queue
		queued int64
	)
	err := s.inTx(ctx, readOnly, func(q *db.Queries) error {
		row, err := q.GetQueue(ctx, name)
		if err != nil {
			return notFoundOr(err, queueNotFound())
		}
		queue = paddles.Queue(row)
		queued, err = q.CountQueuedJobs(ctx, &name)
		return err
	})
	return queue, queued, err
}

// QueuedJobs lists the queued jobs of a run (runName), or of a queue, optionally one user's, in the
// order the queue hands them out.
func (s *Service) QueuedJobs(ctx context.Context, queue string, user, runName *string) (JobPage, error) {
	var page JobPage
	err := s.inTx(ctx, readOnly, func(q *db.Queries) error {
		if _, err := q.GetQueue(ctx, queue); err != nil {
			return notFoundOr(err, queueNotFound())
		}
		ids, err := q.QueuedJobIDs(ctx, db.QueuedJobIDsParams{Queue: &queue, UserName: user, RunName: runName})
		if err != nil {
			return err
		}
		return readJobs(ctx, q, ids, &page)
	})
	return page, err
}
