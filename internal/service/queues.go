package service

import (
	"context"
	"errors"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// ListQueues lists the queues, optionally one machine type's ("a|b" types share "multi") or one
// pauser's.
func (s *Service) ListQueues(ctx context.Context, machineType, pausedBy *string) ([]paddles.Queue, error) {
	var queue *string
	if machineType != nil {
		q := paddles.QueueForMachineType(*machineType)
		queue = &q
	}
	return s.st.ListQueues(ctx, queue, pausedBy)
}

// CreateQueue creates a queue (POST /queue/ {"queue": name, ...}).
func (s *Service) CreateQueue(ctx context.Context, patch paddles.QueuePatch) error {
	q := paddles.Queue{Queue: patch.Name}
	if err := patch.Apply(&q, s.now()); err != nil {
		return err
	}
	err := s.st.InsertQueue(ctx, &q)
	if errors.Is(err, store.ErrExists) {
		return paddles.Errorf(paddles.Conflict, "Queue %s already exists", patch.Name)
	}
	return err
}

// UpdateQueue updates or pauses a queue.
func (s *Service) UpdateQueue(ctx context.Context, patch paddles.QueuePatch) error {
	err := s.st.Write(ctx, func(q *store.Q) error {
		queue, err := q.LockQueue(ctx, patch.Name)
		if err != nil {
			return err
		}
		if err := patch.Apply(&queue, s.now()); err != nil {
			return err
		}
		return q.UpdateQueue(ctx, &queue)
	})
	return queueMissing(err)
}

// queueMissing answers a missing queue as upstream did: 400 "specified queue does not exist".
func queueMissing(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return paddles.Errorf(paddles.Invalid, "specified queue does not exist")
	}
	return err
}

// PeekQueue returns the job the queue would hand out next (lowest priority number, then oldest),
// without taking it, as upstream's pop_queue; nil when the queue does not exist or is empty, and a
// 503 while it is paused.
func (s *Service) PeekQueue(ctx context.Context, name string) (*paddles.Job, string, error) {
	var (
		job     *paddles.Job
		runName string
	)
	err := s.st.Read(ctx, func(q *store.Q) error {
		queue, err := q.GetQueue(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil // an unknown queue has no job to hand out
		}
		if err != nil {
			return err
		}
		if queue.Paused(s.now()) {
			return paddles.Errorf(paddles.Unavailable, "queue is paused, cannot retrieve job")
		}
		one := int64(1)
		ids, err := q.QueuedJobIDs(ctx, name, nil, nil, &one)
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
	err := s.st.Read(ctx, func(q *store.Q) (err error) {
		if queue, err = q.GetQueue(ctx, name); err != nil {
			return err
		}
		queued, err = q.CountQueuedJobs(ctx, name)
		return err
	})
	return queue, queued, queueMissing(err)
}

// QueuedJobs lists the queued jobs of a run (runName), or of a queue, optionally one user's, in the
// order the queue hands them out.
func (s *Service) QueuedJobs(ctx context.Context, queue string, user, runName *string) (JobPage, error) {
	var page JobPage
	err := s.st.Read(ctx, func(q *store.Q) error {
		if _, err := q.GetQueue(ctx, queue); err != nil {
			return err
		}
		ids, err := q.QueuedJobIDs(ctx, queue, user, runName, nil)
		if err != nil {
			return err
		}
		return readJobs(ctx, q, ids, &page)
	})
	return page, queueMissing(err)
}
