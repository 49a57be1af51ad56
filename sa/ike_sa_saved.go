package sa

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// SavedIKESA is what a gateway keeps of an established IKE_SA to take it
// up again after a restart (the ha-state plugin): its SPIs, keys and
// addresses, the identities and the counters of its exchanges, and its
// CHILD_SAs without their ESP keys. The message IDs may be stale by the
// time the state is restored; RFC 6311's message ID synchronization sets
// them right. strongSwan's ha plugin keeps the same things in the cache
// of its cluster partner.
type SavedIKESA struct {
	SPIi, SPIr uint64
	Initiator  bool
	// PeerCfg names the connection, which must exist again.
	PeerCfg  string
	Proposal *config.Proposal
	Alg      crypto.IKEAlgorithms
	Keys     crypto.IKEKeys
	// Hosts are ours and the peer's IKE addresses and ports.
	MyHost, OtherHost         netip.AddrPort
	MyID, OtherID, OtherEAPID SavedID
	Conditions                Condition
	Extensions                Extension
	MyVIPs, OtherVIPs         []netip.Addr
	PeerAddresses             []netip.AddrPort
	InitiatingMID, RespondMID uint32
	Children                  []SavedChildSA
	IfIDIn, IfIDOut           uint32
	FragmentSize              int
	NATDetectDest             []byte
}

// SavedID is an identity by type and encoding.
type SavedID struct {
	Type uint8
	Data []byte
}

func saveID(id *credentials.Identity) SavedID {
	if id == nil {
		return SavedID{}
	}
	return SavedID{Type: uint8(id.Type()), Data: id.Encoding()}
}

func (s SavedID) identity() *credentials.Identity {
	if s.Type == 0 && len(s.Data) == 0 {
		return nil
	}
	return credentials.FromEncoding(credentials.IDType(s.Type), s.Data)
}

// SavedChildSA is a CHILD_SA of a SavedIKESA: what identifies it to the
// peer and what a rekey needs.
type SavedChildSA struct {
	// Config names the child config of the IKE_SA's connection.
	Config        string
	Protocol      uint8
	SPIIn, SPIOut uint32
	Mode          kernel.Mode
	Encap         bool
	Proposal      *config.Proposal
	MyTS, OtherTS []SavedTS
}

// SavedTS is a traffic selector.
type SavedTS struct {
	From, To         netip.Addr
	Proto            uint8
	FromPort, ToPort uint16
}

func saveTS(ts []selectors.TS) []SavedTS {
	out := make([]SavedTS, 0, len(ts))
	for _, t := range ts {
		out = append(out, SavedTS{From: t.From(), To: t.To(), Proto: t.Protocol(), FromPort: t.FromPort(), ToPort: t.ToPort()})
	}
	return out
}

