// Package e2e drives a paddles server (PADDLES_URL) through the ogen client that .ci/check-clients
// generates into ../ogen. ogen decodes and validates every answer against the spec (required keys,
// nullability, formats), so this also checks the server's answers as a strict Go client sees them;
// the TypeScript test (sdk/clients/e2e.test.ts) does the same flow through @hey-api/openapi-ts.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ogen-go/ogen/ogenerrors"

	api "paddles-clients/ogen"
)

// noAuth: the server runs without write tokens, and every operation allows no credentials.
type noAuth struct{}

func (noAuth) BasicAuth(context.Context, api.OperationName) (api.BasicAuth, error) {
	return api.BasicAuth{}, ogenerrors.ErrSkipClientSecurity
}

func (noAuth) BearerAuth(context.Context, api.OperationName) (api.BearerAuth, error) {
	return api.BearerAuth{}, ogenerrors.ErrSkipClientSecurity
}

// teuthology sends `mon.a_kernel_sha1`, which the spec names as the server stores it,
// `mon_a_kernel_sha1`: this transport puts teuthology's spelling on the wire.
type teuthologyKeys struct{}

func (teuthologyKeys) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		b = bytes.ReplaceAll(b, []byte(`"mon_a_kernel_sha1":`), []byte(`"mon.a_kernel_sha1":`))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return http.DefaultClient.Do(r)
}

func client(t *testing.T) *api.Client {
	t.Helper()
	url := os.Getenv("PADDLES_URL")
	if url == "" {
		t.Fatal("PADDLES_URL is not set: run .ci/check-clients")
	}
	c, err := api.NewClient(url, noAuth{}, api.WithClient(teuthologyKeys{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// want fails unless res is the answer of type T (ogen returns each declared status as its own type).
func want[T any](t *testing.T, what string, res any, err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	v, ok := res.(T)
	if !ok {
		t.Fatalf("%s: answered %T %+v, want %T", what, res, res, v)
	}
	return v
}

const sha1 = "4a1a0e4c2cbe7a7e5e1bd13c2a3a9d3b8f2a1c55"

func TestJob(t *testing.T) {
	c, ctx := client(t), context.Background()
	tag := fmt.Sprint(time.Now().UnixNano())
	run := "clients-2026-01-15_10:20:30-ogen" + tag + "-main-distro-default-smithi"

	res, err := c.CreateRun(ctx, &api.RunInput{Name: run})
	want[*api.Empty](t, "createRun", res, err)
	cres, err := c.CreateJob(ctx, &api.JobInput{
		JobID:          api.NewOptJobInputJobID(api.NewStringJobInputJobID("7")),
		Status:         api.NewOptJobStatus(api.JobStatusQueued),
		MachineType:    api.NewOptNilString("smithi"),
		MonAKernelSHA1: api.NewOptNilString(sha1),
	}, api.CreateJobParams{Name: run})
	if created := want[*api.JobCreated](t, "createJob", cres, err); created.JobID != "7" {
		t.Errorf("createJob: job_id %q, want 7", created.JobID)
	}
	ures, err := c.UpdateJob(ctx, &api.JobInput{
		Status:   api.NewOptJobStatus(api.JobStatusRunning),
		Pid:      api.NewOptJobInputPid(api.NewIntJobInputPid(4242)),
		Duration: api.NewOptNilFloat64(12.4),
	}, api.UpdateJobParams{Name: run, JobID: "7"})
	want[*api.Empty](t, "updateJob", ures, err)

	gres, err := c.GetJob(ctx, api.GetJobParams{Name: run, JobID: "7"})
	job := want[*api.Job](t, "getJob", gres, err)
	if job.JobID != "7" || job.Status != api.JobStatusRunning || job.Pid.Value != "4242" ||
		job.Duration.Value != 12 || job.MachineType.Value != "smithi" || job.MonAKernelSHA1.Value != sha1 {
		t.Errorf("getJob: job_id %q status %q pid %+v duration %+v machine_type %+v mon_a_kernel_sha1 %+v",
			job.JobID, job.Status, job.Pid, job.Duration, job.MachineType, job.MonAKernelSHA1)
	}
}

func TestNode(t *testing.T) {
	c, ctx := client(t), context.Background()
	tag := fmt.Sprint(time.Now().UnixNano())
	name, machineType, owner := "ogen"+tag+".front.sepia.ceph.com", "ogen"+tag, "clients-e2e@ci"

	res, err := c.CreateNode(ctx, &api.NodeInput{
		Name: api.NewOptString(name), MachineType: api.NewOptNilString(machineType),
		Up: api.NewOptNilBool(true), Locked: api.NewOptNilBool(false),
	})
	want[*api.Empty](t, "createNode", res, err)

	lres, err := c.LockManyNodes(ctx, &api.LockManyInput{
		Count: 1, LockedBy: owner, MachineType: machineType, Description: api.NewNilString("/archive/" + tag),
	})
	locked := want[*api.LockManyNodesOKApplicationJSON](t, "lockManyNodes", lres, err)
	if len(*locked) != 1 || (*locked)[0].Name != name || !(*locked)[0].Locked || (*locked)[0].LockedBy.Value != owner {
		t.Fatalf("lockManyNodes: %+v", *locked)
	}
	gres, err := c.GetNode(ctx, api.GetNodeParams{Node: name})
	if node := want[*api.Node](t, "getNode", gres, err); !node.Locked || node.LockedBy.Value != owner || !node.VMHost.Null {
		t.Errorf("getNode: locked %v by %+v, vm_host %+v", node.Locked, node.LockedBy, node.VMHost)
	}

	ures, err := c.UnlockManyNodes(ctx, &api.UnlockManyInput{Names: []string{name}, LockedBy: owner})
	unlocked := want[*api.UnlockManyNodesOKApplicationJSON](t, "unlockManyNodes", ures, err)
	if len(*unlocked) != 1 || (*unlocked)[0].Name != name || (*unlocked)[0].Locked {
		t.Fatalf("unlockManyNodes: %+v", *unlocked)
	}
	gres, err = c.GetNode(ctx, api.GetNodeParams{Node: name})
	if node := want[*api.Node](t, "getNode", gres, err); node.Locked {
		t.Errorf("getNode after unlockManyNodes: still locked by %+v", node.LockedBy)
	}
}
