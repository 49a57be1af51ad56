package config

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/credentials"
)

// CertPolicy is cert_policy_t (leftsendcert).
type CertPolicy uint8

const (
	CertAlwaysSend CertPolicy = iota
	CertSendIfAsked
	CertNeverSend
)

// UniquePolicy is unique_policy_t (uniqueids).
type UniquePolicy uint8

const (
	UniqueNever UniquePolicy = iota
	UniqueNo
	UniqueReplace
	UniqueKeep
)

// AuthClass is auth_class_t: how a side authenticates.
type AuthClass uint8

const (
	AuthClassAny AuthClass = iota
	AuthClassPubkey
	AuthClassPSK
	AuthClassEAP
	AuthClassXAuth
)

func (c AuthClass) String() string {
	return [...]string{"any", "public key", "pre-shared key", "EAP", "XAuth"}[c]
}

// AuthCfg is one authentication round of one side, auth_cfg_t reduced to
// the rules goswan implements. The same type records a completed round
// (the IKE_SA's auth configs), with what was actually used.
type AuthCfg struct {
	Class AuthClass
	// Identity is the configured identity (nil or %any: any).
	Identity *credentials.Identity
	// IdentityLoose allows the peer to send another identity (rightid=%...).
	IdentityLoose bool
	// EAPType is the EAP method (eap_type_t: RFC 3748's numbers, or
	// EAPRadius, EAPDynamic); 0 for none configured, which means any.
	EAPType       uint32
	EAPVendor     uint32
	EAPIdentity   *credentials.Identity
	AAAIdentity   *credentials.Identity
	XAuthBackend  string
	XAuthIdentity *credentials.Identity
	Groups        []*credentials.Identity
	// AuthRules are the certificate rules: leftcert, rightca, the
	// constraints of leftauth=rsa-2048-sha256 and of strictcrlpolicy, or,
	// for a completed round, the chain and its revocation status.
	credentials.AuthRules
}

func idEqual(a, b *credentials.Identity) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equals(b)
}

// Equal compares two rounds.
func (a *AuthCfg) Equal(b *AuthCfg) bool {
	return a.Class == b.Class && idEqual(a.Identity, b.Identity) && a.IdentityLoose == b.IdentityLoose &&
		a.EAPType == b.EAPType && a.EAPVendor == b.EAPVendor && idEqual(a.EAPIdentity, b.EAPIdentity) &&
		idEqual(a.AAAIdentity, b.AAAIdentity) && a.XAuthBackend == b.XAuthBackend &&
		idEqual(a.XAuthIdentity, b.XAuthIdentity) &&
		slices.EqualFunc(a.Groups, b.Groups, idEqual) && a.AuthRules.Equal(b.AuthRules)
}

// Clone copies a round (identities and certificates are immutable and
// shared).
func (a *AuthCfg) Clone() *AuthCfg {
	c := *a
	c.Groups = slices.Clone(a.Groups)
	c.AuthRules = a.AuthRules.Clone()
	return &c
}

// PeerCfg is a connection: its IKE config, authentication rounds, timing
// and its CHILD_SA configs (peer_cfg_t). Several ipsec.conf conns with the
// same IKE parameters share one PeerCfg and differ in their ChildCfgs.
type PeerCfg struct {
	Name        string
	IKE         *IKECfg
	CertPolicy  CertPolicy
	Unique      UniquePolicy
	KeyingTries uint32 // 0: forever
	// RekeyTime and ReauthTime are seconds after establishment (0: never);
	// JitterTime is the random range subtracted; OverTime is margintime:
	// the IKE_SA is deleted this long after a failed rekey/reauth.
	RekeyTime, ReauthTime, JitterTime, OverTime uint32
	UseMOBIKE                                   bool
	Aggressive                                  bool
	PullMode                                    bool
	DPDDelay, DPDTimeout                        uint32 // seconds
	IfIDIn, IfIDOut                             uint32
	VirtualIPs                                  []netip.Addr
	Pools                                       []string
	LocalAuth, RemoteAuth                       []*AuthCfg

	mu       sync.RWMutex
	children []*ChildCfg
}