func restoreTS(saved []SavedTS) ([]selectors.TS, error) {
	out := make([]selectors.TS, 0, len(saved))
	for _, s := range saved {
		t, err := selectors.FromRange(s.From, s.To, s.Proto, s.FromPort, s.ToPort)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Save returns the IKE_SA's state; false for an IKE_SA that is not
// established or has no keys (nothing to take up again).
func (ike *IKESA) Save() (SavedIKESA, bool) {
	if ike.state != IKEEstablished || ike.keymat.keys == nil || ike.peerCfg == nil {
		return SavedIKESA{}, false
	}
	s := SavedIKESA{
		SPIi: ike.id.SPIi, SPIr: ike.id.SPIr, Initiator: ike.id.Initiator,
		PeerCfg: ike.peerCfg.Name, Proposal: ike.proposal.Clone(),
		Alg: ike.keymat.alg, Keys: cloneKeys(ike.keymat.keys),
		MyHost: ike.myHost, OtherHost: ike.otherHost,
		MyID: saveID(ike.myID), OtherID: saveID(ike.otherID), OtherEAPID: saveID(ike.OtherEAPID()),
		Conditions: ike.conditions, Extensions: ike.extensions,
		MyVIPs: append([]netip.Addr(nil), ike.myVIPs...), OtherVIPs: append([]netip.Addr(nil), ike.otherVIPs...),
		PeerAddresses: append([]netip.AddrPort(nil), ike.peerAddresses...),
		InitiatingMID: ike.tm.MessageID(true), RespondMID: ike.tm.MessageID(false),
		IfIDIn: ike.ifIDIn, IfIDOut: ike.ifIDOut, FragmentSize: ike.fragmentSize,
		NATDetectDest: append([]byte(nil), ike.natDetectDest...),
	}
	for _, c := range ike.children {
		if c.state != ChildInstalled {
			continue // a CHILD_SA half made or rekeyed is not taken up
		}
		s.Children = append(s.Children, SavedChildSA{
			Config: c.cfg.Name, Protocol: c.protocol, SPIIn: c.in.spi, SPIOut: c.out.spi,
			Mode: c.mode, Encap: c.encap, Proposal: c.proposal.Clone(),
			MyTS: saveTS(c.myTS), OtherTS: saveTS(c.otherTS),
		})
	}
	return s, true
}

func cloneKeys(k *crypto.IKEKeys) crypto.IKEKeys {
	c := func(b []byte) []byte { return append([]byte(nil), b...) }
	return crypto.IKEKeys{SKEYSEED: c(k.SKEYSEED), SKd: c(k.SKd), SKai: c(k.SKai), SKar: c(k.SKar),
		SKei: c(k.SKei), SKer: c(k.SKer), SKpi: c(k.SKpi), SKpr: c(k.SKpr)}
}

// ErrRestore is returned for a saved IKE_SA that cannot be taken up.
var ErrRestore = errors.New("cannot restore IKE_SA")

// Restore takes up a saved IKE_SA on peer (its connection, found again by
// name): established, with its keys, addresses, identities, virtual IPs
// and message IDs, registered under its SPIs and returned checked out.
// Its CHILD_SAs come back without anything in the kernel (their ESP keys
// and sequence numbers are not saved): the caller rekeys them, after
// synchronizing message IDs. A CHILD_SA whose child config is gone is
// dropped.
func (m *Manager) Restore(s SavedIKESA, peer *config.PeerCfg, thread int) (*IKESA, error) {
	id := IKESAID{SPIi: s.SPIi, SPIr: s.SPIr, Initiator: s.Initiator}
	m.mu.Lock()
	if m.findLocked(id) != nil {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: IKE_SA %s exists", ErrRestore, id)
	}
	m.ikeIDs++
	uid := m.ikeIDs
	m.mu.Unlock()
	ike := NewIKESA(m.env, id, uid)
	ike.thread = thread
	if err := ike.restore(s, peer); err != nil {
		ike.keymat.Wipe()
		return nil, err
	}
	m.CheckoutNew(ike)
	ike.state = IKEConnecting
	ike.SetState(IKEEstablished)
	return ike, nil
}

func (ike *IKESA) restore(s SavedIKESA, peer *config.PeerCfg) error {
	if s.Proposal == nil {
		return fmt.Errorf("%w: no proposal", ErrRestore)
	}
	keys := cloneKeys(&s.Keys)
	in, out, err := keys.SKCiphers(s.Alg, s.Initiator, ike.env.Rand)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRestore, err)
	}
	ike.keymat.alg, ike.keymat.keys, ike.keymat.in, ike.keymat.out = s.Alg, &keys, in, out
	ike.SetPeerCfg(peer)
	ike.proposal = s.Proposal.Clone()
	ike.myHost, ike.otherHost = s.MyHost, s.OtherHost
	ike.myID, ike.otherID, ike.otherEAPID = s.MyID.identity(), s.OtherID.identity(), s.OtherEAPID.identity()
	if ike.myID == nil || ike.otherID == nil {
		return fmt.Errorf("%w: no identities", ErrRestore)
	}
	ike.conditions, ike.extensions = s.Conditions, s.Extensions
	ike.myVIPs, ike.otherVIPs = s.MyVIPs, s.OtherVIPs
	ike.peerAddresses = s.PeerAddresses
	ike.ifIDIn, ike.ifIDOut, ike.fragmentSize = s.IfIDIn, s.IfIDOut, s.FragmentSize
	ike.natDetectDest = s.NATDetectDest
	ike.myAuths, ike.otherAuths = peer.LocalAuth, peer.RemoteAuth
	ike.tm.SetMessageID(true, s.InitiatingMID)
	ike.tm.SetMessageID(false, s.RespondMID)
	for _, sc := range s.Children {
		if err := ike.restoreChild(peer, sc); err != nil {
			ike.Log(bus.IKE, bus.Control, "CHILD_SA %s with SPIs %.8x_i %.8x_o not restored: %v", sc.Config, sc.SPIIn, sc.SPIOut, err)
		}
	}
	return nil
}

// restoreChild adds a saved CHILD_SA as detached: installed as far as
// the IKE_SA and the peer are concerned, with nothing of it installed by
// this daemon (see ChildSA.Destroy for what it removes when it goes).
func (ike *IKESA) restoreChild(peer *config.PeerCfg, s SavedChildSA) error {
	var cfg *config.ChildCfg
	for _, c := range peer.Children() {
		if c.Name == s.Config {
			cfg = c
		}
	}
	if cfg == nil {
		return errors.New("child config gone")
	}
	if s.Proposal == nil || (s.Protocol != kernel.ProtoESP && s.Protocol != kernel.ProtoAH) {
		return errors.New("no proposal")
	}
	myTS, err := restoreTS(s.MyTS)
	if err != nil {
		return err
	}
	otherTS, err := restoreTS(s.OtherTS)
	if err != nil {
		return err
	}
	c := NewChildSA(ike, cfg, ChildSAArgs{Encap: s.Encap})
	c.protocol, c.mode, c.proposal = s.Protocol, s.Mode, s.Proposal
	c.in.spi, c.out.spi = s.SPIIn, s.SPIOut
	c.myTS, c.otherTS = myTS, otherTS
	c.detached = true
	c.state = ChildInstalled
	ike.AddChild(c)
	return nil
}
