package stroke

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/internal/unixsock"
)

// Defaults of charon's stroke plugin.
const (
	// DefaultSocketURI is charon.plugins.stroke.socket's default (Debian:
	// IPSEC_PIDDIR is /var/run).
	DefaultSocketURI = "unix:///var/run/charon.ctl"
	// DefaultMaxConcurrent is charon.plugins.stroke.max_concurrent's
	// default: requests handled at once; more wait in the listen backlog.
	DefaultMaxConcurrent = 4
	// DefaultRequestTimeout bounds the wait for a request's bytes. charon
	// has no such bound, so that max_concurrent silent clients stall its
	// socket; every real client writes its request at once.
	DefaultRequestTimeout = 30 * time.Second

	listenBacklog = 10 // charon's create_service(uri, 10)

	// maxReading bounds the connections whose requests are still being
	// read. charon reads a request in one of its max_concurrent slots,
	// so that max_concurrent clients that write slowly (or not at all)
	// stall its socket for good; goswan reads requests outside the slots,
	// and a slot only runs a command, so that no client holds up another
	// longer than a command takes. Beyond maxReading pending requests,
	// new connections wait in the listen backlog.
	maxReading = 512
)

// ErrInUse is returned by Listen when a daemon answers on the socket path.
var ErrInUse = unixsock.ErrInUse

// ParseSocketURI turns a stroke socket URI as strongswan.conf gives it
// ("unix:///var/run/charon.ctl") into a file system path. A bare absolute
// path is accepted too. charon's other stream types (tcp://) are not
// supported for the stroke socket.
func ParseSocketURI(uri string) (string, error) {
	path, ok := strings.CutPrefix(uri, "unix://")
	if !ok {
		if strings.HasPrefix(uri, "/") {
			path = uri
		} else {
			return "", fmt.Errorf("stroke: invalid stream URI: '%s' (only unix:// is supported)", uri)
		}
	}
	if path == "" {
		return "", fmt.Errorf("stroke: invalid stream URI: '%s'", uri)
	}
	// sun_path holds 108 bytes with the NUL; charon would truncate.
	if len(path) > 107 {
		return "", fmt.Errorf("stroke: socket path %q longer than 107 bytes", path)
	}
	return path, nil
}

// ServerConfig configures a stroke server.
type ServerConfig struct {
	// Path is the socket's file system path (see ParseSocketURI).
	Path string
	// MaxConcurrent is max_concurrent; 0 means DefaultMaxConcurrent.
	MaxConcurrent int
	// UID and GID own the socket: the user and group charon runs as
	// (charon.user, charon.group). -1 leaves that part unchanged; the zero
	// value is root, as in a daemon that keeps its privileges.
	UID, GID int
	// PreventLoglevelChanges is charon.plugins.stroke.prevent_loglevel_changes.
	PreventLoglevelChanges bool
	// RequestTimeout bounds the time a client may take to send its request;
	// 0 means DefaultRequestTimeout. Prompt answers are not bounded.
	RequestTimeout time.Duration
	// Handlers receive the requests.
	Handlers Handlers
	// Log receives the server's log messages, in group CFG as charon's; nil
	// discards them.
	Log bus.Logger
}

