package kernel_libipsec

import (
	"net/netip"
	"time"
)

// mappingMaxAge is how often the same new mapping is reported again while
// the SA still has the old one (XFRM's default mapping_maxage is 1 s).
const mappingMaxAge = int64(time.Second)

// mappingNote is the last NAT mapping reported for an inbound SA.
type mappingNote struct {
	remote netip.AddrPort
	at     int64
}

// checkMapping reports an authenticated inbound packet of the UDP
// encapsulated SA s that came from another address or port than the
// peer's endpoint: the peer's NAT mapping changed. XFRM raises
// XFRM_MSG_MAPPING in the same place (esp_input_done2), which charon's
// kernel-netlink turns into a mapping event; strongSwan's libipsec has no
// such check, so behind a NAT that rebinds its SAs would go on sending to
// the old mapping. The engine answers by moving the IKE_SA and its
// CHILD_SAs to the new address (an UpdateSA here), which ends the reports.
// It runs on the sequential receiver, after the packet was authenticated
// and passed the replay check, so a forged packet raises nothing.
func (k *IPsec) checkMapping(s *sa, src netip.AddrPort, now int64) {
	if !src.IsValid() || src.Port() == 0 {
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if src == s.ep.Load().remote {
		return
	}
	if last := s.mapped.Load(); last != nil && last.remote == src && now-last.at < mappingMaxAge {
		return
	}
	s.mapped.Store(&mappingNote{remote: src, at: now})
	k.mu.Lock()
	l, id := k.opts.Listener, s.id
	k.mu.Unlock()
	k.opts.Logf("NAT mapping of SA with SPI %08x changed to %s", id.SPI, src)
	if l != nil {
		l.Mapping(id.Proto, id.SPI, id.Dst, src)
	}
}
