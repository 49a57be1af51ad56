package sa

import (
	"math/rand/v2"
	"testing"

	"github.com/goswan/goswan/credentials"
)

// TestContactsIndexFindsEveryEqualPair: for every pair of identities (ours,
// the peer's) the index's candidates, filtered as HasContact and
// CheckUniqueness filter them, are exactly the entries a walk over all
// entries finds. The identities mix FQDNs differing only in case, e-mail
// addresses, IP addresses, key IDs and DNs, among them a DN whose encoding
// an FQDN-typed identity shares (Equals compares a DN with the parsed
// encoding of an identity of any type).
func TestContactsIndexFindsEveryEqualPair(t *testing.T) {
	dn := credentials.ParseIdentity("C=CH, O=strongSwan, CN=moon.strongswan.org")
	ids := []*credentials.Identity{
		credentials.ParseIdentity("moon.strongswan.org"),
		credentials.ParseIdentity("MOON.strongswan.org"),
		credentials.ParseIdentity("sun.strongswan.org"),
		credentials.ParseIdentity("carol@strongswan.org"),
		credentials.ParseIdentity("Carol@strongswan.org"),
		credentials.ParseIdentity("192.168.0.1"),
		credentials.ParseIdentity("fec0::1"),
		credentials.ParseIdentity("@#0123456789"),
		dn,
		credentials.ParseIdentity("C=CH, O=strongSwan, CN=sun.strongswan.org"),
		credentials.ParseIdentity("CN=moon.strongswan.org, O=strongSwan, C=CH"),
		credentials.FromEncoding(credentials.IDFQDN, dn.Encoding()),
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var x index
	x.init()
	var all []*entry
	for i := range 300 {
		e := &entry{ike: &IKESA{uniqueID: uint32(i + 1)}, connected: true,
			myID: ids[rng.IntN(len(ids))], otherID: ids[rng.IntN(len(ids))]}
		x.add(e)
		x.setContact(e, e.myID, e.otherID)
		all = append(all, e)
	}
	// Some leave, some are refiled under other identities.
	for _, e := range all[:50] {
		x.remove(e)
	}
	for _, e := range all[50:100] {
		e.myID, e.otherID = ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]
		x.setContact(e, e.myID, e.otherID)
	}
	equal := func(e *entry, me, other *credentials.Identity) bool {
		return e.myID.Equals(me) && e.otherID.Equals(other)
	}
	for _, me := range ids {
		for _, other := range ids {
			want := map[*entry]bool{}
			for _, e := range all[50:] {
				if equal(e, me, other) {
					want[e] = true
				}
			}
			got := map[*entry]bool{}
			for _, e := range x.contacts(me, other) {
				if equal(e, me, other) {
					if got[e] {
						t.Fatalf("%s / %s: entry %d listed twice", me, other, e.ike.uniqueID)
					}
					got[e] = true
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s / %s: the index finds %d entries, a walk %d", me, other, len(got), len(want))
			}
			for e := range want {
				if !got[e] {
					t.Fatalf("%s / %s: the index misses entry %d", me, other, e.ike.uniqueID)
				}
			}
		}
	}
	if n := len(x.contacts(ids[0], nil)) + len(x.contacts(nil, ids[0])); n != 0 {
		t.Fatalf("a nil identity has %d contacts", n)
	}
}
