package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"

	"github.com/ceph/paddles-go/gen/db"
)

// runRegressionsPhase is GET /runs/{run}/regressions/?against={run}: a run of 100 jobs against
// the one before it of the same suite with 100 jobs too (any other run of 100 jobs when the data
// set has no such pair).
func (b *bench) runRegressionsPhase(runs100 []*runSpec) *Phase {
	type pair struct{ this, that *runSpec }
	var pairs []pair
	last := map[string]*runSpec{} // the latest run of 100 jobs of each suite so far, oldest first
	for _, s := range runs100 {
		if prev := last[s.suite]; prev != nil {
			pairs = append(pairs, pair{s, prev})
		}
		last[s.suite] = s
	}
	for i := 1; len(pairs) == 0 && i < len(runs100); i++ {
		pairs = append(pairs, pair{runs100[i], runs100[i-1]})
	}
	ph := b.readPhase("run_regressions", "GET /runs/{run}/regressions/?against={run} (two runs of 100 jobs of one suite)", 50,
		func(r *rand.Rand) (string, func(context.Context) error) {
			p := pairs[r.IntN(len(pairs))]
			return "/runs/" + pathEscape(p.this.name) + "/regressions/?against=" + url.QueryEscape(p.that.name),
				func(ctx context.Context) error { return b.floor.runRegressions(ctx, p.this.name, p.that.name) }
		})
	prepare := ph.prepare
	ph.prepare = func(ctx context.Context) (int, op, op, error) {
		if len(pairs) == 0 {
			return 0, nil, nil, errNoPairs
		}
		return prepare(ctx)
	}
	return ph
}

var errNoPairs = errors.New("the data set has fewer than two runs of 100 jobs")

// runRegressions is service.RunRegressions' SQL for a named run to compare with.
func (f *floor) runRegressions(ctx context.Context, name, against string) error {
	return f.tx(ctx, readOnly, func(q *db.Queries) error {
		this, err := q.RegressionRun(ctx, name)
		if err != nil {
			return err
		}
		that, err := q.RegressionRun(ctx, against)
		if err != nil {
			return err
		}
		_, err = q.CompareRuns(ctx, db.CompareRunsParams{ThisRun: this.ID, ThatRun: &that.ID})
		return err
	})
}
