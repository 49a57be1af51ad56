package kernel_libipsec

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Timers schedules lifetime expiries (testing/fakekernel.Timers has the same shape;
// tests pass testing/vclock, the daemon real time).
type Timers interface {
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realTimers struct{}

func (realTimers) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Options configure the backend. They mirror strongswan.conf
// (charon.plugins.kernel-libipsec.*, charon.spi_min/spi_max); routing and
// allow_peer_ts belong to the Router (NetRouter).
type Options struct {
	// Interface is the TUN device's name (strongSwan: the first free
	// "ipsec%d", in practice ipsec0). Default "ipsec0".
	Interface string
	// MTU of the TUN device; strongSwan's plugin uses 1400.
	MTU int
	// SPIMin and SPIMax bound the inbound SPIs (charon.spi_min/spi_max,
	// default kernel.SPIMin..kernel.SPIMax).
	SPIMin, SPIMax uint32
	// Workers is the number of crypto goroutines (default GOMAXPROCS).
	Workers int

	// Listener receives expiries; Timers and Now are the clock (default real
	// time); Rand supplies SPIs (default crypto/rand).
	Listener kernel.Listener
	Timers   Timers
	Now      func() time.Time
	Rand     io.Reader
	// Logf, if set, receives diagnostics (charon's KNL/ESP groups).
	Logf func(format string, args ...any)
}

func (o *Options) setDefaults() {
	if o.Interface == "" {
		o.Interface = "ipsec0"
	}
	if o.MTU == 0 {
		o.MTU = 1400
	}
	if o.SPIMin == 0 && o.SPIMax == 0 {
		o.SPIMin, o.SPIMax = kernel.SPIMin, kernel.SPIMax
	}
	if o.SPIMin > o.SPIMax {
		o.SPIMin, o.SPIMax = o.SPIMax, o.SPIMin
	}
	o.SPIMin = max(o.SPIMin, 0x100)
	o.SPIMax = max(o.SPIMax, 0x100)
	if o.Timers == nil {
		o.Timers = realTimers{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Listener == nil {
		o.Listener = kernel.NopListener{}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// saKey identifies an installed SA the way DelSA and QuerySA name it.
type saKey struct {
	dst   netip.Addr
	spi   uint32
	proto uint8
}

// IPsec is the kernel-libipsec backend: it implements kernel.IPsec with a
// userspace SAD and SPD and, once attached to a data plane (Start), carries
// traffic between a TUN device and the ESP-in-UDP socket.
type IPsec struct {
	opts Options

	mu      sync.Mutex // serialises control-path changes
	sas     map[saKey]*sa
	larval  map[uint32]bool // SPIs allocated by GetSPI and not yet added
	sad     atomic.Pointer[sadSnapshot]
	outSAs  map[uint32]map[*sa]struct{} // outbound SAs by reqid (sad.go)
	spd     atomic.Pointer[spdSnapshot]
	table   kernel.PolicyTable
	router  Router // nil: no routes (tests, or install_routes = no)
	dp      *dataPath
	closed  bool
	counter Counters
}

// Router installs the routes that steer traffic for the remote traffic
// selectors into the TUN device (NetRouter implements it over kernel.Net).
type Router interface {
	// AddRoute and DelRoute manage the route for an outbound policy's
	// destination, with a local address from its source selector.
	AddRoute(src, dst selectors.TS, peer, local netip.Addr) error
	DelRoute(src, dst selectors.TS) error
	Close() error
}

// New returns a backend without data plane; Start attaches one.
func New(opts Options) *IPsec {
	opts.setDefaults()
	k := &IPsec{opts: opts, sas: map[saKey]*sa{}, larval: map[uint32]bool{}, outSAs: map[uint32]map[*sa]struct{}{}}
	k.sad.Store(newSADSnapshot())
	k.spd.Store(&spdSnapshot{})
	return k
}

// SetListener sets where expiries go (the daemon wires it after creation).
func (k *IPsec) SetListener(l kernel.Listener) {
	k.mu.Lock()
	k.opts.Listener = l
	k.mu.Unlock()
}

// Interface is the TUN device's name.
func (k *IPsec) Interface() string { return k.opts.Interface }

// SetRouter sets the router used for outbound policies' routes.
func (k *IPsec) SetRouter(r Router) {
	k.mu.Lock()
	k.router = r
	k.mu.Unlock()
}

// Features implements kernel.IPsec. ESP goes through the IKE socket, so the
// SAs must use UDP encapsulation; TFC padding is accepted (and ignored on
// output) as strongSwan's libipsec does.
// Outbound policies name their SA's SPI (FeaturePolicySPI), as with XFRM:
// the engine installs a rekey's outbound SA at once and switches the
// policy to it when the old SA is deleted, and a make-before-break
// responder's standby policies keep the old SA until then.
func (k *IPsec) Features() kernel.Feature {
	return kernel.FeatureRequireUDPEncapsulation | kernel.FeatureESPv3TFC | kernel.FeaturePolicySPI
}

// GetSPI implements kernel.IPsec: a random SPI from the configured range,
// unique among allocated and installed inbound SAs (ipsec_sa_mgr.get_spi).
func (k *IPsec) GetSPI(src, dst netip.Addr, proto uint8, reqid uint32) (uint32, error) {
	if proto != kernel.ProtoESP {
		return 0, fmt.Errorf("GetSPI for protocol %d: %w", proto, kernel.ErrNotSupported)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	span := uint64(k.opts.SPIMax) - uint64(k.opts.SPIMin) + 1
	for range 1 << 16 {
		var b [8]byte
		if _, err := io.ReadFull(k.opts.Rand, b[:]); err != nil {
			return 0, fmt.Errorf("allocating SPI: %w", err)
		}
		spi := uint32(uint64(k.opts.SPIMin) + binary.BigEndian.Uint64(b[:])%span)
		if k.larval[spi] || k.inboundSPIUsedLocked(spi) {
			continue
		}
		k.larval[spi] = true
		return spi, nil
	}
	return 0, errors.New("allocating SPI: range exhausted")
}

func (k *IPsec) inboundSPIUsedLocked(spi uint32) bool {
	return k.sad.Load().inbound(spi) != nil
}

// GetCPI implements kernel.IPsec; IPComp is not supported (as libipsec).
func (k *IPsec) GetCPI(src, dst netip.Addr, reqid uint32) (uint16, error) {
	return 0, fmt.Errorf("IPComp: %w", kernel.ErrNotSupported)
}

// AddSA implements kernel.IPsec.
func (k *IPsec) AddSA(id kernel.SAID, d kernel.AddSA) error {
	id.Src, id.Dst = id.Src.Unmap(), id.Dst.Unmap()
	s, err := newSA(id, d, k.opts.Now())
	if err != nil {
		k.opts.Logf("failed to create SAD entry: %v", err)
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if d.Update {
		delete(k.larval, id.SPI)
	}
	key := saKey{id.Dst, id.SPI, id.Proto}
	if _, ok := k.sas[key]; ok {
		return fmt.Errorf("SA %s: already installed", id)
	}
	if s.inbound && k.inboundSPIUsedLocked(id.SPI) {
		return fmt.Errorf("SA %s: inbound SPI in use", id)
	}
	k.sas[key] = s
	k.armLifetimeLocked(s)
	r := s.reqid.Load()
	k.indexLocked(s, r)
	k.publishLocked(s, r)
	k.opts.Logf("adding SAD entry with SPI %08x and reqid {%d}", id.SPI, d.ReqID)
	return nil
}

// UpdateSA implements kernel.IPsec: new addresses or ports for an SA
// (MOBIKE, changed NAT mappings). UDP encapsulation cannot be turned off.
func (k *IPsec) UpdateSA(id kernel.SAID, d kernel.UpdateSA) error {
	if !d.NewEncap {
		return fmt.Errorf("SA %s: can't deactivate UDP encapsulation: %w", id, kernel.ErrNotSupported)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	key := saKey{id.Dst.Unmap(), id.SPI, id.Proto}
	old, ok := k.sas[key]
	if !ok {
		return fmt.Errorf("SA %s: %w", id, kernel.ErrNotFound)
	}
	// The endpoints swap atomically under running traffic; the reqid is
	// read by the data path only through the snapshot rebuilt below.
	delete(k.sas, key)
	r0 := old.reqid.Load()
	k.unindexLocked(old, r0)
	old.updateEndpoints(d)
	k.sas[saKey{old.id.Dst, old.id.SPI, old.id.Proto}] = old
	r1 := old.reqid.Load()
	k.indexLocked(old, r1)
	k.publishLocked(old, r0, r1)
	return nil
}

// QuerySA implements kernel.IPsec.
func (k *IPsec) QuerySA(id kernel.SAID) (kernel.Usage, error) {
	k.mu.Lock()
	s, ok := k.sas[saKey{id.Dst.Unmap(), id.SPI, id.Proto}]
	k.mu.Unlock()
	if !ok {
		return kernel.Usage{}, fmt.Errorf("SA %s: %w", id, kernel.ErrNotFound)
	}
	u := kernel.Usage{Bytes: s.bytes.Load(), Packets: s.packets.Load()}
	if t := s.lastUse.Load(); t != 0 {
		u.LastUse = time.Unix(0, t)
	}
	return u, nil
}

// DelSA implements kernel.IPsec.
func (k *IPsec) DelSA(id kernel.SAID, cpi uint16) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := saKey{id.Dst.Unmap(), id.SPI, id.Proto}
	s, ok := k.sas[key]
	if !ok {
		if k.larval[id.SPI] {
			delete(k.larval, id.SPI)
			return nil
		}
		return fmt.Errorf("SA %s: %w", id, kernel.ErrNotFound)
	}
	k.removeLocked(key, s)
	dir := "out"
	if s.inbound {
		dir = "in"
	}
	k.opts.Logf("deleted %sbound SAD entry with SPI %08x", dir, id.SPI)
	return nil
}

func (k *IPsec) removeLocked(key saKey, s *sa) {
	s.dead.Store(true)
	s.stopTimers()
	delete(k.sas, key)
	r := s.reqid.Load()
	k.unindexLocked(s, r)
	k.publishLocked(s, r)
}

// FlushSAs implements kernel.IPsec.
func (k *IPsec) FlushSAs() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, s := range k.sas {
		s.dead.Store(true)
		s.stopTimers()
		delete(k.sas, key)
	}
	clear(k.larval)
	clear(k.outSAs)
	k.publishSADLocked()
	return nil
}

// BypassSocket implements kernel.IPsec. Nothing to do: IKE packets never
// pass the TUN device (strongSwan uses exclude routes for the same reason).
func (k *IPsec) BypassSocket(fd int, family int) error { return nil }

// EnableUDPDecap implements kernel.IPsec: the data plane reads ESP-in-UDP
// from the IKE socket itself, the kernel must not decapsulate.
func (k *IPsec) EnableUDPDecap(fd int, family int, port uint16) error { return nil }

// Close implements kernel.IPsec: it stops the data plane and removes the
// routes it installed. SAs and policies stay in memory, as the interface
// says, but nothing carries traffic any more.
func (k *IPsec) Close() error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	dp, r := k.dp, k.router
	for _, s := range k.sas {
		s.stopTimers()
	}
	k.mu.Unlock()
	var errs []error
	if dp != nil {
		errs = append(errs, dp.close())
	}
	if r != nil {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

var _ kernel.IPsec = (*IPsec)(nil)
