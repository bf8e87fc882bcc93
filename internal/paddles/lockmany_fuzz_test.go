package paddles

import (
	"strings"
	"testing"
)

// FuzzLockMany: lock_many and unlock_many bodies are refused with a 400 or give a usable request.
func FuzzLockMany(f *testing.F) {
	for _, b := range seedBodies(f, "lock_many") {
		f.Add(b)
	}
	for _, v := range trickyValues {
		f.Add([]byte(`{"count": ` + v + `, "locked_by": "x", "machine_type": "smithi", "description": null}`))
		f.Add([]byte(`{"count": 1, "locked_by": ` + v + `, "machine_type": ` + v + `, "description": ` + v + `}`))
		f.Add([]byte(`{"names": ` + v + `, "locked_by": ` + v + `}`))
	}
	f.Add([]byte(`{"count": 1, "locked_by": "x", "machine_type": "|,| ,", "description": "d"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseLockMany(body)
		if err == nil {
			if req.Count < 1 || req.Count > 10000 || req.LockedBy == "" || len(req.MachineTypes) == 0 {
				t.Errorf("ParseLockMany(%s) = %+v", body, req)
			}
			for _, mt := range req.MachineTypes {
				if mt == "" || strings.ContainsAny(mt, "|,") || strings.TrimSpace(mt) != mt {
					t.Errorf("ParseLockMany(%s): machine type %q", body, mt)
				}
			}
		} else if ErrorCode(err) != Invalid {
			t.Errorf("ParseLockMany(%q): %v", body, err)
		}
		names, by, err := ParseUnlockMany(body)
		if err == nil && (names == nil || by == "") {
			t.Errorf("ParseUnlockMany(%s) = %q, %q", body, names, by)
		} else if err != nil && ErrorCode(err) != Invalid {
			t.Errorf("ParseUnlockMany(%q): %v", body, err)
		}
	})
}
