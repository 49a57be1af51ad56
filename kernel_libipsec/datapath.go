package kernel_libipsec

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/network"
	"golang.zx2c4.com/wireguard/tun"
)

/* The data plane
 *
 * Outbound (TUN → ESP-in-UDP):
 *
 *  1. routineReadFromTUN reads a batch from the TUN device (with GSO offload
 *     a TCP super-packet arrives split into MTU-sized segments) into pooled
 *     buffers, leaving headroom for the ESP header and IV;
 *  2. it looks up the outbound policy and the reqid's current SA, checks and
 *     counts the lifetime, and assigns sequence numbers — all sequential,
 *     so numbers follow the read order;
 *  3. the batch container is locked and queued to the crypto workers and to
 *     the sequential sender;
 *  4. a worker seals every packet in place and unlocks the container;
 *  5. routineSequentialSender waits for the lock, in read order, and hands
 *     the batch to the socket (sendmmsg with UDP GSO).
 *
 * Inbound (ESP-in-UDP → TUN):
 *
 *  1. the socket's ESP handler (handleESP) gets a receive batch (recvmmsg,
 *     UDP GRO), finds each packet's SA by SPI, infers the ESN high half and
 *     drops what is already outside the replay window; it copies the packet
 *     into a pooled buffer so that the inner packet will start at a fixed
 *     offset, and queues the container like the outbound path;
 *  2. a worker verifies the ICV and decrypts in place, checks padding and
 *     the inner packet (transport mode: rebuilds the IP header);
 *  3. routineSequentialReceiver, in order, updates the replay window (only
 *     authenticated packets move it, RFC 4303 §3.4.3), checks the inbound
 *     policy of the SA's reqid, counts lifetime and usage, and writes the
 *     batch to the TUN device (with GRO coalescing).
 *
 * One reader per direction keeps per-SA order without a reorder buffer, and
 * the crypto — nearly all of the work — runs on every core.
 */

// ESPConn is the ESP-in-UDP half of the IKE socket; network.Socket
// implements it, tests use an in-memory pair.
type ESPConn interface {
	SetESPHandler(func([]network.Packet))
	SendESP(batch []network.Packet) error
}

// Offsets in the element buffers: outbound plaintext starts at outOffset
// (room for SPI, sequence number and IV in front); decrypted inbound packets
// start at inOffset (room for the virtio header the TUN device prepends and
// for a transport-mode IP header).
const (
	outOffset = headroom
	inOffset  = 64
)

type dataPath struct {
	k    *IPsec
	tun  tun.Device
	conn ESPConn
	pool *pools

	encQueue, sendQueue chan *container
	decQueue, recvQueue chan *container

	closing   atomic.Bool
	closeOnce sync.Once
	handlerMu sync.RWMutex // handleESP holds it read-locked while queueing
	wg        sync.WaitGroup
	workers   sync.WaitGroup
}

// Start attaches the backend to a TUN device and the ESP-in-UDP socket and
// starts the data plane. Close stops it (and closes dev, not conn).
func (k *IPsec) Start(dev tun.Device, conn ESPConn) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dp != nil || k.closed {
		return errors.New("kernel-libipsec: data plane already started or closed")
	}
	mtu, err := dev.MTU()
	if err != nil || mtu <= 0 {
		mtu = k.opts.MTU
	}
	batch := max(dev.BatchSize(), 1)
	const queue = 256
	dp := &dataPath{k: k, tun: dev, conn: conn,
		pool:     newPools(outOffset+mtu+tailroom, max(batch, 64)),
		encQueue: make(chan *container, queue), sendQueue: make(chan *container, queue),
		decQueue: make(chan *container, queue), recvQueue: make(chan *container, queue)}
	workers := k.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for range workers {
		dp.workers.Add(1)
		go dp.routineCrypto()
	}
	dp.wg.Add(3)
	go dp.routineReadFromTUN(batch, mtu)
	go dp.routineSequentialSender()
	go dp.routineSequentialReceiver()
	conn.SetESPHandler(dp.handleESP)
	k.dp = dp
	return nil
}

func (dp *dataPath) close() error {
	var err error
	dp.closeOnce.Do(func() {
		dp.conn.SetESPHandler(func([]network.Packet) {})
		dp.handlerMu.Lock()
		dp.closing.Store(true)
		dp.handlerMu.Unlock()
		err = dp.tun.Close()
		// The TUN reader ends on the closed device and closes the outbound
		// queues; the inbound ones close here, as no handler runs any more.
		close(dp.decQueue)
		close(dp.recvQueue)
		dp.wg.Wait()
		dp.workers.Wait()
	})
	return err
}

