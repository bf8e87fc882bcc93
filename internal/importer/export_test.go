package importer

import "time"

// Test hooks.

// AfterBatch makes the import call f after batch n (from 1) committed.
func AfterBatch(o *Options, f func(n int)) { o.afterBatch = f }

// BeforeCommit makes the import call f just before batch n commits; an error aborts the batch.
func BeforeCommit(o *Options, f func(n int) error) { o.beforeCommit = f }

// UpsertOnly makes the import write every batch through its staging tables, as it writes the
// batches holding runs the target has already.
func UpsertOnly(o *Options) { o.upsertOnly = true }

// BeforeCopy makes the import call f when batch n, found new, is about to be copied.
func BeforeCopy(o *Options, f func(n int)) { o.beforeCopy = f }

// CountSpanRuns makes counting cover n run ids per query until the test ends.
func CountSpanRuns(t interface{ Cleanup(func()) }, n int64) {
	old := countSpanRuns
	countSpanRuns = n
	t.Cleanup(func() { countSpanRuns = old })
}

// Clean and JSON expose the value conversions.
func Clean(s string) (string, Fixes) {
	var f Fixes
	return f.clean(s), f
}

func JSON(s string) (string, Fixes) {
	var f Fixes
	return string(f.json(s)), f
}

// BeforeBulkCommit makes a bulk import call f when it has rebuilt everything, just before it
// commits; an error rolls the import back.
func BeforeBulkCommit(o *Options, f func() error) { o.beforeBulkCommit = f }

// BulkLockWait makes a bulk import wait at most d for its locks until the test ends.
func BulkLockWait(t interface{ Cleanup(func()) }, d time.Duration) {
	old := bulkLockWait
	bulkLockWait = d
	t.Cleanup(func() { bulkLockWait = old })
}
