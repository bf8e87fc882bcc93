package store

import (
	"context"
	"strings"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// NewRun is a run about to be created.
type NewRun struct {
	Name, User                 string
	Scheduled, Posted          time.Time
	Suite, Branch, MachineType *string
	Tags                       []string // nil: none
}

// CreateRun creates an empty run; ErrExists if there is one by that name.
func (q *Q) CreateRun(ctx context.Context, r NewRun) error {
	_, err := q.q().CreateRun(ctx, db.CreateRunParams{Name: r.Name, UserName: r.User, Scheduled: r.Scheduled,
		Suite: r.Suite, Branch: r.Branch, MachineType: r.MachineType, Posted: r.Posted, Tags: r.Tags})
	return inserted(err)
}

// SetRunTags replaces a run's tags and returns its id; ErrNotFound if there is no such run.
func (q *Q) SetRunTags(ctx context.Context, name string, tags []string) (int64, error) {
	id, err := q.q().SetRunTags(ctx, db.SetRunTagsParams{Name: name, Tags: tags})
	return id, interpret(err)
}

// LockRun locks a run's row until the transaction ends; ErrNotFound if there is no such run.
func (q *Q) LockRun(ctx context.Context, name string) error {
	_, err := q.q().LockRun(ctx, name)
	return interpret(err)
}

// RunID returns a run's id.
func (q *Q) RunID(ctx context.Context, name string) (int64, error) {
	id, err := q.q().RunID(ctx, name)
	return id, interpret(err)
}

// RunExists reports whether a run exists.
func (q *Q) RunExists(ctx context.Context, name string) (bool, error) {
	ok, err := q.q().RunExists(ctx, name)
	return ok, interpret(err)
}

// DeleteRun deletes a run and its jobs; ErrNotFound if there is none.
func (q *Q) DeleteRun(ctx context.Context, name string) error {
	return deleted(q.q().DeleteRun(ctx, name))
}

// RunsByID returns the runs of ids in that order, leaving out those that do not exist.
func (q *Q) RunsByID(ctx context.Context, ids []int64) ([]paddles.Run, error) {
	rows, err := q.q().RunsByID(ctx, ids)
	if err != nil {
		return nil, interpret(err)
	}
	byID := make(map[int64]*db.RunsByIDRow, len(rows))
	for i := range rows {
		byID[rows[i].Run.ID] = &rows[i]
	}
	runs := make([]paddles.Run, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			runs = append(runs, toRun(r))
		}
	}
	return runs, nil
}

