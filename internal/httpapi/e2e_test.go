package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	paddles "github.com/ceph/paddles-go/gen/client"
)

// End to end through the generated Go client (gen/client): the flows of teuthology (report a
// job, update it over its life, check, delete) and of pulpito (list, filter, search), each answer
// read through the client's typed fields, and every one validated against the spec by the test
// transport underneath.
func TestEndToEndWithGeneratedClient(t *testing.T) {
	c := newServer(t)
	api, err := paddles.NewClientWithResponses(c.base, paddles.WithHTTPClient(c.http))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The service and its contract.
	root, err := api.GetRootWithResponse(ctx)
	expect(t, "getRoot", root, err, 200)
	if root.JSON200 == nil || len(*root.JSON200) != 0 {
		t.Errorf("getRoot: %s", root.Body)
	}
	doc, err := api.GetSpecJsonWithResponse(ctx)
	expect(t, "getSpecJson", doc, err, 200)
	if doc.JSON200.Openapi != "3.0.3" || doc.JSON200.Servers == nil || (*doc.JSON200.Servers)[0].Url != publicURL {
		t.Errorf("getSpecJson: openapi %q, servers %+v", doc.JSON200.Openapi, doc.JSON200.Servers)
	}

	// teuthology-schedule reports a queued job: the whole job config, as teuthology posts it.
	config, err := os.ReadFile("testdata/teuthology-job.json")
	if err != nil {
		t.Fatal(err)
	}
	// It carries keys the contract does not list (teuthology's whole config), so it goes as bytes.
	created, err := api.CreateJobWithBodyWithResponse(ctx, runName, "application/json", bytes.NewReader(config))
	expect(t, "createJob", created, err, 200)
	if created.JSON200.JobId != "7510032" {
		t.Errorf("createJob: job_id %q", created.JSON200.JobId)
	}
	// Reported again, it exists: teuthology reads the message, then PUTs the same body.
	again, err := api.CreateJobWithBodyWithResponse(ctx, runName, "application/json", bytes.NewReader(config))
	expect(t, "createJob again", again, err, 400)
	if again.JSON400.Message != "job with job_id 7510032 already exists" {
		t.Errorf("createJob again: %q", again.JSON400.Message)
	}
	put, err := api.UpdateJobWithBodyWithResponse(ctx, runName, "7510032", "application/json", bytes.NewReader(config))
	expect(t, "updateJob (same body)", put, err, 200)

	// The job's life: machines locked, pid, heartbeat, then its outcome.
	for _, body := range []string{
		`{"status": "running", "targets": {"ubuntu@smithi031.front.sepia.ceph.com": "ssh-ed25519 AAAA"}}`,
		`{"name": "` + runName + `", "job_id": "7510032", "pid": 4242}`,
		`{"name": "` + runName + `", "job_id": "7510032"}`,
	} {
		r, err := api.UpdateJobWithBodyWithResponse(ctx, runName, "7510032", "application/json", bytes.NewReader([]byte(body)))
		expect(t, "updateJob "+body, r, err, 200)
	}
	// The outcome through the typed body.
	status, success, duration := paddles.JobStatusPass, true, 1234.56
	outcome, err := api.UpdateJobWithResponse(ctx, runName, "7510032", paddles.JobInput{Status: &status, Success: &success, Duration: &duration})
	expect(t, "updateJob (typed outcome)", outcome, err, 200)
	head, err := api.HeadJobWithResponse(ctx, runName, "7510032", nil)
	expect(t, "headJob", head, err, 200)
	head, err = api.HeadJobWithResponse(ctx, runName, "7510033", nil)
	expect(t, "headJob (none)", head, err, 404)

	job, err := api.GetJobWithResponse(ctx, runName, "7510032", nil)
	expect(t, "getJob", job, err, 200)
	j := job.JSON200
	if j.Status != paddles.JobStatusPass || !*j.Success || *j.Duration != 1235 || *j.Pid != "4242" || *j.NukeOnError != true ||
		*j.MonAKernelSha1 != "4a1a0e4c2cbe7a7e5e1bd13c2a3a9d3b8f2a1c55" || *j.Timestamp != "2026-01-15 10:20:30" {
		t.Errorf("getJob: %s", job.Body)
	}
	var sent struct{ Overrides any }
	json.Unmarshal(config, &sent)
	var got any
	b, _ := json.Marshal(j.Overrides)
	json.Unmarshal(b, &got)
	if !reflect.DeepEqual(got, sent.Overrides) {
		t.Errorf("overrides came back as %s", b)
	}

	// The run, as pulpito and teuthology read it.
	headRun, err := api.HeadRunWithResponse(ctx, runName, nil)
	expect(t, "headRun", headRun, err, 200)
	run, err := api.GetRunWithResponse(ctx, runName, nil)
	expect(t, "getRun", run, err, 200)
	if r := run.JSON200; r.Status != paddles.RunStatusFinishedPass || r.Href != publicURL+"/runs/"+runName+"/" ||
		len(r.Jobs) != 1 || r.Results.Pass != 1 || *r.Suite != "rados" || r.User != "teuthology" {
		t.Errorf("getRun: %s", run.Body)
	}
	fields := "name,status,results"
	runs, err := api.ListRunsWithResponse(ctx, &paddles.ListRunsParams{Fields: &fields})
	expect(t, "listRuns", runs, err, 200)
	if len(*runs.JSON200) != 1 || *(*runs.JSON200)[0].Name != runName || runs.HTTPResponse.Header.Get("X-Total-Count") != "1" {
		t.Errorf("listRuns: %s", runs.Body)
	}
	passes := "pass"
	jobs, err := api.ListRunJobsWithResponse(ctx, runName, &paddles.ListRunJobsParams{Status: &passes})
	expect(t, "listRunJobs", jobs, err, 200)
	if len(*jobs.JSON200) != 1 {
		t.Errorf("listRunJobs: %s", jobs.Body)
	}

	// Filters and search.
	branches, err := api.ListRunBranchesWithResponse(ctx, nil)
	expect(t, "listRunBranches", branches, err, 200)
	if !reflect.DeepEqual(*branches.JSON200, []string{"main"}) {
		t.Errorf("listRunBranches: %s", branches.Body)
	}
	since := "2026-01-01"
	bySuite, err := api.FilterRunsWithResponse(ctx, paddles.Suite, "rados", &paddles.FilterRunsParams{Since: &since})
	expect(t, "filterRuns", bySuite, err, 200)
	if len(*bySuite.JSON200) != 1 {
		t.Errorf("filterRuns: %s", bySuite.Body)
	}
	between, err := api.ListRunsBetweenWithResponse(ctx, "2026-01-15", "2026-01-15", nil)
	expect(t, "listRunsBetween", between, err, 200)
	if len(*between.JSON200) != 1 {
		t.Errorf("listRunsBetween: %s", between.Body)
	}
	queued, err := api.ListQueuedRunsWithResponse(ctx, nil)
	expect(t, "listQueuedRuns", queued, err, 200)
	if len(*queued.JSON200) != 0 {
		t.Errorf("listQueuedRuns: %s", queued.Body)
	}
	branch := "main"
	found, err := api.SearchJobsWithResponse(ctx, &paddles.SearchJobsParams{Branch: &branch, Status: &passes})
	expect(t, "searchJobs", found, err, 200)
	if len(*found.JSON200) != 1 || (*found.JSON200)[0].JobId != "7510032" {
		t.Errorf("searchJobs: %s", found.Body)
	}
	negative := -1
	bad, err := api.ListRunsWithResponse(ctx, &paddles.ListRunsParams{Count: &negative})
	expect(t, "listRuns count=-1", bad, err, 400)
	if bad.JSON400.Message != "count must be a non-negative integer" {
		t.Errorf("listRuns count=-1: %q", bad.JSON400.Message)
	}

	// teuthology-kill / teuthology-queue -d: delete the job, then the run.
	del, err := api.DeleteJobWithResponse(ctx, runName, "7510032")
	expect(t, "deleteJob", del, err, 200)
	gone, err := api.GetJobWithResponse(ctx, runName, "7510032", nil)
	expect(t, "getJob (deleted)", gone, err, 404)
	delRun, err := api.DeleteRunWithResponse(ctx, runName)
	expect(t, "deleteRun", delRun, err, 200)
	goneRun, err := api.GetRunWithResponse(ctx, runName, nil)
	expect(t, "getRun (deleted)", goneRun, err, 404)
	if goneRun.JSON404 == nil || goneRun.JSON404.Message == "" {
		t.Errorf("getRun (deleted): %s", goneRun.Body)
	}

	// A run created explicitly, as upstream allows.
	createdRun, err := api.CreateRunWithResponse(ctx, paddles.RunInput{Name: runName})
	expect(t, "createRun", createdRun, err, 200)
	dup, err := api.CreateRunWithResponse(ctx, paddles.RunInput{Name: runName})
	expect(t, "createRun again", dup, err, 400)
	if dup.JSON400.Message != "run with name "+runName+" already exists" {
		t.Errorf("createRun again: %q", dup.JSON400.Message)
	}
}

// expect fails the test unless the call succeeded (its answer decoded as the spec says) with the
// status.
func expect[R interface{ StatusCode() int }](t *testing.T, what string, r R, err error, status int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if r.StatusCode() != status {
		t.Fatalf("%s: status %d, want %d", what, r.StatusCode(), status)
	}
}
