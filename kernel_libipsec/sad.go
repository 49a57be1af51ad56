package kernel_libipsec

import "maps"

// sadShards is how many maps the data path's view of the SAD is split
// into. A change copies one shard, not the whole view: with every SA's
// change copying all of them, setting up 10 000 CHILD_SAs spent most of
// charon's time rebuilding maps (each add O(SAs), the setup quadratic).
const sadShards = 256

// sadSnapshot is the read-only view of the SAD the data path uses: inbound
// SAs by SPI, outbound SAs by destination and SPI (which outbound policies
// name, as XFRM's templates do), and for each reqid the outbound SA a
// policy without SPI takes; each split into shards by SPI or reqid. A
// change stores a new snapshot that shares every shard but the ones it
// copied.
type sadSnapshot struct {
	in     [sadShards]map[uint32]*sa
	out    [sadShards]map[uint32]*sa
	outSPI [sadShards]map[saKey]*sa
}

func newSADSnapshot() *sadSnapshot {
	n := &sadSnapshot{}
	for i := range n.in {
		n.in[i], n.out[i], n.outSPI[i] = map[uint32]*sa{}, map[uint32]*sa{}, map[saKey]*sa{}
	}
	return n
}

// inbound is the inbound SA with spi, nil if none.
func (n *sadSnapshot) inbound(spi uint32) *sa { return n.in[spi%sadShards][spi] }

// outbound is the SA a packet matching outbound policy p leaves with: the
// one the policy names, else the reqid's best; nil if none.
func (n *sadSnapshot) outbound(p *policy) *sa {
	if p.spi != 0 {
		return n.outSPI[p.spi%sadShards][saKey{p.peer, p.spi, p.saProto}]
	}
	return n.out[p.reqid%sadShards][p.reqid]
}

// outSPIKey is the key of an outbound SA in sadSnapshot.outSPI.
func outSPIKey(s *sa) saKey { return saKey{s.id.Dst.Unmap(), s.id.SPI, s.id.Proto} }

// sadEdit is one change of the view: the shards it copied so far.
type sadEdit struct {
	n                         *sadSnapshot
	copiedIn, copy, copiedSPI map[uint32]bool
}

func (k *IPsec) editSAD() *sadEdit {
	cur := *k.sad.Load()
	return &sadEdit{n: &cur, copiedIn: map[uint32]bool{}, copy: map[uint32]bool{}, copiedSPI: map[uint32]bool{}}
}