// LatestRunIDs returns a page of run ids, most recently posted first, and the number of runs.
func (q *Q) LatestRunIDs(ctx context.Context, limit *int64, offset int64) ([]int64, int64, error) {
	ids, err := q.q().LatestRunIDs(ctx, db.LatestRunIDsParams{Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, interpret(err)
	}
	total, err := q.q().CountRuns(ctx)
	return ids, total, interpret(err)
}

// QueuedRunIDs returns a page of the ids of runs with queued jobs, scheduled earliest first, and
// the number of such runs.
func (q *Q) QueuedRunIDs(ctx context.Context, limit *int64, offset int64) ([]int64, int64, error) {
	ids, err := q.q().QueuedRunIDs(ctx, db.QueuedRunIDsParams{Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, interpret(err)
	}
	total, err := q.q().CountQueuedRuns(ctx)
	return ids, total, interpret(err)
}

// FilteredRunIDs returns a page of the ids of the runs a filter selects, most recently scheduled
// (or, byPosted, posted) first, and the number of runs it selects.
func (q *Q) FilteredRunIDs(ctx context.Context, f paddles.RunFilter, limit *int64, offset int64, byPosted bool) ([]int64, int64, error) {
	args, err := q.filterArgs(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	if byPosted {
		ids, err = q.q().FilteredRunIDsByPosted(ctx, db.FilteredRunIDsByPostedParams{
			Branch: args.Branch, Suite: args.Suite, MachineType: args.MachineType, Status: args.Status,
			UserName: args.UserName, RunIds: args.RunIds, Flavor: args.Flavor,
			ScheduledFrom: args.ScheduledFrom, ScheduledBefore: args.ScheduledBefore, Tags: args.Tags, UpdatedSince: args.UpdatedSince,
			Max: limit, Skip: offset,
		})
	} else {
		ids, err = q.q().FilteredRunIDs(ctx, db.FilteredRunIDsParams{
			Branch: args.Branch, Suite: args.Suite, MachineType: args.MachineType, Status: args.Status,
			UserName: args.UserName, RunIds: args.RunIds, Flavor: args.Flavor,
			ScheduledFrom: args.ScheduledFrom, ScheduledBefore: args.ScheduledBefore, Tags: args.Tags, UpdatedSince: args.UpdatedSince,
			Max: limit, Skip: offset,
		})
	}
	if err != nil {
		return nil, 0, interpret(err)
	}
	var total int64
	if f.UpdatedSince != nil {
		total, err = q.q().CountUpdatedRuns(ctx, db.CountUpdatedRunsParams{
			Branch: args.Branch, Suite: args.Suite, MachineType: args.MachineType, Status: args.Status,
			UserName: args.UserName, RunIds: args.RunIds, Flavor: args.Flavor,
			ScheduledFrom: args.ScheduledFrom, ScheduledBefore: args.ScheduledBefore, Tags: args.Tags, UpdatedSince: *f.UpdatedSince,
		})
	} else if key, value, ok := oneCountedKey(f); ok {
		total, err = q.q().CountRunsWithValue(ctx, db.CountRunsWithValueParams{Key: key, Value: value})
	} else if f.IsZero() {
		total, err = q.q().CountRuns(ctx)
	} else {
		total, err = q.q().CountFilteredRuns(ctx, args)
	}
	return ids, total, interpret(err)
}

// oneCountedKey reports the key and value of a filter on one key that run_values counts.
func oneCountedKey(f paddles.RunFilter) (key, value string, ok bool) {
	if f.Sha1Prefix != nil || f.Flavor != nil || f.From != nil || f.Before != nil || f.UpdatedSince != nil || len(f.Tags) > 1 {
		return "", "", false
	}
	if len(f.Tags) == 1 {
		key, value, ok = "tag", f.Tags[0], true
	}
	for _, kv := range []struct {
		key   string
		value *string
	}{{"branch", f.Branch}, {"suite", f.Suite}, {"machine_type", f.MachineType}, {"status", f.Status}, {"user", f.User}} {
		if kv.value == nil {
			continue
		}
		if ok {
			return "", "", false
		}
		key, value, ok = kv.key, *kv.value, true
	}
	return key, value, ok
}

// FilteredRunValues lists the distinct non-empty values of a run key among the runs a filter
// selects, sorted, limit (nil: all) from offset. Unfiltered, the keys of runs' own columns are
// read off run_values, and sha1s and flavors one index entry per value.
func (q *Q) FilteredRunValues(ctx context.Context, f paddles.RunFilter, key string, limit *int64, offset int64) ([]string, error) {
	if f.IsZero() {
		var values []string
		var err error
		switch key {
		case "sha1":
			values, err = q.q().JobSha1Values(ctx, db.JobSha1ValuesParams{Max: limit, Skip: offset})
		case "flavor":
			values, err = q.q().JobFlavorValues(ctx, db.JobFlavorValuesParams{Max: limit, Skip: offset})
		default:
			values, err = q.q().RunValues(ctx, db.RunValuesParams{Key: key, Max: limit, Skip: offset})
		}
		return values, interpret(err)
	}
	args, err := q.filterArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	values, err := q.q().FilteredRunValues(ctx, db.FilteredRunValuesParams{
		Field: key, Branch: args.Branch, Suite: args.Suite, MachineType: args.MachineType, Status: args.Status,
		UserName: args.UserName, RunIds: args.RunIds, Flavor: args.Flavor,
		ScheduledFrom: args.ScheduledFrom, ScheduledBefore: args.ScheduledBefore, Tags: args.Tags, Max: limit, Skip: offset,
	})
	return values, interpret(err)
}

// filterArgs lays a filter out as the arguments of filtered_runs. A sha1 prefix is looked up
// first: it names few runs, which the listing then reads by id.
func (q *Q) filterArgs(ctx context.Context, f paddles.RunFilter) (db.CountFilteredRunsParams, error) {
	args := db.CountFilteredRunsParams{
		Branch: f.Branch, Suite: f.Suite, MachineType: f.MachineType, Status: f.Status, UserName: f.User,
		Flavor: f.Flavor, ScheduledFrom: f.From, ScheduledBefore: f.Before, Tags: f.Tags, UpdatedSince: f.UpdatedSince,
	}
	if f.Sha1Prefix != nil {
		ids, err := q.q().Sha1RunIDs(ctx, escapeLike(*f.Sha1Prefix))
		if err != nil {
			return args, interpret(err)
		}
		args.RunIds = append([]int64{}, ids...) // never nil: no run matches nothing
	}
	return args, nil
}

// escapeLike quotes LIKE's wildcards so that a value matches only itself.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
