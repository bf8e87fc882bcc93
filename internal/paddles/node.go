package paddles

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// Node is a test machine. Its fields mirror the nodes table (package store maps the rows field by
// field); ID and VmHostID never reach the wire (vm_host is written as the host node).
type Node struct {
	ID          int64
	Name        string
	Description *string
	Up          *bool
	MachineType *string
	Arch        *string
	IsVm        bool
	OsType      *string
	OsVersion   *string
	VmHostID    *int64
	Locked      bool
	LockedBy    *string
	LockedSince *time.Time
	MacAddress  *string
	SshPubKey   *string
}

// LockCount is how many nodes one owner holds locked of one machine type.
type LockCount struct {
	LockedBy, MachineType *string
	Nodes                 int64
}

// NodePatch is a node request body, read and type-checked.
type NodePatch struct {
	values Node
	// VMHost names the node's VM host ("" to clear it).
	VMHost *string
	set    map[string]bool
}

// nodeKeys are the node keys a request may set (upstream's allowed_update_keys).
var nodeKeys = map[string]func(p *NodePatch, raw json.RawMessage) string{
	"description":  textInto(func(n *Node) **string { return &n.Description }),
	"machine_type": textInto(func(n *Node) **string { return &n.MachineType }),
	"arch":         textInto(func(n *Node) **string { return &n.Arch }),
	"os_type":      textInto(func(n *Node) **string { return &n.OsType }),
	"os_version":   textInto(func(n *Node) **string { return &n.OsVersion }),
	"locked_by":    textInto(func(n *Node) **string { return &n.LockedBy }),
	"mac_address":  textInto(func(n *Node) **string { return &n.MacAddress }),
	"ssh_pub_key":  textInto(func(n *Node) **string { return &n.SshPubKey }),
	"up": func(p *NodePatch, raw json.RawMessage) string {
		v, msg := decodeBool(raw)
		p.values.Up = v
		return msg
	},
	"is_vm": func(p *NodePatch, raw json.RawMessage) string {
		v, msg := decodeBool(raw)
		p.values.IsVm = v != nil && *v
		return msg
	},
	"locked": func(p *NodePatch, raw json.RawMessage) string {
		v, msg := decodeBool(raw)
		if v == nil && msg == "" {
			// null means "no change": the lock endpoint's check verb.
			delete(p.set, "locked")
			return "skip"
		}
		if v != nil {
			p.values.Locked = *v
		}
		return msg
	},
	"locked_since": func(p *NodePatch, raw json.RawMessage) string {
		v, msg := decodeTime(raw)
		p.values.LockedSince = v
		return msg
	},
	"vm_host": func(p *NodePatch, raw json.RawMessage) string {
		v, msg := decodeText(raw)
		if v == nil {
			v = new(string)
		}
		p.VMHost = v
		return msg
	},
}

func textInto(at func(*Node) **string) func(*NodePatch, json.RawMessage) string {
	return func(p *NodePatch, raw json.RawMessage) string {
		v, msg := decodeText(raw)
		*at(&p.values) = v
		return msg
	}
}

// ParseNodePatch reads a node body; keys outside the node schema are ignored. name is returned
// separately ("" when absent).
func ParseNodePatch(body []byte) (NodePatch, string, error) {
	obj, err := parseObject(body)
	if err != nil {
		return NodePatch{}, "", err
	}
	p := NodePatch{set: map[string]bool{}}
	var name string
	for _, k := range normalizedKeys(obj) {
		if k.normal == "name" {
			if err := json.Unmarshal(obj[k.raw], &name); err != nil {
				return NodePatch{}, "", Errorf(Invalid, "invalid value for 'name': must be a string")
			}
			continue
		}
		decode, ok := nodeKeys[k.normal]
		if !ok || p.set[k.normal] {
			continue
		}
		p.set[k.normal] = true
		switch msg := decode(&p, obj[k.raw]); msg {
		case "", "skip":
		default:
			return NodePatch{}, "", Errorf(Invalid, "invalid value for '%s': %s", k.raw, msg)
		}
	}
	return p, name, nil
}

// UnlockPatch is the patch of an unlock by owner (unlock_many).
func UnlockPatch(owner string) NodePatch {
	return NodePatch{values: Node{LockedBy: &owner}, set: map[string]bool{"locked": true, "locked_by": true}}
}

// LockMany is a lock_many request: Count free nodes of the machine types for one owner.
type LockMany struct {
	Count                   int
	LockedBy                string
	MachineTypes            []string
	Description             *string
	OsType, OsVersion, Arch *string
}

