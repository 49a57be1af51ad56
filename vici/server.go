package vici

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/internal/unixsock"
)

// Defaults of charon's vici plugin.
const (
	// DefaultSocketURI is charon.plugins.vici.socket's default
	// (VICI_DEFAULT_URI with Debian's IPSEC_PIDDIR).
	DefaultSocketURI = "unix:///var/run/charon.vici"
	// listenBacklog is create_service(uri, 3).
	listenBacklog = 3
	// maxQueued bounds what a client that does not read may have queued
	// before it is dropped. charon queues without limit; a daemon whose
	// memory a stalled monitoring client can exhaust is not goswan's.
	maxQueued = 64 << 20
	// flushTimeout bounds the delivery of queued messages on shutdown.
	flushTimeout = time.Second
)

// Request is a command as a handler receives it.
type Request struct {
	// Ctx ends when the server shuts down.
	Ctx context.Context
	// Client is the connection's identifier, for events streamed to it.
	Client uint32
	// Name is the command name.
	Name string
	// Msg is the request message; with Err set, what precedes the fault.
	Msg *Message
	// Err is the decoding error of a malformed message, nil otherwise.
	Err error
}

// CommandFunc handles a command and returns the encoded response message;
// nil sends none (charon's builder failure).
type CommandFunc func(r *Request) []byte

// ServerConfig configures a vici server.
type ServerConfig struct {
	// URI is where to listen: "unix:///path" or "tcp://host:port".
	URI string
	// UID and GID own a unix socket (charon.user, charon.group); -1 leaves
	// that part unchanged.
	UID, GID int
	// Log receives the server's messages (group CFG, as charon's).
	Log bus.Logger
}

// Server is a listening vici socket with its command and event registry
// (charon's vici_socket and vici_dispatcher).
type Server struct {
	log    bus.Logger
	ln     net.Listener
	path   string
	info   os.FileInfo
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	cmds   map[string]CommandFunc
	events map[string]*event
	conns  map[uint32]*conn
	nextID uint32
	closed bool
}

type event struct {
	clients []uint32
	// listeners mirrors len(clients) for lock-free HasListeners.
	listeners atomic.Int32
}

// ParseURI splits a stream URI as strongswan.conf gives it.
func ParseURI(uri string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(uri, "unix://"):
		p := strings.TrimPrefix(uri, "unix://")
		if p == "" || len(p) > 107 {
			return "", "", fmt.Errorf("invalid stream URI: '%s'", uri)
		}
		return "unix", p, nil
	case strings.HasPrefix(uri, "tcp://"):
		a := strings.TrimPrefix(uri, "tcp://")
		if _, _, err := net.SplitHostPort(a); err != nil {
			return "", "", fmt.Errorf("invalid stream URI: '%s'", uri)
		}
		return "tcp", a, nil
	}
	return "", "", fmt.Errorf("invalid stream URI: '%s'", uri)
}

// Listen opens the socket. Commands and events are added with Command and
// Event before Serve.
func Listen(cfg ServerConfig) (*Server, error) {
	log := cfg.Log
	if log == nil {
		log = bus.Discard
	}
	network, addr, err := ParseURI(cfg.URI)
	if err != nil {
		log.Logf(bus.NET, bus.Control, "%v", err)
		log.Logf(bus.CFG, bus.Control, "creating vici socket failed")
		return nil, err
	}
	s := &Server{log: log, cmds: map[string]CommandFunc{}, events: map[string]*event{}, conns: map[uint32]*conn{}}
	if network == "unix" {
		ln, err := unixsock.Listen(unixsock.Config{Name: "vici", Path: addr, UID: cfg.UID, GID: cfg.GID,
			Backlog: listenBacklog, Logf: func(f string, a ...any) { log.Logf(bus.NET, bus.Control, f, a...) }})
		if err != nil {
			log.Logf(bus.CFG, bus.Control, "creating vici socket failed")
			return nil, err
		}
		s.ln, s.path = ln, addr
		s.info, _ = os.Lstat(addr)
	} else {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			log.Logf(bus.NET, bus.Control, "binding socket '%s' failed: %s", cfg.URI, unixsock.Strerror(err))
			log.Logf(bus.CFG, bus.Control, "creating vici socket failed")
			return nil, err
		}
		s.ln = ln
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Command registers (or, with fn nil, removes) a command handler.
func (s *Server) Command(name string, fn CommandFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn == nil {
		delete(s.cmds, name)
	} else {
		s.cmds[name] = fn
	}
}

// Event makes an event known, so that clients may register for it.
func (s *Server) Event(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.events[name] == nil {
		s.events[name] = &event{}
	}
}

// HasListeners reports whether any client registered for the event; the
// event sources skip building a message nobody receives.
func (s *Server) HasListeners(name string) bool {
	s.mu.Lock()
	ev := s.events[name]
	s.mu.Unlock()
	return ev != nil && ev.listeners.Load() > 0
}

// Raise sends an event to its registered clients, or only to client when it
// is not 0 (events streamed during a command). It never blocks on a client.
func (s *Server) Raise(name string, client uint32, msg []byte) {
	if msg == nil {
		return
	}
	s.RaiseAll(name, client, [][]byte{msg})
}

// RaiseAll sends several events of one name at once: each client gets them
// queued together, so that its writer sends them with one system call
// (the log event comes in bursts).
func (s *Server) RaiseAll(name string, client uint32, msgs [][]byte) {
	if len(msgs) == 0 {
		return
	}
	s.mu.Lock()
	ev := s.events[name]
	if ev == nil {
		s.mu.Unlock()
		return
	}
	var targets []*conn
	for _, id := range ev.clients {
		if client == 0 || client == id {
			if c := s.conns[id]; c != nil {
				targets = append(targets, c)
			}
		}
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	frames := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		if m != nil {
			frames = append(frames, Frame(Packet{Type: EventPacket, Name: name, Message: m}.Encode()))
		}
	}
	for _, c := range targets {
		c.send(frames...)
	}
}

// Serve accepts clients until Close; it returns nil then.
func (s *Server) Serve() error {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.nextID++
		c := newConn(s, s.nextID, nc)
		s.conns[c.id] = c
		s.wg.Add(2)
		s.mu.Unlock()
		s.log.Logf(bus.CFG, bus.Diag, "vici client %d connected", c.id)
		go c.writeLoop()
		go c.readLoop()
	}
}

