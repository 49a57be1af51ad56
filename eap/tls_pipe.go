package eap

import (
	"net"
	"sync"
	"time"
)

// tlsPipe is the transport of the TLS engine (crypto/tls, which runs a
// handshake as blocking reads and writes in a goroutine of its own) for
// a method that is driven one EAP packet at a time: feed hands the engine
// the bytes of a packet and waits until it has taken them all and waits
// for more, or its handshake is over; what the engine wrote meanwhile is
// the answer.
type tlsPipe struct {
	mu      sync.Mutex
	cond    *sync.Cond
	in, out []byte
	// waiting: the engine blocks in Read with nothing to read.
	waiting bool
	// done: the handshake returned, with err.
	done   bool
	err    error
	closed bool
}

func newTLSPipe() *tlsPipe {
	p := &tlsPipe{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// Read blocks until feed gives it bytes or the pipe is closed.
func (p *tlsPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.in) == 0 {
		if p.closed {
			return 0, net.ErrClosed
		}
		p.waiting = true
		p.cond.Broadcast()
		p.cond.Wait()
	}
	n := copy(b, p.in)
	p.in = p.in[n:]
	return n, nil
}

// Write collects what the engine sends.
func (p *tlsPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, net.ErrClosed
	}
	p.out = append(p.out, b...)
	return len(b), nil
}

// finish records the end of the handshake.
func (p *tlsPipe) finish(err error) {
	p.mu.Lock()
	p.done, p.err = true, err
	p.cond.Broadcast()
	p.mu.Unlock()
}

// feed gives the engine b and returns what it wrote until it waits for
// more or is done.
func (p *tlsPipe) feed(b []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.in = append(p.in, b...)
	p.waiting = false
	p.cond.Broadcast()
	for !p.done && !(p.waiting && len(p.in) == 0) {
		p.cond.Wait()
	}
	out := p.out
	p.out = nil
	return out
}

// result is whether the handshake is over, and how.
func (p *tlsPipe) result() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done, p.err
}

// Close ends the engine's wait; its handshake fails if not over.
func (p *tlsPipe) Close() error {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	return nil
}

func (p *tlsPipe) LocalAddr() net.Addr              { return pipeAddr{} }
func (p *tlsPipe) RemoteAddr() net.Addr             { return pipeAddr{} }
func (p *tlsPipe) SetDeadline(time.Time) error      { return nil }
func (p *tlsPipe) SetReadDeadline(time.Time) error  { return nil }
func (p *tlsPipe) SetWriteDeadline(time.Time) error { return nil }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "eap" }
func (pipeAddr) String() string  { return "eap" }
