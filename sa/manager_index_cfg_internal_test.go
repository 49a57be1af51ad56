package sa

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
)

// TestCfgCandidatesAsAWalk: for every config, the entries the index lists
// for CheckoutByConfig, filtered as it filters them, are those a walk over
// all entries finds, in the same order (oldest first), while entries come,
// go and change their config. The configs include equal ones that are
// distinct objects (a reload), identities differing only in case, DNs
// (whose key says little), no local identity, and entries without a
// config.
func TestCfgCandidatesAsAWalk(t *testing.T) {
	mk := func(id string) *config.PeerCfg {
		p := &config.PeerCfg{IKE: &config.IKECfg{}}
		if id != "" {
			p.LocalAuth = []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(id)}}
		}
		return p
	}
	cfgs := []*config.PeerCfg{nil,
		mk("moon1.strongswan.org"), mk("moon1.strongswan.org"), mk("MOON1.strongswan.org"),
		mk("moon2.strongswan.org"), mk("carol@strongswan.org"), mk("192.168.0.1"),
		mk("C=CH, O=strongSwan, CN=moon"), mk("C=CH, O=strongSwan, CN=moon"), mk("C=CH, O=strongSwan, CN=sun"),
		mk(""),
	}
	// An FQDN-typed identity with a DN's encoding: a config with the DN
	// equals it, though its key is the FQDN's.
	odd := mk("")
	odd.LocalAuth = []*config.AuthCfg{{Class: config.AuthClassPSK,
		Identity: credentials.FromEncoding(credentials.IDFQDN, cfgs[7].LocalAuth[0].Identity.Encoding())}}
	cfgs = append(cfgs, odd)
	rng := rand.New(rand.NewPCG(3, 3))
	var x index
	x.init()
	var live []*entry
	for step := range 3000 {
		switch r := rng.IntN(10); {
		case r < 5 || len(live) == 0:
			e := &entry{ike: &IKESA{uniqueID: uint32(step + 1)}}
			x.add(e)
			x.setCfg(e, cfgs[rng.IntN(len(cfgs))])
			live = append(live, e)
		case r < 7:
			i := rng.IntN(len(live))
			x.remove(live[i])
			live = slices.Delete(live, i, i+1)
		default:
			x.setCfg(live[rng.IntN(len(live))], cfgs[rng.IntN(len(cfgs))])
		}
		if step%50 != 0 {
			continue
		}
		for _, peer := range cfgs[1:] {
			key := config.MergeKey(peer)
			cand := cfgCandidate(peer, key)
			var want []*entry
			for e := x.head; e != nil; e = e.next {
				if cand(e) {
					want = append(want, e)
				}
			}
			l, ok := x.cfgCandidates(key)
			if !ok {
				if key != "dn" {
					t.Fatalf("step %d: no candidates for key %q", step, key)
				}
				continue
			}
			var got []*entry
			for _, e := range l {
				if cand(e) {
					got = append(got, e)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d, config %q: the index gives %d entries, a walk %d (or another order)", step, key, len(got), len(want))
			}
		}
	}
	for _, e := range live {
		x.remove(e)
	}
	if len(x.noCfg) != 0 || len(x.byCfg) != 0 {
		t.Fatalf("removed entries still filed: %d without config, %d keys", len(x.noCfg), len(x.byCfg))
	}
}