// routineReadFromTUN is stage 1–3 of the outbound path.
func (dp *dataPath) routineReadFromTUN(batch, mtu int) {
	defer func() {
		close(dp.encQueue)
		close(dp.sendQueue)
		dp.wg.Done()
	}()
	k, c := dp.k, &dp.k.counter
	elems := make([]*element, batch)
	bufs := make([][]byte, batch)
	sizes := make([]int, batch)
	for {
		for i := range elems {
			if elems[i] == nil {
				elems[i] = dp.pool.out.get().(*element)
			}
			bufs[i] = elems[i].buf
		}
		n, err := dp.tun.Read(bufs, sizes, outOffset)
		if err != nil && n == 0 {
			if errors.Is(err, tun.ErrTooManySegments) {
				c.TUNReadErrors.Add(1)
				continue
			}
			if errors.Is(err, os.ErrClosed) || dp.closing.Load() {
				break
			}
			c.TUNReadErrors.Add(1)
			k.opts.Logf("reading from TUN device failed: %v", err)
			if dp.closing.Load() {
				break
			}
			continue
		}
		spd, sad := k.spd.Load(), k.sad.Load()
		now := k.opts.Now().UnixNano()
		cont := dp.pool.getContainer()
		for i := 0; i < n; i++ {
			e := elems[i]
			pkt := e.buf[outOffset : outOffset+sizes[i]]
			f := parseFlow(pkt)
			if !f.ok {
				c.OutInvalid.Add(1)
				continue
			}
			p := spd.lookup(kernel.DirOut, &f)
			if p == nil || p.typ != kernel.PolicyIPsec {
				c.OutNoPolicy.Add(1)
				continue
			}
			p.lastUse.Store(now)
			s := sad.outbound(p)
			if s == nil || !s.usable() {
				c.OutNoSA.Add(1)
				k.acquire(p, &f, now)
				continue
			}
			if !k.account(s, len(pkt), now) {
				c.OutExpired.Add(1)
				continue
			}
			seq, ok := s.nextSeq()
			if !ok {
				s.seqExhausted.Add(1)
				c.OutSeqExhausted.Add(1)
				continue
			}
			e.sa, e.seq, e.n = s, seq, sizes[i]
			cont.elems = append(cont.elems, e)
			elems[i] = nil
		}
		if len(cont.elems) == 0 {
			dp.pool.putContainer(cont)
			continue
		}
		cont.Lock()
		dp.encQueue <- cont
		dp.sendQueue <- cont
	}
	for _, e := range elems {
		if e != nil {
			dp.pool.putElement(dp.pool.out, e)
		}
	}
}

// routineCrypto is a crypto worker for both directions.
func (dp *dataPath) routineCrypto() {
	defer dp.workers.Done()
	enc, dec := dp.encQueue, dp.decQueue
	for enc != nil || dec != nil {
		select {
		case cont, ok := <-enc:
			if !ok {
				enc = nil
				continue
			}
			for _, e := range cont.elems {
				e.pkt, e.err = e.sa.seal(e.buf, outOffset, e.n, e.seq)
			}
			cont.Unlock()
		case cont, ok := <-dec:
			if !ok {
				dec = nil
				continue
			}
			for _, e := range cont.elems {
				s := e.sa
				front := e.buf[:e.from+espHeaderLen+s.ivLen]
				e.pkt, e.err = s.open(e.pkt, e.seq, e.src.Addr(), e.dst.Addr(), front)
			}
			cont.Unlock()
		}
	}
}

// routineSequentialSender is stage 5 of the outbound path.
func (dp *dataPath) routineSequentialSender() {
	defer dp.wg.Done()
	c := &dp.k.counter
	pkts := make([]network.Packet, 0, 128)
	for cont := range dp.sendQueue {
		cont.Lock()
		pkts = pkts[:0]
		var bytes uint64
		for _, e := range cont.elems {
			if e.err != nil {
				c.OutSealErrors.Add(1)
				continue
			}
			ep := e.sa.ep.Load()
			pkts = append(pkts, network.Packet{Data: e.pkt, Src: ep.local, Dst: ep.remote})
			bytes += uint64(e.n)
		}
		if len(pkts) > 0 {
			if err := dp.conn.SendESP(pkts); err != nil {
				c.SendErrors.Add(1)
			} else {
				c.OutPackets.Add(uint64(len(pkts)))
				c.OutBytes.Add(bytes)
			}
		}
		clear(pkts)
		for _, e := range cont.elems {
			dp.pool.putElement(dp.pool.out, e)
		}
		dp.pool.putContainer(cont)
	}
}