// ParseLockMany reads a lock_many body. Like upstream it must carry count, locked_by,
// machine_type and description (description may be null); os_type, os_version and arch narrow
// the choice. machine_type may list several types as "a|b" (or "a,b").
func ParseLockMany(body []byte) (LockMany, error) {
	obj, err := parseObject(body)
	if err != nil {
		return LockMany{}, err
	}
	for _, k := range []string{"count", "locked_by", "machine_type", "description"} {
		if _, ok := obj[k]; !ok {
			return LockMany{}, Errorf(Invalid, "must pass these fields: count, locked_by, machine_type, description")
		}
	}
	var req LockMany
	count, msg := decodeInt(obj["count"])
	if msg != "" || count == nil {
		return LockMany{}, Errorf(Invalid, "invalid value for 'count': must be an integer")
	}
	if *count < 1 {
		return LockMany{}, Errorf(Invalid, "cannot lock less than 1 node")
	}
	if *count > 10000 {
		return LockMany{}, Errorf(Invalid, "cannot lock more than 10000 nodes at once")
	}
	req.Count = int(*count)
	by, msg := decodeText(obj["locked_by"])
	if msg != "" || by == nil || *by == "" {
		return LockMany{}, Errorf(Invalid, "must specify locked_by")
	}
	req.LockedBy = *by
	mt, msg := decodeText(obj["machine_type"])
	if msg == "" && mt != nil {
		req.MachineTypes = SplitMachineTypes(*mt)
	}
	// Checked after splitting, which trims all white space: "\t" names no machine type, and
	// would otherwise match no node and answer 503, which teuthology waits on forever.
	if len(req.MachineTypes) == 0 {
		return LockMany{}, Errorf(Invalid, "must specify machine_type")
	}
	if req.Description, msg = decodeText(obj["description"]); msg != "" {
		return LockMany{}, Errorf(Invalid, "invalid value for 'description': %s", msg)
	}
	for key, p := range map[string]**string{"os_type": &req.OsType, "os_version": &req.OsVersion, "arch": &req.Arch} {
		if raw, ok := obj[key]; ok {
			if *p, msg = decodeText(raw); msg != "" {
				return LockMany{}, Errorf(Invalid, "invalid value for '%s': %s", key, msg)
			}
		}
	}
	return req, nil
}

// ParseUnlockMany reads an unlock_many body: exactly {"names": [...], "locked_by": owner}.
func ParseUnlockMany(body []byte) (names []string, lockedBy string, err error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, "", err
	}
	_, hasNames := obj["names"]
	_, hasBy := obj["locked_by"]
	if len(obj) != 2 || !hasNames || !hasBy {
		return nil, "", Errorf(Invalid, "must pass these fields: names, locked_by")
	}
	if json.Unmarshal(obj["names"], &names) != nil || names == nil {
		return nil, "", Errorf(Invalid, "'names' must be a list of node names")
	}
	by, msg := decodeText(obj["locked_by"])
	if msg != "" || by == nil || *by == "" {
		return nil, "", Errorf(Invalid, "Cannot unlock without specifying locked_by")
	}
	return names, *by, nil
}

// SplitMachineTypes reads "a|b" (teuthology's form) or "a,b" as a list of machine types.
func SplitMachineTypes(s string) []string {
	var types []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' }) {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	return types
}

// Locking reports whether the patch asks for a lock state, and which.
func (p *NodePatch) Locking() (locked, ok bool) { return p.values.Locked, p.set["locked"] }

// Description returns the patch's description, if it sets one.
func (p *NodePatch) Description() (*string, bool) { return p.values.Description, p.set["description"] }

// CheckLock applies upstream's lock rules (paddles' Node._check_for_update) to a patch on an
// existing node: a patch without "locked" is not checked; locking a locked node or unlocking an
// unlocked one is refused unless it repeats the same owner and description; changing the state
// needs locked_by; and only the owner, with the node's description if one is given, may unlock.
func (p *NodePatch) CheckLock(n *Node) error {
	want, ok := p.Locking()
	if !ok {
		return nil
	}
	verb := map[bool]string{true: "lock", false: "unlock"}[want]
	by := p.values.LockedBy
	if !p.set["locked_by"] {
		by = nil
	}
	desc, hasDesc := p.Description()
	if n.Locked == want {
		same := by != nil && n.LockedBy != nil && *by == *n.LockedBy &&
			hasDesc && desc != nil && n.Description != nil && *desc == *n.Description
		if same {
			return nil
		}
		return Errorf(Forbidden, "Cannot %s an already-%sed node", verb, verb)
	}
	if by == nil || *by == "" {
		return Errorf(Invalid, "Cannot %s without specifying locked_by", verb)
	}
	if !want {
		if n.LockedBy == nil || *by != *n.LockedBy {
			return Errorf(Forbidden, "Cannot unlock - locked_by values must match")
		}
		if hasDesc && desc != nil && *desc != "" && (n.Description == nil || *desc != *n.Description) {
			return Errorf(Forbidden, "Cannot unlock - description values must match")
		}
	}
	return nil
}

