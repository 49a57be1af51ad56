package reqiddiff

import (
	"bufio"
	"regexp"
	"slices"
	"strings"
)

// Snapshot is what one gateway's `ipsec statusall` says about its SAs.
type Snapshot struct {
	// Children are the CHILD_SAs and trap policies, one line each:
	// "name{uid} STATE reqid N local === remote", sorted.
	Children []string
	// IKE are the IKE_SAs: "name[uid] STATE", sorted.
	IKE []string
	// Settled is false while an IKE_SA or CHILD_SA is in a passing state
	// (connecting, rekeying, deleting, …).
	Settled bool
}

var (
	// "          a{2}:  INSTALLED, TUNNEL, reqid 2, ESP in UDP SPIs: …"
	// "          t{1}:  ROUTED, TUNNEL, reqid 1"
	childHead = regexp.MustCompile(`^\s*(\S+)\{(\d+)\}:  ([A-Z_]+), [A-Z_]+, reqid (\d+)`)
	// "          a{2}:   10.1.0.0/16 === 10.2.0.0/16"
	childTS = regexp.MustCompile(`^\s*(\S+)\{(\d+)\}:   (.* === .*)$`)
	// "          a[1]: ESTABLISHED 3 seconds ago, …" or "a[1]: CONNECTING, …"
	ikeHead = regexp.MustCompile(`^\s*(\S+)\[(\d+)\]: (CREATED|CONNECTING|ESTABLISHED|PASSIVE|REKEYING|REKEYED|DELETING|DESTROYING)[ ,]`)
)

// stable states; anything else is on its way somewhere.
var (
	stableChild = []string{"INSTALLED", "ROUTED"}
	stableIKE   = []string{"ESTABLISHED", "PASSIVE"}
)

// ParseStatusall reads the SA part of `ipsec statusall`.
func ParseStatusall(out string) Snapshot {
	s := Snapshot{Settled: true}
	type child struct{ id, head, ts string }
	var children []*child
	byID := map[string]*child{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := childHead.FindStringSubmatch(line); m != nil {
			id := m[1] + "{" + m[2] + "}"
			c := &child{id: id, head: id + " " + m[3] + " reqid " + m[4]}
			children = append(children, c)
			byID[id] = c
			if !slices.Contains(stableChild, m[3]) {
				s.Settled = false
			}
			continue
		}
		if m := childTS.FindStringSubmatch(line); m != nil {
			if c := byID[m[1]+"{"+m[2]+"}"]; c != nil && c.ts == "" {
				c.ts = m[3]
			}
			continue
		}
		if m := ikeHead.FindStringSubmatch(line); m != nil {
			s.IKE = append(s.IKE, m[1]+"["+m[2]+"] "+m[3])
			if !slices.Contains(stableIKE, m[3]) {
				s.Settled = false
			}
		}
	}
	for _, c := range children {
		s.Children = append(s.Children, strings.TrimSpace(c.head+" "+c.ts))
	}
	slices.Sort(s.Children)
	slices.Sort(s.IKE)
	return s
}

// Equal compares two snapshots' SAs.
func (s Snapshot) Equal(o Snapshot) bool {
	return slices.Equal(s.Children, o.Children) && slices.Equal(s.IKE, o.IKE)
}

// ReqIDs counts the reqids in the snapshot (for the report).
func (s Snapshot) ReqIDs() int { return len(s.Children) }

// hasIKE reports an IKE_SA of the group named name (its first conn).
func (s Snapshot) hasIKE(name string) bool {
	for _, ike := range s.IKE {
		if strings.HasPrefix(ike, name+"[") {
			return true
		}
	}
	return false
}

// hasTrap reports a trap of the conn named name.
func (s Snapshot) hasTrap(name string) bool {
	for _, c := range s.Children {
		if strings.HasPrefix(c, name+"{") && strings.Contains(c, " ROUTED ") {
			return true
		}
	}
	return false
}
