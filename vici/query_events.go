package vici

import (
	"net/netip"

	"github.com/goswan/goswan/sa"
)

// queryListener raises the IKE_SA and CHILD_SA events (vici_query.c's
// listener). The bus calls it with the SA checked out, so the message is
// built on the spot; sending it never waits for a client.
type queryListener struct{ p *Plugin }

func (q *queryListener) has(event string) bool { return q.p.srv.HasListeners(event) }

func (q *queryListener) IKEUpdown(ike *sa.IKESA, up bool) bool {
	if !q.has("ike-updown") {
		return true
	}
	b := NewBuilder()
	if up {
		b.KV("up", "yes")
	}
	b.BeginSection(ike.Name())
	listIKE(b, ike, q.p.now())
	b.EndSection()
	q.p.srv.Raise("ike-updown", 0, q.p.finish(b))
	return true
}

func (q *queryListener) IKERekey(old, new *sa.IKESA) bool {
	if !q.has("ike-rekey") {
		return true
	}
	now := q.p.now()
	b := NewBuilder()
	b.BeginSection(old.Name())
	b.BeginSection("old")
	listIKE(b, old, now)
	b.EndSection()
	b.BeginSection("new")
	listIKE(b, new, now)
	b.EndSection()
	b.EndSection()
	q.p.srv.Raise("ike-rekey", 0, q.p.finish(b))
	return true
}

func (q *queryListener) IKEUpdate(ike *sa.IKESA, local, remote netip.AddrPort) bool {
	if !q.has("ike-update") {
		return true
	}
	b := NewBuilder()
	b.KV("local-host", hostString(local.Addr()))
	b.KVf("local-port", "%d", local.Port())
	b.KV("remote-host", hostString(remote.Addr()))
	b.KVf("remote-port", "%d", remote.Port())
	b.BeginSection(ike.Name())
	listIKE(b, ike, q.p.now())
	b.EndSection()
	q.p.srv.Raise("ike-update", 0, q.p.finish(b))
	return true
}

func (q *queryListener) ChildUpdown(ike *sa.IKESA, c *sa.ChildSA, up bool) bool {
	if !q.has("child-updown") {
		return true
	}
	now := q.p.now()
	b := NewBuilder()
	if up {
		b.KV("up", "yes")
	}
	b.BeginSection(ike.Name())
	listIKE(b, ike, now)
	b.BeginSection("child-sas")
	b.BeginSection(childSectionName(c))
	listChild(b, c, now)
	b.EndSection()
	b.EndSection()
	b.EndSection()
	q.p.srv.Raise("child-updown", 0, q.p.finish(b))
	return true
}

func (q *queryListener) ChildRekey(ike *sa.IKESA, old, new *sa.ChildSA) bool {
	if !q.has("child-rekey") {
		return true
	}
	now := q.p.now()
	b := NewBuilder()
	b.BeginSection(ike.Name())
	listIKE(b, ike, now)
	b.BeginSection("child-sas")
	b.BeginSection(old.Name())
	b.BeginSection("old")
	listChild(b, old, now)
	b.EndSection()
	b.BeginSection("new")
	listChild(b, new, now)
	b.EndSection()
	b.EndSection()
	b.EndSection()
	b.EndSection()
	q.p.srv.Raise("child-rekey", 0, q.p.finish(b))
	return true
}
