package stroke

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
)

// clientChunk is the read size of strongSwan's stroke client (a 512-byte
// buffer with room for a NUL). Prompts are recognised per chunk, so keeping
// the size keeps the behaviour.
const clientChunk = 511

// Client operations, for ClientError.Op.
const (
	OpConnect = "connect"
	OpSend    = "send"
	OpRead    = "read"
	OpPrompt  = "prompt"
)

// ClientError says which step of a request failed. The stroke client prints
// "failed to connect to stroke socket 'URI'", "sending stroke message
// failed" or "reading stroke response failed" for them.
type ClientError struct {
	Op  string // OpConnect, OpSend, OpRead or OpPrompt
	URI string
	Err error
}

func (e *ClientError) Error() string {
	switch e.Op {
	case OpConnect:
		return fmt.Sprintf("connecting to '%s' failed: %s", e.URI, strerror(e.Err))
	case OpSend:
		return fmt.Sprintf("sending stroke message failed: %s", strerror(e.Err))
	case OpRead:
		return fmt.Sprintf("reading stroke response failed: %s", strerror(e.Err))
	}
	return fmt.Sprintf("stroke %s: %v", e.Op, e.Err)
}

func (e *ClientError) Unwrap() error { return e.Err }

// PromptFunc asks the user: prompt is the text the daemon sent, ending in
// "Password: ", "PIN: " or "Passphrase: " (the stroke client turns the final
// newline into a space), the answer is sent back without its newline.
type PromptFunc func(prompt string) (string, error)

// Client sends requests to a stroke socket the way strongSwan's stroke
// program does.
type Client struct {
	// URI is the socket, "unix:///var/run/charon.ctl" or a path.
	URI string
	// Out receives the reply text as it arrives.
	Out io.Writer
	// Prompt answers the daemon's prompts; nil ends the request when the
	// daemon prompts (the daemon sees the connection close).
	Prompt PromptFunc
}

// Send encodes m, writes it and copies the reply to c.Out until the daemon
// closes the connection. Like stroke, it prints each chunk up to a NUL byte,
// and a chunk that ends with "Passphrase:\n", "Password:\n" or "PIN:\n" is
// a prompt: it goes to c.Prompt instead of c.Out, and the answer and a
// newline go back to the daemon.
func (c *Client) Send(m *Msg) error {
	raw, err := m.Encode()
	if err != nil {
		return err
	}
	path, err := ParseSocketURI(c.URI)
	if err != nil {
		return &ClientError{Op: OpConnect, URI: c.URI, Err: err}
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		return &ClientError{Op: OpConnect, URI: c.URI, Err: unwrapOpError(err)}
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		return &ClientError{Op: OpSend, URI: c.URI, Err: unwrapOpError(err)}
	}
	buf := make([]byte, clientChunk)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if perr := c.chunk(conn, buf[:n]); perr != nil {
				return perr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &ClientError{Op: OpRead, URI: c.URI, Err: unwrapOpError(err)}
		}
	}
}

// chunk handles one read of the reply.
func (c *Client) chunk(conn net.Conn, b []byte) error {
	// The C client treats the chunk as a C string.
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if !isPrompt(b) {
		if _, err := c.Out.Write(b); err != nil {
			return &ClientError{Op: OpRead, URI: c.URI, Err: err}
		}
		return nil
	}
	prompt := string(b[:len(b)-1]) + " "
	if c.Prompt == nil {
		return &ClientError{Op: OpPrompt, URI: c.URI, Err: errors.New("no terminal to prompt on")}
	}
	answer, err := c.Prompt(prompt)
	if err != nil {
		return &ClientError{Op: OpPrompt, URI: c.URI, Err: err}
	}
	if _, err := conn.Write([]byte(answer + "\n")); err != nil {
		return &ClientError{Op: OpSend, URI: c.URI, Err: unwrapOpError(err)}
	}
	return nil
}

func isPrompt(b []byte) bool {
	for _, k := range promptKeywords {
		if bytes.HasSuffix(b, []byte(k+"\n")) {
			return true
		}
	}
	return false
}

// unwrapOpError strips net.OpError and os.SyscallError so that the errno
// remains, which is what the messages print.
func unwrapOpError(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