// Close stops accepting, ends the commands in progress, delivers what is
// queued (briefly), disconnects every client and removes the socket.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.cancel()
	err := s.ln.Close()
	for _, c := range conns {
		c.shutdown()
	}
	s.wg.Wait()
	if s.path != "" {
		unixsock.Remove(s.path, s.info)
	}
	return err
}

// disconnected forgets a client: its registrations go with it.
func (s *Server) disconnected(c *conn) {
	s.mu.Lock()
	delete(s.conns, c.id)
	for _, ev := range s.events {
		kept := ev.clients[:0]
		for _, id := range ev.clients {
			if id != c.id {
				kept = append(kept, id)
			}
		}
		ev.clients = kept
		ev.listeners.Store(int32(len(kept)))
	}
	s.mu.Unlock()
	s.log.Logf(bus.CFG, bus.Diag, "vici client %d disconnected", c.id)
}

func (s *Server) register(c *conn, name string) {
	s.mu.Lock()
	ev := s.events[name]
	if ev != nil {
		// charon appends without looking: a client registered twice gets
		// each event twice.
		ev.clients = append(ev.clients, c.id)
		ev.listeners.Store(int32(len(ev.clients)))
	}
	s.mu.Unlock()
	if ev == nil {
		s.log.Logf(bus.CFG, bus.Control, "vici client %d invalid registration: %s", c.id, name)
		c.reply(Packet{Type: EventUnknown})
		return
	}
	s.log.Logf(bus.CFG, bus.Diag, "vici client %d registered for: %s", c.id, name)
	c.reply(Packet{Type: EventConfirm})
}

func (s *Server) unregister(c *conn, name string) {
	found := false
	s.mu.Lock()
	if ev := s.events[name]; ev != nil {
		if i := slices.Index(ev.clients, c.id); i >= 0 {
			ev.clients = slices.Delete(ev.clients, i, i+1)
			ev.listeners.Store(int32(len(ev.clients)))
			found = true
		}
	}
	s.mu.Unlock()
	s.log.Logf(bus.CFG, bus.Diag, "vici client %d unregistered for: %s", c.id, name)
	if found {
		c.reply(Packet{Type: EventConfirm})
	} else {
		c.reply(Packet{Type: EventUnknown})
	}
}

