package service

import (
	"context"
	"errors"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// RunRegressions is a run compared with another, test by test.
type RunRegressions struct {
	Run     string
	Against *string // the run compared with; nil: none (every test is new)
	paddles.Regressions
}

// RunRegressions compares run name with run against or, when against is nil or empty, with the
// previous run of its suite, branch and machine type.
func (s *Service) RunRegressions(ctx context.Context, name string, against *string) (RunRegressions, error) {
	res := RunRegressions{Run: name}
	if against != nil && *against == "" {
		against = nil
	}
	for _, n := range []*string{&name, against} {
		if n != nil && !storable(*n) {
			return res, runNotFound(*n)
		}
	}
	if against != nil && *against == name {
		return res, paddles.Errorf(paddles.Invalid, "against must name another run than %s", name)
	}
	missing := name
	err := s.st.Browse(ctx, func(q *store.Q) error {
		missing = name
		run, err := q.ComparedRun(ctx, name)
		if err != nil {
			return err
		}
		res.Against = against
		if against == nil {
			prev, err := q.PreviousRun(ctx, run)
			switch {
			case err == nil:
				res.Against = &prev
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		var thatID *int64
		if res.Against != nil {
			missing = *res.Against
			that, err := q.ComparedRun(ctx, *res.Against)
			if err != nil {
				return err
			}
			thatID = &that.ID
		}
		pairs, err := q.CompareRuns(ctx, run.ID, thatID)
		res.Regressions = paddles.CompareTests(pairs)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return res, runNotFound(missing)
	}
	return res, err
}
