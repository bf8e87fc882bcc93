package httpapi_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/ceph/paddles-go/gen/api"
)

// The contract and the server agree: the spec is valid, and full objects carry exactly the keys
// the spec's schemas list, so no key goes undocumented and no documented key goes missing.
func TestSpecMatchesObjects(t *testing.T) {
	spec, err := api.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("the spec is invalid: %v", err)
	}
	for _, op := range spec.Paths.Map() {
		for method, o := range op.Operations() {
			if o.OperationID == "" || o.Summary == "" || len(o.Tags) == 0 {
				t.Errorf("%s operation %q lacks an operationId, summary or tag", method, o.OperationID)
			}
		}
	}

	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1"}).must(t, 200)
	schemaKeys := func(name string) string {
		var keys []string
		for k := range spec.Components.Schemas[name].Value.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, " ")
	}
	objectKeys := func(o object) string {
		var keys []string
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, " ")
	}
	job := decode[object](t, c.get("/runs/"+runName+"/jobs/1/"))
	if got, want := objectKeys(job), schemaKeys("Job"); got != want {
		t.Errorf("job keys\n got %s\nwant %s", got, want)
	}
	run := decode[[]object](t, c.get("/runs/"))[0]
	if got, want := objectKeys(run), schemaKeys("Run"); got != want {
		t.Errorf("run keys\n got %s\nwant %s", got, want)
	}
}