func (s *Server) request(c *conn, name string, data []byte) {
	s.mu.Lock()
	fn := s.cmds[name]
	s.mu.Unlock()
	if fn == nil {
		s.log.Logf(bus.CFG, bus.Control, "vici client %d invalid request: %s", c.id, name)
		c.reply(Packet{Type: CmdUnknown})
		return
	}
	s.log.Logf(bus.CFG, bus.Diag, "vici client %d requests: %s", c.id, name)
	msg, err := Decode(data)
	if err != nil {
		s.log.Logf(bus.ENC, bus.Control, "%s", strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "))
	}
	resp := fn(&Request{Ctx: s.ctx, Client: c.id, Name: name, Msg: msg, Err: err})
	if resp != nil {
		c.reply(Packet{Type: CmdResponse, Message: resp})
	}
}

// inbound handles one packet of a client (the dispatcher's inbound).
func (s *Server) inbound(c *conn, seg []byte) {
	p, err := ParsePacket(seg)
	if len(seg) == 0 {
		s.log.Logf(bus.CFG, bus.Control, "invalid vici message")
		return
	}
	switch p.Type {
	case EventRegister:
		if err != nil {
			s.log.Logf(bus.CFG, bus.Control, "invalid vici register message")
			return
		}
		s.register(c, p.Name)
	case EventUnregister:
		if err != nil {
			s.log.Logf(bus.CFG, bus.Control, "invalid vici unregister message")
			return
		}
		s.unregister(c, p.Name)
	case CmdRequest:
		if err != nil {
			s.log.Logf(bus.CFG, bus.Control, "invalid vici request message")
			return
		}
		s.request(c, p.Name, p.Message)
	default:
		s.log.Logf(bus.CFG, bus.Control, "unsupported vici operation: %d", p.Type)
	}
}

// conn is one client connection: a reader that handles the client's
// packets one after the other, and a writer that drains what responses and
// events queue for it.
type conn struct {
	s  *Server
	id uint32
	nc net.Conn

	mu      sync.Mutex
	cond    *sync.Cond
	out     [][]byte
	queued  int
	closing bool // no more writes: the client is going away
	done    bool // the writer ended
}

func newConn(s *Server, id uint32, nc net.Conn) *conn {
	c := &conn{s: s, id: id, nc: nc}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *conn) reply(p Packet) { c.send(Frame(p.Encode())) }

// send queues framed packets; it never blocks. A client that lets more
// than maxQueued bytes pile up is disconnected.
func (c *conn) send(frames ...[]byte) {
	size := 0
	for _, f := range frames {
		if len(f)-4 > MaxSegment {
			c.s.log.Logf(bus.CFG, bus.Control, "vici message size %d exceeds maximum size of %d, discarded",
				len(f)-4, MaxSegment)
			return
		}
		size += len(f)
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if c.queued+size > maxQueued {
		queued := c.queued
		c.closing = true
		c.nc.Close()
		c.cond.Broadcast()
		c.mu.Unlock()
		c.s.log.Logf(bus.CFG, bus.Control, "vici client %d does not read, %d bytes queued, disconnecting",
			c.id, queued)
		return
	}
	c.out = append(c.out, frames...)
	c.queued += size
	c.cond.Signal()
	c.mu.Unlock()
}

func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	for {
		c.mu.Lock()
		for len(c.out) == 0 && !c.closing {
			c.cond.Wait()
		}
		if len(c.out) == 0 {
			c.done = true
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
		batch := c.out
		c.out = nil
		c.queued = 0
		c.mu.Unlock()
		bufs := net.Buffers(batch)
		if _, err := bufs.WriteTo(c.nc); err != nil {
			c.mu.Lock()
			wasClosing := c.closing
			c.closing = true
			c.out = nil
			c.mu.Unlock()
			if !wasClosing && c.s.ctx.Err() == nil {
				c.s.log.Logf(bus.CFG, bus.Control, "vici write error: %s", unixsock.Strerror(err))
			}
			c.nc.Close()
		}
	}
}

func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer func() {
		c.mu.Lock()
		c.closing = true
		c.cond.Broadcast()
		for !c.done {
			c.cond.Wait()
		}
		c.mu.Unlock()
		c.nc.Close()
		c.s.disconnected(c)
	}()
	for {
		seg, err := ReadSegment(c.nc)
		if err != nil {
			switch {
			case errors.Is(err, ErrSegmentTooLong):
				c.s.log.Logf(bus.CFG, bus.Control, "%s", strings.TrimPrefix(err.Error(), ErrSegmentTooLong.Error()+": "))
			case errors.Is(err, io.ErrUnexpectedEOF):
				c.s.log.Logf(bus.CFG, bus.Control, "premature vici disconnect")
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			default:
				if c.s.ctx.Err() == nil {
					c.s.log.Logf(bus.CFG, bus.Control, "vici read error: %s", unixsock.Strerror(err))
				}
			}
			return
		}
		c.s.inbound(c, seg)
	}
}

// shutdown delivers what is queued, within flushTimeout, and closes.
func (c *conn) shutdown() {
	_ = c.nc.SetWriteDeadline(time.Now().Add(flushTimeout))
	c.mu.Lock()
	c.closing = true
	c.cond.Broadcast()
	for !c.done {
		c.cond.Wait()
	}
	c.mu.Unlock()
	c.nc.Close()
}
