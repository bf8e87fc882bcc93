package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// fill sets every field of the struct v points to, recursively, to a non-zero value.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i))
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.Set(reflect.ValueOf(json.RawMessage(`1`)))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	default:
		t.Fatalf("fill: unexpected kind %s", v.Kind())
	}
}

// unset lists the fields of the struct v left zero.
func unset(v reflect.Value, prefix string) []string {
	var zero []string
	for i := range v.NumField() {
		f, name := v.Field(i), prefix+v.Type().Field(i).Name
		switch {
		case f.Kind() == reflect.Struct && f.Type() != reflect.TypeFor[time.Time]():
			zero = append(zero, unset(f, name+".")...)
		case f.IsZero():
			zero = append(zero, name)
		}
	}
	return zero
}

// mapped fills a value of type From, maps it with to and reports the fields of the result left
// zero: a column the mapping forgot.
func mapped[From, To any](t *testing.T, to func(*From) To) {
	t.Helper()
	var from From
	fill(t, reflect.ValueOf(&from).Elem())
	got := to(&from)
	if zero := unset(reflect.ValueOf(got), ""); len(zero) > 0 {
		t.Errorf("%T -> %T leaves %v unmapped", from, got, zero)
	}
}

func TestMappingsCoverEveryColumn(t *testing.T) {
	mapped(t, jobFromRow)
	mapped(t, func(j *paddles.Job) db.InsertJobParams { return JobParams("run", j) })
	mapped(t, toNode)
	mapped(t, toQueue)
	mapped(t, toRun)
	mapped(t, insertNodeParams)
	mapped(t, updateNodeParams)
	mapped(t, insertQueueParams)
	mapped(t, updateQueueParams)
}

// JobUpdate names every column that changed, and only those.
func TestJobUpdateNamesWhatChanged(t *testing.T) {
	var old, j paddles.Job
	fill(t, reflect.ValueOf(&j).Elem())
	old.ID = j.ID
	sql, args := JobUpdate(&old, &j)
	for _, c := range JobColumns {
		if !strings.Contains(sql, `"`+c.Name+`" = $`) {
			t.Errorf("column %s changed but is not written: %s", c.Name, sql)
		}
	}
	if len(args) != len(JobColumns)+1 {
		t.Errorf("%d arguments for %d columns", len(args), len(JobColumns))
	}
	if sql, _ := JobUpdate(&j, &j); sql != "" {
		t.Errorf("nothing changed, yet %s", sql)
	}
	k := j
	k.Status = "fail"
	k.Kernel = append(json.RawMessage(nil), j.Kernel...) // the same value in another slice
	k.Duration = new(int64)
	*k.Duration = *j.Duration
	sql, args = JobUpdate(&j, &k)
	if want := `UPDATE jobs SET "status" = $2 WHERE id = $1`; sql != want || len(args) != 2 || args[0] != j.ID || args[1] != "fail" {
		t.Errorf("got %s %v, want %s [%d fail]", sql, args, want, j.ID)
	}
}