// Server is a listening stroke socket.
type Server struct {
	cfg   ServerConfig
	log   bus.Logger
	ln    *net.UnixListener
	info  os.FileInfo // of the socket file we created, to remove only ours
	slots chan struct{}
	// reading holds a token per connection whose request is being read.
	reading chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen creates the socket at cfg.Path, as charon does: a stale socket
// left by a dead daemon is removed (a live one is an error, ErrInUse), the
// new one gets mode 0770 and cfg's owner before it accepts connections.
// Call Serve to handle requests.
func Listen(cfg ServerConfig) (*Server, error) {
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	log := cfg.Log
	if log == nil {
		log = bus.Discard
	}
	ln, err := unixsock.Listen(unixsock.Config{Name: "stroke", Path: cfg.Path, UID: cfg.UID, GID: cfg.GID,
		Backlog: listenBacklog, Logf: netLog(log)})
	if err != nil {
		log.Logf(bus.CFG, bus.Control, "creating stroke socket failed")
		return nil, err
	}
	info, err := os.Lstat(cfg.Path)
	if err != nil {
		ln.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg: cfg, log: log, ln: ln, info: info,
		slots:   make(chan struct{}, cfg.MaxConcurrent),
		reading: make(chan struct{}, maxReading),
		ctx:     ctx, cancel: cancel,
		conns: make(map[net.Conn]struct{}),
	}, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.cfg.Path }

// Serve accepts and handles connections until Close; it returns nil then,
// or the error that stopped accepting.
func (s *Server) Serve() error {
	for {
		// A reading token before accepting: with maxReading requests
		// being read, new clients wait in the backlog. The command slots
		// (max_concurrent) are taken once a request has been read.
		select {
		case s.reading <- struct{}{}:
		case <-s.ctx.Done():
			return nil
		}
		conn, err := s.ln.Accept()
		if err != nil {
			<-s.reading
			if s.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// Out of descriptors and the like: wait a moment, as
			// net/http does, instead of spinning.
			s.log.Logf(bus.CFG, bus.Control, "accepting stroke connection failed: %s", strerror(err))
			select {
			case <-time.After(100 * time.Millisecond):
				continue
			case <-s.ctx.Done():
				return nil
			}
		}
		if !s.track(conn) {
			conn.Close()
			<-s.reading
			return nil
		}
		go func() {
			defer s.untrack(conn)
			s.handle(conn)
		}()
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
	s.wg.Done()
}

// Close stops accepting, cancels the handlers' context, closes the client
// connections (which ends pending prompts), waits for the handlers to
// return and removes the socket file if it is still the one Listen made.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	unixsock.Remove(s.cfg.Path, s.info)
	return err
}

// handle serves one connection: read one request, dispatch it, flush the
// reply, close. Every problem is logged as charon logs it and only ends this
// connection.
func (s *Server) handle(conn net.Conn) {
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(s.cfg.RequestTimeout))
	raw, ok := s.readRequest(br)
	<-s.reading
	if !ok {
		return
	}
	conn.SetReadDeadline(time.Time{})
	// A slot for the command, as charon's max_concurrent.
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-s.ctx.Done():
		return
	}
	s.log.Logf(bus.CFG, bus.Raw, "stroke message %s", hexDump(raw))
	msg, err := Decode(raw)
	switch {
	case errors.Is(err, ErrUnknownType):
		s.log.Logf(bus.CFG, bus.Control, "received unknown stroke")
		return
	case err != nil:
		s.log.Logf(bus.CFG, bus.Control, "received invalid stroke: %v", err)
		return
	}
	out := newReply(br, conn, msg.Verbosity)
	s.dispatch(msg, out)
	out.Flush()
}

// readRequest reads the length field and the rest of the message.
func (s *Server) readRequest(br *bufio.Reader) ([]byte, bool) {
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		s.logReadError("reading length of stroke message failed", err)
		return nil, false
	}
	length := int(le.Uint16(hdr[:]))
	if length < HeaderLen {
		s.log.Logf(bus.CFG, bus.Control, "invalid stroke message length %d", length)
		return nil, false
	}
	raw := make([]byte, length)
	copy(raw, hdr[:])
	if _, err := io.ReadFull(br, raw[2:]); err != nil {
		s.logReadError("reading stroke message failed", err)
		return nil, false
	}
	return raw, true
}

func (s *Server) logReadError(what string, err error) {
	if s.ctx.Err() != nil {
		return // closing
	}
	s.log.Logf(bus.CFG, bus.Control, "%s: %s", what, strerror(err))
}

func strerror(err error) string { return unixsock.Strerror(err) }

// netLog logs the socket's failures as charon's stream service does.
func netLog(l bus.Logger) func(string, ...any) {
	return func(format string, args ...any) { l.Logf(bus.NET, bus.Control, format, args...) }
}
