package stroke

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/goswan/goswan/bus"
)

// replyBufSize is the size of the reply buffer. charon writes through a
// fully buffered stdio stream on the socket, so the client sees the text in
// blocks of this order, except for streamed log lines and prompts, which are
// flushed at once.
const replyBufSize = 4096

// maxPromptAnswer bounds a prompt answer; charon reads one into 256 bytes.
const maxPromptAnswer = 4096

// The keywords that make strongSwan's stroke client prompt the user: a read
// chunk that ends with one of them plus a newline.
var promptKeywords = []string{"Passphrase:", "Password:", "PIN:"}

// ErrPromptKeyword is returned by Prompt for a prompt the stroke client
// would not recognise, which would leave both sides waiting.
var ErrPromptKeyword = errors.New(`stroke: a prompt must end with "Passphrase:", "Password:" or "PIN:"`)

// Reply is the answer channel of one request: plain text to the client, the
// verbosity the client asked for, and the prompt mechanism. It is safe for
// concurrent use, so log lines can be streamed from the goroutines that work
// on an SA while the handler waits.
type Reply struct {
	verbosity int32

	mu  sync.Mutex
	w   *bufio.Writer
	r   *bufio.Reader
	err error // first write error: the client is gone
}

func newReply(r *bufio.Reader, w io.Writer, verbosity int32) *Reply {
	return &Reply{verbosity: verbosity, r: r, w: bufio.NewWriterSize(w, replyBufSize)}
}

// NewReply returns a Reply that writes to w and reads prompt answers from r,
// for handlers under test and for callers that run a handler without a
// socket.
func NewReply(r io.Reader, w io.Writer, verbosity int32) *Reply {
	return newReply(bufio.NewReader(r), w, verbosity)
}

// Verbosity is the output_verbosity of the request: the highest log level
// to stream back, negative for none (the client does not wait).
func (r *Reply) Verbosity() int32 { return r.verbosity }

// Write buffers text for the client.
func (r *Reply) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeLocked(p)
}

func (r *Reply) writeLocked(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.w.Write(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// Printf formats text for the client, as charon's fprintf(out, ...).
func (r *Reply) Printf(format string, args ...any) {
	fmt.Fprintf(r, format, args...)
}

// Flush sends what is buffered.
func (r *Reply) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushLocked()
}

func (r *Reply) flushLocked() error {
	if r.err != nil {
		return r.err
	}
	if err := r.w.Flush(); err != nil {
		r.err = err
	}
	return r.err
}

// Err is the first write error, set once the client has gone away.
func (r *Reply) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Log streams one log line of the operation the client waits for: the bare
// message and a newline, flushed at once, if level is within the requested
// verbosity (as charon's stroke_log does). It returns false once the client
// is gone, so the caller stops listening and lets the operation run on
// detached.
func (r *Reply) Log(_ bus.Group, level bus.Level, msg string) bool {
	if int32(level) > r.verbosity {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.writeLocked(append([]byte(msg), '\n')); err != nil {
		return false
	}
	return r.flushLocked() == nil
}

// Logf makes Reply a bus.Logger, so the daemon can attach it to the log of
// an SA for the duration of an up or down.
func (r *Reply) Logf(g bus.Group, level bus.Level, format string, args ...any) {
	if int32(level) <= r.verbosity {
		r.Log(g, level, fmt.Sprintf(format, args...))
	}
}

var _ bus.Logger = (*Reply)(nil)

// Prompt asks the user at the client's terminal: it sends what is buffered
// and the prompt line (which must end with "Password:", "PIN:" or
// "Passphrase:", the keywords on which the stroke client prompts), then
// reads the answer line. Lines written just before the prompt, e.g.
// "private key 'x' is encrypted.", reach the client with it and are shown as
// part of the prompt, as with charon.
func (r *Reply) Prompt(prompt string) (string, error) {
	prompt = strings.TrimSuffix(prompt, "\n")
	ok := false
	for _, k := range promptKeywords {
		ok = ok || strings.HasSuffix(prompt, k)
	}
	if !ok {
		return "", ErrPromptKeyword
	}
	r.mu.Lock()
	_, err := r.writeLocked([]byte(prompt + "\n"))
	if err == nil {
		err = r.flushLocked()
	}
	r.mu.Unlock()
	if err != nil {
		return "", err
	}
	return readLine(r.r, maxPromptAnswer)
}

// readLine reads up to a newline (dropped), at most max bytes; a last line
// without newline is returned as it is, and nothing at all is io.EOF.
func readLine(br *bufio.Reader, max int) (string, error) {
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			if len(line) > 0 && err == io.EOF {
				return string(line), nil
			}
			return "", err
		}
		if b == '\n' {
			return string(line), nil
		}
		if len(line) >= max {
			return "", fmt.Errorf("stroke: prompt answer longer than %d bytes", max)
		}
		line = append(line, b)
	}
}