// handleESP is stage 1 of the inbound path, on the socket's goroutine.
func (dp *dataPath) handleESP(batch []network.Packet) {
	dp.handlerMu.RLock()
	defer dp.handlerMu.RUnlock()
	if dp.closing.Load() {
		return
	}
	c := &dp.k.counter
	sad := dp.k.sad.Load()
	var cont *container
	for i := range batch {
		p := &batch[i]
		spi, ok := parseSPI(p.Data)
		if !ok {
			c.InInvalid.Add(1)
			continue
		}
		s := sad.inbound(spi)
		if s == nil || !s.usable() {
			c.InNoSA.Add(1)
			continue
		}
		if p.Dst.Addr().IsValid() && p.Dst.Addr().Unmap() != s.id.Dst {
			c.InNoSA.Add(1)
			continue
		}
		lo := uint32(p.Data[4])<<24 | uint32(p.Data[5])<<16 | uint32(p.Data[6])<<8 | uint32(p.Data[7])
		seq := uint64(lo)
		top := s.top.Load()
		if s.esn {
			seq = inferESN(top, s.replay.size, lo)
		}
		if s.replay.valid && (seq == 0 || (seq <= top && top-seq >= s.replay.size)) {
			// Already outside the window: no need to spend the crypto on it.
			s.replayDrops.Add(1)
			c.InReplay.Add(1)
			continue
		}
		from := inOffset - espHeaderLen - s.ivLen
		if s.mode == kernel.ModeTransport {
			if s.id.Dst.Is4() {
				from += 20
			} else {
				from += 40
			}
		}
		if from+len(p.Data) > inBufSize {
			c.InInvalid.Add(1)
			continue
		}
		e := dp.pool.in.get().(*element)
		e.pkt = e.buf[from : from+copy(e.buf[from:], p.Data)]
		e.from, e.sa, e.seq, e.src, e.dst = from, s, seq, p.Src, p.Dst
		if cont == nil {
			cont = dp.pool.getContainer()
		}
		cont.elems = append(cont.elems, e)
	}
	if cont == nil {
		return
	}
	cont.Lock()
	dp.decQueue <- cont
	dp.recvQueue <- cont
}

// routineSequentialReceiver is stage 3 of the inbound path.
func (dp *dataPath) routineSequentialReceiver() {
	defer dp.wg.Done()
	k, c := dp.k, &dp.k.counter
	bufs := make([][]byte, 0, 128)
	for cont := range dp.recvQueue {
		cont.Lock()
		spd := k.spd.Load()
		now := k.opts.Now().UnixNano()
		bufs = bufs[:0]
		var bytes uint64
		for _, e := range cont.elems {
			s := e.sa
			if e.err != nil {
				switch {
				case errors.Is(e.err, ErrAuthentication):
					s.authFails.Add(1)
					c.InAuthFail.Add(1)
				case errors.Is(e.err, errDummy):
					c.InDummy.Add(1)
				default:
					c.InInvalid.Add(1)
				}
				continue
			}
			if !s.replay.accept(e.seq) {
				s.replayDrops.Add(1)
				c.InReplay.Add(1)
				continue
			}
			s.top.Store(s.replay.top)
			if !s.usable() {
				c.InNoSA.Add(1)
				continue
			}
			f := parseFlow(e.pkt)
			p := spd.lookupReqID(&f, s.reqid.Load())
			if p == nil {
				c.InPolicy.Add(1)
				continue
			}
			p.lastUse.Store(now)
			k.checkMapping(s, e.src, now)
			if !k.account(s, len(e.pkt), now) {
				c.InExpired.Add(1)
				continue
			}
			bufs = append(bufs, e.buf[:inOffset+len(e.pkt)])
			bytes += uint64(len(e.pkt))
		}
		if len(bufs) > 0 {
			if _, err := dp.tun.Write(bufs, inOffset); err != nil {
				c.TUNWriteErrors.Add(1)
			} else {
				c.InPackets.Add(uint64(len(bufs)))
				c.InBytes.Add(bytes)
			}
		}
		clear(bufs)
		for _, e := range cont.elems {
			dp.pool.putElement(dp.pool.in, e)
		}
		dp.pool.putContainer(cont)
	}
}
