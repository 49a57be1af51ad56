package fakekernel

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// The fake's data path answers one question in-process tests ask after a
// rekey, a collision or a lost packet: would a packet get through? It
// follows a packet the way XFRM (or the userspace data plane) would,
// through the SPD and SAD the daemon built, without moving any bytes.

// Outbound is what the sender's kernel does with a packet: the policy
// that matched and the SA that protects it.
type Outbound struct {
	Policy kernel.PolicyID
	SA     kernel.SAID
	Add    kernel.AddSA
}

// Route finds the SA a packet from src to dst (inner addresses) leaves
// with: the best matching outbound policy, which must be an IPsec policy
// with an SA (a trap policy without one would raise an acquire), and the
// SA it uses: the one whose SPI the policy names (PolicySPI, as XFRM's
// outbound templates carry it), or the newest SA of the policy's reqid
// that did not soft-expire (the userspace data plane).
func (k *Kernel) Route(src, dst netip.Addr) (Outbound, error) {
	id, d, err := k.bestPolicy(kernel.DirOut, src, dst)
	if err != nil {
		return Outbound{}, err
	}
	if d.Type != kernel.PolicyIPsec {
		return Outbound{}, fmt.Errorf("outbound policy %s is not an IPsec policy", id)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var best *sa
	for _, s := range k.sas {
		if s.larva || s.add.Inbound || s.id.Dst != d.Dst || s.id.Src != d.Src || s.add.ReqID != d.SA.ReqID {
			continue
		}
		if k.policySPI {
			if s.id.SPI == d.SA.ESP.SPI || s.id.SPI == d.SA.AH.SPI {
				best = s
			}
			continue
		}
		if best == nil || (best.dying && !s.dying) || (best.dying == s.dying && s.seq > best.seq) {
			best = s
		}
	}
	if best == nil {
		spi := d.SA.ESP.SPI
		if spi == 0 {
			spi = d.SA.AH.SPI
		}
		return Outbound{}, fmt.Errorf("outbound policy %s (reqid %d, SPI %08x) has no SA: the packet would be dropped or trigger an acquire",
			id, d.SA.ReqID, spi)
	}
	return Outbound{Policy: id, SA: best.id, Add: best.add}, nil
}

// Send is a packet from src to dst leaving through this kernel: Route, and
// where the best outbound policy is an IPsec policy without SA (a trap
// policy), an acquire for the policy's reqid with the packet's addresses,
// as XFRM raises it.
func (k *Kernel) Send(src, dst netip.Addr) (Outbound, error) {
	out, err := k.Route(src, dst)
	if err == nil {
		return out, nil
	}
	if _, d, perr := k.bestPolicy(kernel.DirOut, src, dst); perr == nil && d.Type == kernel.PolicyIPsec {
		k.mu.Lock()
		l := k.listener
		k.mu.Unlock()
		if l != nil {
			l.Acquire(d.SA.ReqID, selectors.FromAddr(src), selectors.FromAddr(dst))
		}
	}
	return Outbound{}, err
}

// Accept checks that a packet from src to dst protected by out (another
// kernel's Route result) is accepted here: an inbound SA with its SPI and
// the same algorithms and keys, and an inbound policy (fwd when dst is
// not one of our addresses) whose reqid is the SA's.
func (k *Kernel) Accept(out Outbound, src, dst netip.Addr) error {
	k.mu.Lock()
	s, ok := k.sas[saKey{out.SA.Dst, out.SA.SPI, out.SA.Proto}]
	var in kernel.AddSA
	if ok {
		in = s.add
	}
	local := false
	for _, a := range k.addrs {
		local = local || a == dst
	}
	k.mu.Unlock()
	switch {
	case !ok || s.larva:
		return fmt.Errorf("no inbound SA %s", out.SA)
	case in.EncAlg != out.Add.EncAlg || in.IntAlg != out.Add.IntAlg ||
		!bytes.Equal(in.EncKey, out.Add.EncKey) || !bytes.Equal(in.IntKey, out.Add.IntKey):
		return fmt.Errorf("inbound SA %s has other keys than the sender's", out.SA)
	}
	dir := kernel.DirFwd
	if local || in.Mode == kernel.ModeTransport {
		dir = kernel.DirIn
	}
	id, d, err := k.bestPolicy(dir, src, dst)
	if err != nil {
		return err
	}
	if d.Type != kernel.PolicyIPsec || d.SA.ReqID != in.ReqID {
		return fmt.Errorf("inbound policy %s (reqid %d) does not accept SA %s of reqid %d", id, d.SA.ReqID, out.SA, in.ReqID)
	}
	return nil
}

// bestPolicy is the installed policy of a direction that matches src and
// dst with the best (lowest) priority.
func (k *Kernel) bestPolicy(dir kernel.PolicyDir, src, dst netip.Addr) (kernel.PolicyID, kernel.ManagePolicy, error) {
	var (
		bestID kernel.PolicyID
		bestD  kernel.ManagePolicy
		prio   uint32
		found  bool
	)
	for _, id := range k.policies.IDs() {
		if id.Dir != dir || !id.Src.Includes(src) || !id.Dst.Includes(dst) {
			continue
		}
		d, p, ok := k.policies.Installed(id)
		if ok && (!found || p < prio) {
			bestID, bestD, prio, found = id, d, p, true
		}
	}
	if !found {
		return kernel.PolicyID{}, kernel.ManagePolicy{}, fmt.Errorf("no %s policy for %s -> %s", dir, src, dst)
	}
	return bestID, bestD, nil
}
