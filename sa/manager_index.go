package sa

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
)

// The manager's indexes, so that no lookup a packet or a command makes
// walks every IKE_SA (charon's ike_sa_manager hashes its entries the same
// way): with a hundred thousand SAs a walk per packet made the setup of
// each SA cost time in proportion to all the others. All of it is guarded
// by Manager.mu.
//
//   - the entries in the order they were added (a list, for Each and
//     status output, which list SAs oldest first);
//   - by SA, for checkin;
//   - by our role and the initiator's SPI, for messages (the responder's
//     SPI may be unknown on either side, so it is compared in the bucket);
//   - by unique id, for `ipsec down name[N]` and jobs;
//   - by the peer's identity once connected, for uniqueness and contacts;
//   - by the merge key of the config at the last checkin (none yet: an
//     SA being set up), for CheckoutByConfig;
//   - how many half-open SAs (and queued IKE_SA_INITs) each peer address
//     has with us as responder, for the DoS limits (Manager's
//     setHalfOpenLocked and countResponderLocked keep it).
type index struct {
	head, tail *entry
	n          int
	byIKE      map[*IKESA]*entry
	bySPI      map[spiKey][]*entry
	byUID      map[uint32]*entry
	byContact  map[contactKey][]*entry
	halfOpenIP map[netip.Addr]int
	// byCfg and noCfg file entries by config.MergeKey of their config,
	// or as having none; seq numbers entries in the order they came, so
	// that candidates from several files are taken oldest first.
	byCfg map[string]map[*entry]struct{}
	noCfg map[*entry]struct{}
	seq   uint64
}

// spiKey files an entry by our role and the initiator's SPI.
type spiKey struct {
	spi       uint64
	initiator bool
}

// contactKey files a connected entry by its two identities, ours and the
// peer's, as charon's connected-peers table does: a gateway whose SAs all
// share one peer identity (a responder's own, seen from many initiators'
// conns to it) would otherwise look at every SA for each IKE_AUTH.
type contactKey struct {
	me, other idKey
}

// idKey is an identity's part of a contactKey: its type and its encoding,
// with ASCII lower-cased for the string types that Identity.Equals
// compares so. DNs, which Equals compares by their parsed form and against
// an identity of any type, share one key (dnKey).
type idKey struct {
	typ credentials.IDType
	enc string
}

var dnKey = idKey{typ: credentials.IDDerASN1DN}

func idKeyOf(id *credentials.Identity) idKey {
	switch id.Type() {
	case credentials.IDDerASN1DN:
		return dnKey
	case credentials.IDFQDN, credentials.IDRFC822Addr:
		return idKey{id.Type(), asciiLower(id.Encoding())}
	}
	return idKey{id.Type(), string(id.Encoding())}
}

func (x *index) init() {
	if x.byIKE == nil {
		x.byIKE = map[*IKESA]*entry{}
		x.bySPI = map[spiKey][]*entry{}
		x.byUID = map[uint32]*entry{}
		x.byContact = map[contactKey][]*entry{}
		x.halfOpenIP = map[netip.Addr]int{}
		x.byCfg = map[string]map[*entry]struct{}{}
		x.noCfg = map[*entry]struct{}{}
	}
}

// add files a new entry under its SA's current id.
func (x *index) add(e *entry) {
	x.init()
	e.prev, e.next = x.tail, nil
	if x.tail != nil {
		x.tail.next = e
	} else {
		x.head = e
	}
	x.tail = e
	x.n++
	x.byIKE[e.ike] = e
	e.spi = spiKey{e.ike.id.SPIi, e.ike.id.Initiator}
	x.bySPI[e.spi] = append(x.bySPI[e.spi], e)
	x.byUID[e.ike.uniqueID] = e
	x.seq++
	e.seq = x.seq
	x.fileCfg(e)
}

// remove takes an entry out of every index; e.removed tells waiters.
func (x *index) remove(e *entry) {
	if e.removed {
		return
	}
	e.removed = true
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		x.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		x.tail = e.prev
	}
	x.n--
	delete(x.byIKE, e.ike)
	x.bySPI[e.spi] = dropEntry(x.bySPI[e.spi], e)
	if len(x.bySPI[e.spi]) == 0 {
		delete(x.bySPI, e.spi)
	}
	if x.byUID[e.ike.uniqueID] == e {
		delete(x.byUID, e.ike.uniqueID)
	}
	x.setContact(e, nil, nil)
	x.unfileCfg(e)
}