func cloneShard(m map[uint32]*sa) map[uint32]*sa {
	c := make(map[uint32]*sa, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (e *sadEdit) inShard(spi uint32) map[uint32]*sa {
	i := spi % sadShards
	if !e.copiedIn[i] {
		e.n.in[i] = cloneShard(e.n.in[i])
		e.copiedIn[i] = true
	}
	return e.n.in[i]
}

func (e *sadEdit) outSPIShard(spi uint32) map[saKey]*sa {
	i := spi % sadShards
	if !e.copiedSPI[i] {
		e.n.outSPI[i] = maps.Clone(e.n.outSPI[i])
		e.copiedSPI[i] = true
	}
	return e.n.outSPI[i]
}

func (e *sadEdit) outShard(reqid uint32) map[uint32]*sa {
	i := reqid % sadShards
	if !e.copy[i] {
		e.n.out[i] = cloneShard(e.n.out[i])
		e.copy[i] = true
	}
	return e.n.out[i]
}

// indexLocked records an SA in k.outSAs (outbound SAs by reqid), the
// candidates publishLocked chooses from.
func (k *IPsec) indexLocked(s *sa, reqid uint32) {
	if s.inbound {
		return
	}
	if k.outSAs[reqid] == nil {
		k.outSAs[reqid] = map[*sa]struct{}{}
	}
	k.outSAs[reqid][s] = struct{}{}
}

func (k *IPsec) unindexLocked(s *sa, reqid uint32) {
	if s.inbound {
		return
	}
	delete(k.outSAs[reqid], s)
	if len(k.outSAs[reqid]) == 0 {
		delete(k.outSAs, reqid)
	}
}

// publishLocked updates the view for s: its SPI if inbound, else its
// destination and SPI (dropping the ones it was published under, which
// UpdateSA may have changed), and the outbound SA of each reqid given (s's, and the one it had before a
// change). For each reqid the outbound SA is the one XFRM would pick: not
// soft-expired before soft-expired, then the most recently added. So the
// new outbound SA of a rekey takes over as soon as it is installed, and
// the old one keeps working until then (make-before-break).
func (k *IPsec) publishLocked(s *sa, reqids ...uint32) {
	e := k.editSAD()
	if s.inbound {
		m := e.inShard(s.id.SPI)
		key := saKey{s.id.Dst, s.id.SPI, s.id.Proto}
		if cur, ok := k.sas[key]; ok && cur == s && s.usable() {
			m[s.id.SPI] = s
		} else if m[s.id.SPI] == s {
			delete(m, s.id.SPI)
		}
	} else {
		k.publishOutSPILocked(e, s)
	}
	for _, r := range reqids {
		m := e.outShard(r)
		if best := k.bestOutLocked(r, s, m[r]); best == nil {
			delete(m, r)
		} else {
			m[r] = best
		}
	}
	k.sad.Store(e.n)
}

// bestOutLocked is the outbound SA of reqid r after a change of s, given
// cur, the one chosen before the change. Every change of a candidate
// passes here, so cur is the best of the others unless it is s itself or
// has gone: then, and only then, all candidates are compared. Otherwise a
// reqid that many CHILD_SAs share (the same subnets between the same
// hosts: 10 000 in the rekey storm) made each AddSA and DelSA look at
// all of them, most of the responder's time during the storm.
func (k *IPsec) bestOutLocked(r uint32, s, cur *sa) *sa {
	cands := k.outSAs[r]
	if _, ok := cands[cur]; ok && cur != s && cur.usable() {
		if _, ok := cands[s]; ok && s.usable() && better(s, cur) {
			return s
		}
		return cur
	}
	var best *sa
	for c := range cands {
		if c.usable() && (best == nil || better(c, best)) {
			best = c
		}
	}
	return best
}

// publishOutSPILocked updates s's entry in the view's outbound SAs by SPI
// (s.published: where it is, if anywhere).
func (k *IPsec) publishOutSPILocked(e *sadEdit, s *sa) {
	if p := s.published; p != nil {
		if m := e.outSPIShard(p.spi); m[*p] == s {
			delete(m, *p)
		}
		s.published = nil
	}
	if cur, ok := k.sas[saKey{s.id.Dst, s.id.SPI, s.id.Proto}]; ok && cur == s && s.usable() {
		key := outSPIKey(s)
		e.outSPIShard(key.spi)[key] = s
		s.published = &key
	}
}

// publishSADLocked rebuilds the whole view (after a flush).
func (k *IPsec) publishSADLocked() {
	n := newSADSnapshot()
	for _, s := range k.sas {
		if !s.usable() {
			continue
		}
		if s.inbound {
			n.in[s.id.SPI%sadShards][s.id.SPI] = s
			continue
		}
		key := outSPIKey(s)
		n.outSPI[key.spi%sadShards][key] = s
		s.published = &key
		r := s.reqid.Load()
		cur := n.out[r%sadShards][r]
		if cur == nil || better(s, cur) {
			n.out[r%sadShards][r] = s
		}
	}
	k.sad.Store(n)
}

func better(a, b *sa) bool {
	if a.softDone.Load() != b.softDone.Load() {
		return !a.softDone.Load()
	}
	if !a.added.Equal(b.added) {
		return a.added.After(b.added)
	}
	return a.seq.Load() < b.seq.Load()
}
