package kernel_libipsec

import (
	"net/netip"
	"sync"
)

// waitPool is a sync.Pool with an upper bound on the objects handed out at
// once (wireguard-go's device/pools.go WaitPool): when the data plane runs
// ahead of the crypto workers, the readers block here instead of growing the
// heap without limit.
type waitPool struct {
	pool  sync.Pool
	cond  sync.Cond
	lock  sync.Mutex
	count uint32
	max   uint32
}

func newWaitPool(max uint32, newFn func() any) *waitPool {
	p := &waitPool{pool: sync.Pool{New: newFn}, max: max}
	p.cond = sync.Cond{L: &p.lock}
	return p
}

func (p *waitPool) get() any {
	if p.max != 0 {
		p.lock.Lock()
		for p.count >= p.max {
			p.cond.Wait()
		}
		p.count++
		p.lock.Unlock()
	}
	return p.pool.Get()
}

func (p *waitPool) put(x any) {
	p.pool.Put(x)
	if p.max == 0 {
		return
	}
	p.lock.Lock()
	p.count--
	p.cond.Signal()
	p.lock.Unlock()
}

// element is one packet on its way through the pipeline, with the buffer
// it is processed in.
type element struct {
	buf  []byte // the pooled buffer, full length
	pkt  []byte // outbound: the ESP packet; inbound: the inner packet
	sa   *sa
	seq  uint64
	n    int // outbound: plaintext length at outOffset
	src  netip.AddrPort
	dst  netip.AddrPort
	err  error
	from int // inbound: offset of the ESP packet in buf
}

// clearPointers drops the element's references before it goes back to the
// pool, so that a stale element keeps no SA alive and a use after free finds
// nothing (wireguard-go's clearPointers).
func (e *element) clearPointers() {
	e.pkt = nil
	e.sa = nil
	e.err = nil
}

// container is the unit the pipeline's queues carry: the packets of one
// read. Its mutex is locked by the reader before it is queued twice (to the
// workers and to the sequential stage) and unlocked by the worker when the
// crypto is done, so the sequential stage waits on it in order and no
// reorder buffer is needed (wireguard-go's device/send.go).
type container struct {
	sync.Mutex
	elems []*element
}

// pools holds the data plane's pools. Outbound buffers hold one MTU-sized
// packet with headroom; inbound ones are large so that the TUN device can
// coalesce (GRO) several decrypted TCP segments into the first buffer.
type pools struct {
	out, in    *waitPool
	containers *waitPool
}

const (
	maxElementsInFlight = 2048
	inBufSize           = 32 << 10
)

func newPools(outBufSize, batch int) *pools {
	return &pools{
		out: newWaitPool(maxElementsInFlight, func() any {
			return &element{buf: make([]byte, outBufSize)}
		}),
		in: newWaitPool(maxElementsInFlight, func() any {
			return &element{buf: make([]byte, inBufSize)}
		}),
		containers: newWaitPool(0, func() any {
			return &container{elems: make([]*element, 0, batch)}
		}),
	}
}

func (p *pools) getContainer() *container {
	c := p.containers.get().(*container)
	c.Mutex = sync.Mutex{}
	return c
}

func (p *pools) putContainer(c *container) {
	clear(c.elems)
	c.elems = c.elems[:0]
	p.containers.put(c)
}

func (p *pools) putElement(wp *waitPool, e *element) {
	e.clearPointers()
	wp.put(e)
}
