package radius

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/goswan/goswan/bus"
)

// Server is one configured RADIUS server (radius_config_t), from
// charon.plugins.eap-radius.servers.<name> or the legacy single server.
type Server struct {
	Name          string
	Address       string
	AuthPort      uint16
	AcctPort      uint16
	NASIdentifier string
	Secret        []byte
	// Sockets is how many requests may be in flight at once.
	Sockets    int
	Preference int
	// Retransmission: Tries sends in all, the first waiting Timeout
	// seconds, each next one Base times longer.
	Tries   int
	Timeout float64
	Base    float64
}

// Conn is a datagram socket connected to the server: net.Conn in the
// daemon, a fake in tests.
type Conn interface {
	Read(b []byte) (int, error)
	Write(b []byte) (int, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

// Dialer opens a Conn to address:port.
type Dialer func(address string, port uint16) (Conn, error)

// DialUDP is the daemon's Dialer: a connected UDP socket.
func DialUDP(address string, port uint16) (Conn, error) {
	return net.Dial("udp", net.JoinHostPort(address, strconv.Itoa(int(port))))
}

// Pool is a configured server with its sockets: requests wait for a free
// one, and its preference follows how loaded and reachable it is
// (radius_config.c).
type Pool struct {
	Server Server
	dial   Dialer
	rand   io.Reader

	sockets chan *socket

	mu        sync.Mutex
	reachable bool
	retry     int
}

// NewPool creates a server's sockets (not yet connected). Each starts at
// a random identifier, which helps when the daemon restarts often.
func NewPool(s Server, dial Dialer, rand io.Reader) *Pool {
	if s.Sockets < 1 {
		s.Sockets = 1
	}
	p := &Pool{Server: s, dial: dial, rand: rand, sockets: make(chan *socket, s.Sockets), reachable: true}
	for range s.Sockets {
		var id [1]byte
		_, _ = io.ReadFull(rand, id[:])
		p.sockets <- &socket{pool: p, identifier: id[0]}
	}
	return p
}

// Preference is get_preference: the configured preference plus up to
// 100 for free sockets, 110 more when reachable; an unreachable server
// gets the boost now and then so that it is tried again.
func (p *Pool) Preference() int {
	pref := p.Server.Preference + len(p.sockets)*100/p.Server.Sockets
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reachable {
		return pref + 110
	}
	p.retry++
	switch {
	case p.retry%128 == 0:
		return pref + 110
	case p.retry%32 == 0:
		return pref + 90
	case p.retry%8 == 0:
		return pref + 10
	}
	return pref
}

// Close closes the sockets that are not in use.
func (p *Pool) Close() {
	for {
		select {
		case s := <-p.sockets:
			s.close()
		default:
			return
		}
	}
}

// socket is one connected socket with its identifier counter.
type socket struct {
	pool       *Pool
	conn       Conn
	identifier uint8
}

func (s *socket) close() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// errTimeout is a request that got no answer.
var errTimeout = errors.New("timed out")

// request sends req and waits for the verified response, retransmitting
// (radius_socket request); log is the IKE_SA's.
func (s *socket) request(req *Message, log bus.Logger) (*Message, error) {
	srv := &s.pool.Server
	req.Identifier = s.identifier
	s.identifier++
	if err := req.Sign(srv.Secret, s.pool.rand); err != nil {
		return nil, err
	}
	if s.conn == nil {
		c, err := s.pool.dial(srv.Address, srv.AuthPort)
		if err != nil {
			log.Logf(bus.CFG, bus.Control, "connecting RADIUS socket to %s failed: %v", srv.Address, err)
			return nil, err
		}
		s.conn = c
	}
	data := req.Encode()
	log.Logf(bus.CFG, bus.Raw, "%x", data)
	for try := 0; try < srv.Tries; try++ {
		timeout := time.Duration(srv.Timeout * math.Pow(srv.Base, float64(try)) * float64(time.Second))
		if try > 0 {
			log.Logf(bus.CFG, bus.Control, "retransmit %d of RADIUS %s (timeout: %.1fs)", try, req.Code, timeout.Seconds())
		}
		if _, err := s.conn.Write(data); err != nil {
			log.Logf(bus.CFG, bus.Control, "sending RADIUS message failed: %v", err)
			return nil, err
		}
		resp, err := s.receive(req.Identifier, time.Now().Add(timeout), log)
		if errors.Is(err, errTimeout) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := resp.Verify(req.Authenticator, srv.Secret); err != nil {
			log.Logf(bus.CFG, bus.Control, "%v", err)
			return nil, err
		}
		return resp, nil
	}
	log.Logf(bus.CFG, bus.Control, "RADIUS %s timed out after %d attempts", req.Code, srv.Tries)
	return nil, errTimeout
}

// receive waits for the response with identifier id; responses to
// earlier requests are skipped.
func (s *socket) receive(id uint8, deadline time.Time, log bus.Logger) (*Message, error) {
	buf := make([]byte, MaxMessageSize)
	for {
		if err := s.conn.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		n, err := s.conn.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, errTimeout
		}
		if err != nil {
			log.Logf(bus.CFG, bus.Control, "receiving RADIUS message failed: %v", err)
			return nil, err
		}
		m, err := Parse(buf[:n])
		if err != nil {
			log.Logf(bus.IKE, bus.Control, "%v", err)
			log.Logf(bus.CFG, bus.Control, "received invalid RADIUS message, ignored")
			return nil, err
		}
		if m.Identifier != id {
			log.Logf(bus.CFG, bus.Control, "received RADIUS message with unexpected ID %d [%d expected], ignored", m.Identifier, id)
			continue
		}
		return m, nil
	}
}

// Client is one conversation with a server (radius_client_t): it adds
// the NAS-Identifier and the server's last State to each request and
// keeps the MSK of an Access-Accept.
type Client struct {
	pool  *Pool
	log   bus.Logger
	state []byte
	msk   []byte
}

// NewClient starts a conversation with the pool's server.
func NewClient(p *Pool, log bus.Logger) *Client { return &Client{pool: p, log: log} }

// Request sends req (adding NAS-Identifier and State) on a free socket
// and returns the verified response; nil if none came.
func (c *Client) Request(req *Message) *Message {
	srv := &c.pool.Server
	req.Add(AttrNASIdentifier, []byte(srv.NASIdentifier))
	if c.state != nil {
		req.Add(AttrState, c.state)
	}
	s := <-c.pool.sockets
	c.log.Logf(bus.CFG, bus.Control, "sending RADIUS %s to server '%s'", req.Code, srv.Name)
	resp, err := s.request(req, c.log)
	c.pool.sockets <- s
	c.pool.mu.Lock()
	c.pool.reachable = err == nil
	c.pool.mu.Unlock()
	if err != nil {
		return nil
	}
	c.log.Logf(bus.CFG, bus.Control, "received RADIUS %s from server '%s'", resp.Code, srv.Name)
	c.log.Logf(bus.CFG, bus.Raw, "%x", resp.Encode())
	c.state = nil
	if st, ok := resp.Get(AttrState); ok {
		c.state = st
	}
	if resp.Code == AccessAccept {
		clear(c.msk)
		c.msk = resp.MSK(req.Authenticator, srv.Secret)
	}
	return resp
}

// MSK is the MSK of the last Access-Accept, nil without.
func (c *Client) MSK() []byte { return c.msk }

// Destroy wipes the MSK.
func (c *Client) Destroy() { clear(c.msk) }

// String names the server for logs.
func (p *Pool) String() string { return fmt.Sprintf("%s (%s)", p.Server.Name, p.Server.Address) }