// setCfg gives an entry the config its SA was checked in with and files
// it under the config's merge key (nil: as having none).
func (x *index) setCfg(e *entry, p *config.PeerCfg) {
	if !e.removed {
		x.unfileCfg(e)
	}
	e.peerCfg, e.cfgKey = p, ""
	if p != nil {
		e.cfgKey = config.MergeKey(p)
	}
	if !e.removed {
		x.fileCfg(e)
	}
}

// fileCfg and unfileCfg put an entry in, and take it out of, the file its
// peerCfg and cfgKey name.
func (x *index) fileCfg(e *entry) {
	if e.peerCfg == nil {
		x.noCfg[e] = struct{}{}
		return
	}
	f := x.byCfg[e.cfgKey]
	if f == nil {
		f = map[*entry]struct{}{}
		x.byCfg[e.cfgKey] = f
	}
	f[e] = struct{}{}
}

func (x *index) unfileCfg(e *entry) {
	if e.peerCfg == nil {
		delete(x.noCfg, e)
		return
	}
	if f := x.byCfg[e.cfgKey]; f != nil {
		delete(f, e)
		if len(f) == 0 {
			delete(x.byCfg, e.cfgKey)
		}
	}
}

// cfgCandidates lists, oldest first, the entries that may hold a config
// with merge key key: those filed under it, under "dn" (a DN's key says
// little), and those without a config yet. ok is false for key "dn",
// which any entry may match.
func (x *index) cfgCandidates(key string) (l []*entry, ok bool) {
	if key == "dn" {
		return nil, false
	}
	for e := range x.noCfg {
		l = append(l, e)
	}
	for e := range x.byCfg[key] {
		l = append(l, e)
	}
	for e := range x.byCfg["dn"] {
		l = append(l, e)
	}
	slices.SortFunc(l, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	return l, true
}

// refile moves an entry whose SA changed its initiator SPI (a reset).
func (x *index) refile(e *entry) {
	k := spiKey{e.ike.id.SPIi, e.ike.id.Initiator}
	if e.removed || k == e.spi {
		return
	}
	x.bySPI[e.spi] = dropEntry(x.bySPI[e.spi], e)
	if len(x.bySPI[e.spi]) == 0 {
		delete(x.bySPI, e.spi)
	}
	e.spi = k
	x.bySPI[k] = append(x.bySPI[k], e)
}

// setContact files a connected entry under our identity and the peer's
// (other nil: not connected).
func (x *index) setContact(e *entry, me, other *credentials.Identity) {
	if e.contact != nil {
		k := *e.contact
		x.byContact[k] = dropEntry(x.byContact[k], e)
		if len(x.byContact[k]) == 0 {
			delete(x.byContact, k)
		}
		e.contact = nil
	}
	if me != nil && other != nil && !e.removed {
		k := contactKey{idKeyOf(me), idKeyOf(other)}
		e.contact = &k
		x.byContact[k] = append(x.byContact[k], e)
	}
}

// contacts lists the connected entries whose identities may equal me and
// other (the caller compares with Equals): those filed under their keys,
// and on either side the DN ones, which Equals compares with an identity
// of any type.
func (x *index) contacts(me, other *credentials.Identity) []*entry {
	if me == nil || other == nil {
		return nil
	}
	mine, theirs := []idKey{idKeyOf(me)}, []idKey{idKeyOf(other)}
	if mine[0] != dnKey {
		mine = append(mine, dnKey)
	}
	if theirs[0] != dnKey {
		theirs = append(theirs, dnKey)
	}
	var l []*entry
	for _, m := range mine {
		for _, o := range theirs {
			b := x.byContact[contactKey{m, o}]
			if len(b) == 0 {
				continue
			}
			if l == nil {
				// Usually the only one: returned as it is, capped, so
				// that appending another bucket copies it.
				l = b[:len(b):len(b)]
				continue
			}
			l = append(l, b...)
		}
	}
	return l
}

func asciiLower(b []byte) string {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// list returns the entries in order (a copy: the caller may unlock).
func (x *index) list() []*entry {
	out := make([]*entry, 0, x.n)
	for e := x.head; e != nil; e = e.next {
		out = append(out, e)
	}
	return out
}

// dropEntry removes e from a bucket, keeping the others' order.
func dropEntry(l []*entry, e *entry) []*entry {
	for i, x := range l {
		if x == e {
			copy(l[i:], l[i+1:])
			l[len(l)-1] = nil
			return l[:len(l)-1]
		}
	}
	return l
}
