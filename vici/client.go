package vici

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// Client is a minimal vici client: requests, event registration and
// streamed requests, one at a time, as libvici works. goswan's own tests
// and benchmarks use it; the interoperability tests use Debian's swanctl
// and other real clients.
type Client struct {
	nc net.Conn

	wmu sync.Mutex
	// replies carries the non-event packets, in order.
	replies chan Packet
	mu      sync.Mutex
	// handlers receive the events registered for.
	handlers map[string]func(*Message)
	err      error
	done     chan struct{}
}

// ErrUnknownCommand is the CMD_UNKNOWN answer.
var ErrUnknownCommand = errors.New("vici: unknown command")

// ErrUnknownEvent is the EVENT_UNKNOWN answer.
var ErrUnknownEvent = errors.New("vici: unknown event")

// Dial connects to a server at a stream URI.
func Dial(uri string) (*Client, error) {
	network, addr, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	nc, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return NewClient(nc), nil
}

// NewClient runs a client over an established connection.
func NewClient(nc net.Conn) *Client {
	c := &Client{nc: nc, replies: make(chan Packet, 16), handlers: map[string]func(*Message){},
		done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *Client) readLoop() {
	defer close(c.done)
	defer close(c.replies)
	for {
		seg, err := ReadSegment(c.nc)
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		p, err := ParsePacket(seg)
		if err != nil {
			continue
		}
		if p.Type == EventPacket {
			c.mu.Lock()
			h := c.handlers[p.Name]
			c.mu.Unlock()
			if h != nil {
				m, _ := Decode(p.Message)
				h(m)
			}
			continue
		}
		c.replies <- p
	}
}

// Close disconnects.
func (c *Client) Close() error {
	err := c.nc.Close()
	<-c.done
	return err
}

func (c *Client) write(p Packet) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(Frame(p.Encode()))
	return err
}

func (c *Client) next() (Packet, error) {
	p, ok := <-c.replies
	if !ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		return Packet{}, fmt.Errorf("vici: connection closed: %w", c.err)
	}
	return p, nil
}

// Register subscribes to an event; fn runs on the reader goroutine for
// each one.
func (c *Client) Register(event string, fn func(*Message)) error {
	c.mu.Lock()
	c.handlers[event] = fn
	c.mu.Unlock()
	if err := c.write(Packet{Type: EventRegister, Name: event}); err != nil {
		return err
	}
	p, err := c.next()
	if err != nil {
		return err
	}
	if p.Type != EventConfirm {
		c.mu.Lock()
		delete(c.handlers, event)
		c.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownEvent, event)
	}
	return nil
}

// Unregister unsubscribes from an event.
func (c *Client) Unregister(event string) error {
	if err := c.write(Packet{Type: EventUnregister, Name: event}); err != nil {
		return err
	}
	p, err := c.next()
	if err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.handlers, event)
	c.mu.Unlock()
	if p.Type != EventConfirm {
		return fmt.Errorf("%w: %s", ErrUnknownEvent, event)
	}
	return nil
}

// Request sends a command and returns its response.
func (c *Client) Request(cmd string, req *Message) (*Message, error) {
	var data []byte
	if req != nil {
		var err error
		if data, err = req.Encode(); err != nil {
			return nil, err
		}
	}
	return c.RequestRaw(cmd, data)
}

// RequestRaw sends a command with an already encoded message.
func (c *Client) RequestRaw(cmd string, data []byte) (*Message, error) {
	if err := c.write(Packet{Type: CmdRequest, Name: cmd, Message: data}); err != nil {
		return nil, err
	}
	p, err := c.next()
	if err != nil {
		return nil, err
	}
	switch p.Type {
	case CmdResponse:
		return Decode(p.Message)
	case CmdUnknown:
		return nil, fmt.Errorf("%w: %s", ErrUnknownCommand, cmd)
	}
	return nil, fmt.Errorf("vici: unexpected packet type %d", p.Type)
}

// Stream sends a command after registering for event and collects the
// events it streams before its response.
func (c *Client) Stream(cmd, event string, req *Message) ([]*Message, *Message, error) {
	var mu sync.Mutex
	var events []*Message
	if err := c.Register(event, func(m *Message) {
		mu.Lock()
		events = append(events, m)
		mu.Unlock()
	}); err != nil {
		return nil, nil, err
	}
	resp, err := c.Request(cmd, req)
	if uerr := c.Unregister(event); err == nil {
		err = uerr
	}
	mu.Lock()
	defer mu.Unlock()
	return events, resp, err
}

// Msg builds a request message from key/value pairs (values are strings).
func Msg(kv ...string) *Message {
	m := &Message{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Elements = append(m.Elements, Element{Kind: KeyValue, Name: kv[i], Value: []byte(kv[i+1])})
	}
	return m
}
