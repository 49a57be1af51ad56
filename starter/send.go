package starter

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/goswan/goswan/stroke"
)

// replyChunk is the size of starter's read buffer less its NUL: the daemon's
// answer is logged a read of at most this many bytes at a time.
const replyChunk = 63

// sendTimeout bounds one exchange. strongSwan's starter would wait forever
// on a daemon that accepts a request and never answers; charon's own stroke
// server gives a request the same 30 s.
const sendTimeout = 30 * time.Second

// sendStroke is send_stroke_msg: connect to the daemon's stroke socket,
// write the message, and log the answer until the daemon hangs up. Every
// failure is logged, none stops starter.
func sendStroke(uri string, m message, log *logger) {
	if m.Err != nil {
		if errors.Is(m.Err, stroke.ErrTooLong) {
			log.dbg1("stroke message exceeds maximum buffer size")
		} else {
			log.dbg1("building stroke message %s for '%s' failed: %v", m.Type, m.Name, m.Err)
		}
		return
	}
	path, err := stroke.ParseSocketURI(uri)
	if err != nil {
		log.dbg1("invalid stream URI: '%s'", uri)
		log.dbg1("failed to connect to stroke socket '%s'", uri)
		return
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		log.dbg1("%s", (&stroke.ClientError{Op: stroke.OpConnect, URI: uri, Err: errnoOf(err)}).Error())
		log.dbg1("failed to connect to stroke socket '%s'", uri)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(sendTimeout))
	if _, err := conn.Write(m.Raw); err != nil {
		log.dbg1("sending stroke message failed")
		return
	}
	buf := make([]byte, replyChunk)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if i := bytes.IndexByte(chunk, 0); i >= 0 {
				chunk = chunk[:i]
			}
			log.dbg1("%s", chunk)
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			log.dbg1("reading stroke response failed")
			return
		}
	}
}

// errnoOf digs the errno out of a net error, for strerror's text.
func errnoOf(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
