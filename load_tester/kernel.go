package load_tester

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/kernel"
)

// Kernel is the load tester's fake IPsec kernel (load_tester_ipsec.c):
// SPIs from a counter, and every SA and policy operation accepted and
// forgotten, so that only IKE costs anything. It carries no traffic.
type Kernel struct {
	spi atomic.Uint32
}

var _ kernel.IPsec = (*Kernel)(nil)

// NewKernel returns the fake kernel.
func NewKernel() *Kernel { return &Kernel{} }

// Features implements kernel.IPsec.
func (k *Kernel) Features() kernel.Feature { return 0 }

// GetSPI implements kernel.IPsec: the next number.
func (k *Kernel) GetSPI(netip.Addr, netip.Addr, uint8, uint32) (uint32, error) {
	return k.spi.Add(1), nil
}

// GetCPI implements kernel.IPsec: IPComp is not faked.
func (k *Kernel) GetCPI(netip.Addr, netip.Addr, uint32) (uint16, error) {
	return 0, kernel.ErrNotSupported
}

// AddSA implements kernel.IPsec.
func (k *Kernel) AddSA(kernel.SAID, kernel.AddSA) error { return nil }

// UpdateSA implements kernel.IPsec.
func (k *Kernel) UpdateSA(kernel.SAID, kernel.UpdateSA) error { return nil }

// QuerySA implements kernel.IPsec: there is no usage to report.
func (k *Kernel) QuerySA(kernel.SAID) (kernel.Usage, error) {
	return kernel.Usage{}, kernel.ErrNotSupported
}

// DelSA implements kernel.IPsec.
func (k *Kernel) DelSA(kernel.SAID, uint16) error { return nil }

// FlushSAs implements kernel.IPsec.
func (k *Kernel) FlushSAs() error { return nil }

// AddPolicy implements kernel.IPsec.
func (k *Kernel) AddPolicy(kernel.PolicyID, kernel.ManagePolicy) error { return nil }

// QueryPolicy implements kernel.IPsec.
func (k *Kernel) QueryPolicy(kernel.PolicyID) (time.Time, error) {
	return time.Time{}, kernel.ErrNotSupported
}

// DelPolicy implements kernel.IPsec.
func (k *Kernel) DelPolicy(kernel.PolicyID, kernel.ManagePolicy) error { return nil }

// FlushPolicies implements kernel.IPsec.
func (k *Kernel) FlushPolicies() error { return nil }

// BypassSocket implements kernel.IPsec.
func (k *Kernel) BypassSocket(int, int) error { return nil }

// EnableUDPDecap implements kernel.IPsec.
func (k *Kernel) EnableUDPDecap(int, int, uint16) error { return nil }

// Close implements kernel.IPsec.
func (k *Kernel) Close() error { return nil }