// Apply writes the patch's keys into n (the caller has checked the lock rules, or n is new) and
// keeps the lock fields consistent: locked_since follows lock changes, and an unlocked node has
// no owner. vm_host is the caller's to resolve.
func (p *NodePatch) Apply(n *Node, now time.Time) {
	wasLocked := n.Locked
	v := &p.values
	for key, set := range map[string]func(){
		"description": func() { n.Description = v.Description }, "machine_type": func() { n.MachineType = v.MachineType },
		"arch": func() { n.Arch = v.Arch }, "os_type": func() { n.OsType = v.OsType },
		"os_version": func() { n.OsVersion = v.OsVersion }, "locked_by": func() { n.LockedBy = v.LockedBy },
		"mac_address": func() { n.MacAddress = v.MacAddress }, "ssh_pub_key": func() { n.SshPubKey = v.SshPubKey },
		"up": func() { n.Up = v.Up }, "is_vm": func() { n.IsVm = v.IsVm }, "locked": func() { n.Locked = v.Locked },
		"locked_since": func() { n.LockedSince = v.LockedSince },
	} {
		if p.set[key] {
			set()
		}
	}
	if n.Locked != wasLocked {
		n.LockedSince = nil
		if n.Locked {
			n.LockedSince = &now
		}
	}
	if !n.Locked {
		n.LockedBy = nil
	}
}

// Lock sets n locked by owner with description, as lock_many does.
func (n *Node) Lock(owner string, description *string, now time.Time) {
	n.Locked, n.LockedBy, n.Description, n.LockedSince = true, &owner, description, &now
}

// AppendNode writes n as upstream's node object; host is n's VM host, if any.
func AppendNode(b []byte, n, host *Node) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, n.Name)
	b = append(b, `,"description":`...)
	b = appendText(b, n.Description)
	b = append(b, `,"up":`...)
	b = appendBool(b, n.Up)
	b = append(b, `,"machine_type":`...)
	b = appendText(b, n.MachineType)
	b = append(b, `,"is_vm":`...)
	b = appendBool(b, &n.IsVm)
	b = append(b, `,"vm_host":`...)
	if host != nil {
		b = AppendNode(b, host, nil)
	} else {
		b = append(b, "null"...)
	}
	for _, f := range []struct {
		key string
		v   *string
	}{{"os_type", n.OsType}, {"os_version", n.OsVersion}, {"arch", n.Arch}} {
		b = append(b, `,"`+f.key+`":`...)
		b = appendText(b, f.v)
	}
	b = append(b, `,"locked":`...)
	b = appendBool(b, &n.Locked)
	b = append(b, `,"locked_since":`...)
	b = appendTime(b, n.LockedSince)
	b = append(b, `,"locked_by":`...)
	b = appendText(b, n.LockedBy)
	b = append(b, `,"mac_address":`...)
	b = appendText(b, n.MacAddress)
	b = append(b, `,"ssh_pub_key":`...)
	b = appendText(b, n.SshPubKey)
	return append(b, '}')
}

// AppendNodeLock writes the short node object the lock endpoints answer with.
func AppendNodeLock(b []byte, n *Node) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, n.Name)
	b = append(b, `,"locked":`...)
	b = appendBool(b, &n.Locked)
	b = append(b, `,"locked_by":`...)
	b = appendText(b, n.LockedBy)
	b = append(b, `,"machine_type":`...)
	b = appendText(b, n.MachineType)
	b = append(b, `,"is_vm":`...)
	b = appendBool(b, &n.IsVm)
	return append(b, '}')
}

// ParseFlag reads a boolean query value as upstream (PostgreSQL) did: 1/0, true/false, t/f,
// yes/no, on/off, any case.
func ParseFlag(name, s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	case "0", "false", "f", "no", "n", "off":
		return false, nil
	}
	return false, Errorf(Invalid, "%s must be a boolean (1/0, true/false), not %q", name, s)
}

// TargetHosts returns the host names in a job's targets ({"user@host": key, ...}), sorted.
func TargetHosts(targets json.RawMessage) []string {
	var m map[string]json.RawMessage
	if len(targets) == 0 || json.Unmarshal(targets, &m) != nil {
		return nil
	}
	hosts := make([]string, 0, len(m))
	for k := range m {
		if i := strings.LastIndexByte(k, '@'); i >= 0 {
			k = k[i+1:]
		}
		if k != "" {
			hosts = append(hosts, k)
		}
	}
	sort.Strings(hosts)
	return hosts
}