// AddChild appends a CHILD_SA config (replacing one with the same name).
func (p *PeerCfg) AddChild(c *ChildCfg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.children {
		if x.Name == c.Name {
			p.children[i] = c
			return
		}
	}
	p.children = append(p.children, c)
}

// RemoveChild removes a CHILD_SA config by name; it reports whether one
// was removed.
func (p *PeerCfg) RemoveChild(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.children {
		if x.Name == name {
			p.children = slices.Delete(p.children, i, i+1)
			return true
		}
	}
	return false
}

// Children returns the CHILD_SA configs in order.
func (p *PeerCfg) Children() []*ChildCfg {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.children)
}

// Child returns the CHILD_SA config called name.
func (p *PeerCfg) Child(name string) *ChildCfg {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, c := range p.children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// RekeyTimeJitter returns the IKE rekey time with a random part of the
// jitter subtracted (rnd(n) in [0,n)).
func (p *PeerCfg) RekeyTimeJitter(jitter bool, rnd func(n uint64) uint64) uint32 {
	return withJitter(p.RekeyTime, p.JitterTime, jitter, rnd)
}

// ReauthTimeJitter is RekeyTimeJitter for reauthentication.
func (p *PeerCfg) ReauthTimeJitter(jitter bool, rnd func(n uint64) uint64) uint32 {
	return withJitter(p.ReauthTime, p.JitterTime, jitter, rnd)
}

func withJitter(t, j uint32, jitter bool, rnd func(n uint64) uint64) uint32 {
	if t == 0 || j == 0 || !jitter || rnd == nil {
		return t
	}
	return t - uint32(rnd(uint64(j)))
}

// Equal compares what stroke_config compares before merging a new conn
// into an existing peer config (peer_cfg_t.equals).
func (p *PeerCfg) Equal(o *PeerCfg) bool {
	if p == o {
		return true
	}
	return slices.Equal(p.VirtualIPs, o.VirtualIPs) && slices.Equal(p.Pools, o.Pools) &&
		p.IKE.Version == o.IKE.Version && p.CertPolicy == o.CertPolicy && p.Unique == o.Unique &&
		p.KeyingTries == o.KeyingTries && p.UseMOBIKE == o.UseMOBIKE &&
		p.RekeyTime == o.RekeyTime && p.ReauthTime == o.ReauthTime && p.JitterTime == o.JitterTime &&
		p.OverTime == o.OverTime && p.DPDDelay == o.DPDDelay && p.Aggressive == o.Aggressive &&
		p.PullMode == o.PullMode && p.IfIDIn == o.IfIDIn && p.IfIDOut == o.IfIDOut &&
		slices.EqualFunc(p.LocalAuth, o.LocalAuth, (*AuthCfg).Equal) &&
		slices.EqualFunc(p.RemoteAuth, o.RemoteAuth, (*AuthCfg).Equal)
}

// ReplaceChildren gives p the CHILD_SA configs of other and reports what
// changed: the configs p had that other lacks (removed), and the configs of
// other p had no equal of (added), as peer_cfg_t.replace_child_cfgs does
// when a reloaded connection keeps its IKE and peer parameters.
func (p *PeerCfg) ReplaceChildren(other *PeerCfg) (removed, added []*ChildCfg) {
	fresh := other.Children()
	p.mu.Lock()
	defer p.mu.Unlock()
	removed = p.children
	p.children = fresh
	for _, c := range fresh {
		i := slices.IndexFunc(removed, func(old *ChildCfg) bool { return old.Equal(c) })
		if i >= 0 {
			removed = slices.Delete(slices.Clone(removed), i, i+1)
			continue
		}
		added = append(added, c)
	}
	return removed, added
}
