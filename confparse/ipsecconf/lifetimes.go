package ipsecconf

// The values charon derives from an add_conn message for rekeying
// (stroke_config.c build_peer_cfg/build_child_cfg, peer_cfg.c). They are
// computed from the message, not from the Conn, because that is what charon
// sees: with rekey=no starter sends zeros and nothing is ever rekeyed.
// The arithmetic is C's: a margin larger than the lifetime wraps around
// rather than going negative.

// Limit is one lifetime_cfg_t entry: the hard limit, when to rekey, and the
// largest random amount to subtract from the rekey point.
type Limit struct {
	Life   uint64
	Rekey  uint64
	Jitter uint64
}

// ChildLifetimes is a CHILD_SA's lifetime_cfg_t: seconds, bytes, packets.
// The kernel SA is installed with soft limit Rekey minus a random jitter
// (uniform in [0, Jitter]) and hard limit Life.
type ChildLifetimes struct {
	Time, Bytes, Packets Limit
}

// ChildLifetimes computes rekey = life - margin and jitter = margin *
// rekeyfuzz / 100 for time, bytes and packets.
func (m *AddConnMsg) ChildLifetimes() ChildLifetimes {
	r := &m.Rekey
	return ChildLifetimes{
		Time: Limit{
			Life:   uint64(r.IPsecLifetime),
			Rekey:  uint64(r.IPsecLifetime - r.Margin),
			Jitter: uint64(r.Margin) * r.Fuzz / 100,
		},
		Bytes: Limit{
			Life:   r.LifeBytes,
			Rekey:  r.LifeBytes - r.MarginBytes,
			Jitter: r.MarginBytes * r.Fuzz / 100,
		},
		Packets: Limit{
			Life:   r.LifePackets,
			Rekey:  r.LifePackets - r.MarginPackets,
			Jitter: r.MarginPackets * r.Fuzz / 100,
		},
	}
}

// IKETimes are the IKE_SA timers of a peer_cfg_t, in seconds. Exactly one
// of RekeyTime and ReauthTime is non-zero unless rekeying is off (reauth=no
// rekeys, reauth=yes reauthenticates). The IKE_SA is rekeyed or
// reauthenticated at that time minus a random value below JitterTime, and
// deleted OverTime seconds later if that has not completed.
type IKETimes struct {
	RekeyTime  uint32
	ReauthTime uint32
	JitterTime uint32
	OverTime   uint32
}

// IKETimes computes build_peer_cfg's values and peer_cfg_create's clamping
// of the jitter to the rekey or reauth time.
func (m *AddConnMsg) IKETimes() IKETimes {
	r := &m.Rekey
	t := IKETimes{
		JitterTime: uint32(uint64(r.Margin) * r.Fuzz / 100),
		OverTime:   uint32(r.Margin),
	}
	if r.Reauth != 0 {
		t.ReauthTime = uint32(r.IKELifetime - int64(t.OverTime))
	} else {
		t.RekeyTime = uint32(r.IKELifetime - int64(t.OverTime))
	}
	if t.RekeyTime != 0 && t.JitterTime > t.RekeyTime {
		t.JitterTime = t.RekeyTime
	}
	if t.ReauthTime != 0 && t.JitterTime > t.ReauthTime {
		t.JitterTime = t.ReauthTime
	}
	return t
}

// ChildLifetimes is the CHILD_SA lifetimes charon derives for c (see
// AddConnMsg.ChildLifetimes); they do not depend on config setup.
func (c *Conn) ChildLifetimes() ChildLifetimes {
	m := c.AddConn(&Setup{}, 0)
	return m.ChildLifetimes()
}

// IKETimes is the IKE_SA timers charon derives for c.
func (c *Conn) IKETimes() IKETimes {
	m := c.AddConn(&Setup{}, 0)
	return m.IKETimes()
}
