package kernel_netlink

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// nlSocket is one netlink socket for requests (strongSwan's
// netlink_socket_t), opened in the backend's network namespace. Requests
// are serialized on it by the nl package's socket lock.
type nlSocket struct {
	sock  *nl.NetlinkSocket
	pid   uint32 // the socket's port ID
	proto int
	h     map[int]*nl.SocketHandle
	log   bus.Logger
}

// requestTimeout bounds a request so that a lost reply cannot hang the
// daemon forever (charon's kernel-netlink.timeout is 0, i.e. unbounded).
var requestTimeout = unix.Timeval{Sec: 30}

func openSocket(ns netns.NsHandle, proto int, log bus.Logger) (*nlSocket, error) {
	cur := netns.None()
	if !ns.IsOpen() || ns <= 0 {
		ns = netns.None()
	}
	s, err := nl.GetNetlinkSocketAt(ns, cur, proto)
	if err != nil {
		return nil, fmt.Errorf("unable to create netlink socket: %w", err)
	}
	// Extended acks carry the kernel's reason ("Requested type not found").
	_ = s.SetExtAck(true)
	_ = s.SetReceiveTimeout(&requestTimeout)
	_ = s.SetSendTimeout(&requestTimeout)
	pid, err := s.GetPid()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("unable to bind netlink socket: %w", err)
	}
	return &nlSocket{sock: s, pid: pid, proto: proto, log: log,
		h: map[int]*nl.SocketHandle{proto: {Socket: s}}}, nil
}

func (s *nlSocket) close() {
	if s != nil && s.sock != nil {
		s.sock.Close()
	}
}

func (s *nlSocket) newRequest(typ int, flags int) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(typ, flags)
	req.Sockets = s.h
	// The kernel answers some requests (XFRM_MSG_GETAE) to the port ID in
	// the header rather than the sender's: fill it in, as charon does.
	req.Pid = s.pid
	return req
}

// query sends a request and returns the payloads of the answers of type
// res (all types if res is 0).
func (s *nlSocket) query(req *nl.NetlinkRequest, res uint16) ([][]byte, error) {
	msgs, err := req.Execute(s.proto, res)
	if err != nil && !errors.Is(err, nl.ErrDumpInterrupted) {
		return nil, wrapErrno(err)
	}
	return msgs, nil
}

// ack sends a request that expects only an acknowledgement and maps the
// answer as strongSwan's send_ack does: EEXIST is "already done", ESRCH is
// "not found" (neither logged); other errors are logged.
func (s *nlSocket) ack(req *nl.NetlinkRequest) error {
	req.Flags |= unix.NLM_F_ACK
	_, err := req.Execute(s.proto, 0)
	if err == nil {
		return nil
	}
	e := wrapErrno(err)
	var ne *NetlinkError
	switch {
	case errors.As(e, &ne) && (ne.Errno == unix.EEXIST || ne.Errno == unix.ESRCH):
	case ne != nil:
		s.log.Logf(bus.KNL, bus.Control, "received netlink error: %s (%d)", strerror(ne.Errno), int(ne.Errno))
	default:
		s.log.Logf(bus.KNL, bus.Control, "netlink request failed: %v", e)
	}
	return e
}

// NetlinkError is an error answer of the kernel: the errno and, when the
// kernel gave one, its extended-ack message.
type NetlinkError struct {
	Errno syscall.Errno
	Msg   string
}

// Error prints "Protocol not supported (93): Requested type not found",
// the first part as charon logs it.
func (e *NetlinkError) Error() string {
	s := fmt.Sprintf("%s (%d)", strerror(e.Errno), int(e.Errno))
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap exposes the errno.
func (e *NetlinkError) Unwrap() error { return e.Errno }

// Is makes a missing entry match kernel.ErrNotFound.
func (e *NetlinkError) Is(target error) bool {
	return target == kernel.ErrNotFound && (e.Errno == unix.ESRCH || e.Errno == unix.ENOENT)
}

// ErrAlreadyDone is returned (wrapped) when the kernel or our own state
// already holds what was asked for (strongSwan's ALREADY_DONE): an existing
// route, an existing SA or policy.
var ErrAlreadyDone = errors.New("already done")

func isExists(err error) bool {
	var ne *NetlinkError
	return errors.Is(err, ErrAlreadyDone) || (errors.As(err, &ne) && ne.Errno == unix.EEXIST)
}

func wrapErrno(err error) error {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), en.Error())
	msg = strings.TrimPrefix(msg, ": ")
	return &NetlinkError{Errno: en, Msg: msg}
}

// strerror spells an errno as glibc does ("No such process"); Go's table
// has the same words in lower case.
func strerror(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	return s
}

// errnoText is "%s (%d)" of strerror and errno for a system call error.
func errnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return fmt.Sprintf("%s (%d)", strerror(en), int(en))
	}
	return err.Error()
}

// rawData is a fixed-size message header (or any raw bytes) as request
// data. It must be added with AddData, before the attributes: the nl
// package serializes RawData after all Data.
type rawData []byte

func (r rawData) Len() int          { return len(r) }
func (r rawData) Serialize() []byte { return r }

func addRaw(req *nl.NetlinkRequest, b []byte) { req.AddData(rawData(b)) }
