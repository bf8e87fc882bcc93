package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/gen/api"
)

// The server writes its answers with encoders of its own (package paddles: every key, upstream's
// key order, stored JSON verbatim), not through the generated models. This test ties the two
// together: each kind of answer, read over HTTP, fits its generated Go type exactly: every key
// the type requires is there, no key is one the type lacks, and every value decodes into its
// field. With the strict spec check under every test, the spec, the Go types and the bytes cannot
// drift apart unnoticed.
func TestAnswersFitGeneratedTypes(t *testing.T) {
	c := newServer(t)
	config, err := os.ReadFile("testdata/teuthology-job.json")
	if err != nil {
		t.Fatal(err)
	}
	run := "/runs/" + runName
	created := c.post(run+"/jobs/", config).must(t, 200)
	c.put(run+"/jobs/7510032/", `{"status": "running", "targets": {"ubuntu@smithi031.front.sepia.ceph.com": "ssh-ed25519 AAAA"}}`).must(t, 200)
	c.post("/nodes/", object{"name": "host1", "machine_type": "smithi", "up": true, "locked": false}).must(t, 200)
	c.post("/nodes/", object{"name": "vm1", "machine_type": "vps", "is_vm": true, "vm_host": "host1", "locked": false}).must(t, 200)
	c.post("/queue/", object{"queue": "smithi"}).must(t, 200)
	c.post("/queue/", object{"queue": "mira"}).must(t, 200)
	c.put("/queue/", object{"queue": "mira", "paused_by": "admin", "pause_duration": 600}).must(t, 200)

	for _, tc := range []struct {
		what string
		body []byte
		fit  func([]byte) error
	}{
		{"createJob", created.Body, fits[api.JobCreated]},
		{"getJob", c.get(run+"/jobs/7510032/").must(t, 200).Body, fits[api.Job]},
		{"getRun", c.get(run+"/").must(t, 200).Body, fits[api.RunDetail]},
		{"listRuns", c.get("/runs/").must(t, 200).Body, fits[[]api.Run]},
		{"listRuns?fields", c.get("/runs/?fields=name,status").must(t, 200).Body, fits[[]api.PartialRun]},
		{"listRunJobs", c.get(run+"/jobs/").must(t, 200).Body, fits[[]api.Job]},
		{"searchJobs", c.get("/jobs/?status=running").must(t, 200).Body, fits[[]api.Job]},
		{"filterRuns", c.get("/runs/suite/rados/").must(t, 200).Body, fits[[]api.Run]},
		{"getNode (a VM)", c.get("/nodes/vm1/").must(t, 200).Body, fits[api.Node]},
		{"listNodes", c.get("/nodes/").must(t, 200).Body, fits[[]api.Node]},
		{"lockNode", c.put("/nodes/host1/lock/", object{"locked": true, "locked_by": "alice@laptop", "description": "x"}).must(t, 200).Body, fits[api.NodeLockState]},
		{"listNodeLockStats", c.get("/nodes/lock_stats/").must(t, 200).Body, fits[[]api.NodeLockStat]},
		{"listQueues", c.get("/queue/").must(t, 200).Body, fits[[]api.Queue]},
		{"queueStats (running)", c.get("/queue/stats/?queue=smithi").must(t, 200).Body, fits[api.QueueStats]},
		{"queueStats (paused)", c.get("/queue/stats/?queue=mira").must(t, 200).Body, fits[api.QueueStats]},
		{"an error", c.get("/runs/nope/").must(t, 404).Body, fits[api.ErrorMessage]},
	} {
		if err := tc.fit(tc.body); err != nil {
			t.Errorf("%s: %v\n%s", tc.what, err, tc.body)
		}
	}
	// And fits fails what does not fit.
	for _, bad := range []struct {
		fit  func([]byte) error
		body string
	}{
		{fits[api.JobCreated], `{"job_id":"1","extra":1}`},
		{fits[api.Queue], `{"queue":"smithi"}`},
		{fits[api.NodeLockState], `{"name":"n","locked":null,"locked_by":null,"machine_type":null,"is_vm":false}`},
		{fits[[]api.Node], `[{"name":"n","vm_host":{"name":"h"}}]`},
	} {
		if bad.fit([]byte(bad.body)) == nil {
			t.Errorf("%s fits", bad.body)
		}
	}
}

// fits reports how body does not fit the Go type T.
func fits[T any](body []byte) error {
	return fit(reflect.TypeFor[T](), body, "")
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
)

func fit(typ reflect.Type, raw json.RawMessage, at string) error {
	if bytes.Equal(raw, []byte("null")) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return nil
		}
		return fmt.Errorf("%s: null, but %s cannot be null", at, typ)
	}
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == timeType, reflect.PointerTo(typ).Implements(unmarshalType):
		return json.Unmarshal(raw, reflect.New(typ).Interface())
	case typ.Kind() == reflect.Slice && typ.Elem().Kind() != reflect.Uint8:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		for i, item := range items {
			if err := fit(typ.Elem(), item, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
		return nil
	case typ.Kind() == reflect.Struct:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			v, ok := obj[name]
			delete(obj, name)
			switch {
			case !ok && !strings.Contains(opts, "omitempty"):
				return fmt.Errorf("%s: no %q, which %s requires", at, name, typ)
			case ok:
				if err := fit(f.Type, v, at+"/"+name); err != nil {
					return err
				}
			}
		}
		for name := range obj {
			return fmt.Errorf("%s: %q, which %s does not have", at, name, typ)
		}
		return nil
	}
	return json.Unmarshal(raw, reflect.New(typ).Interface())
}
