package vici

import (
	"sync"

	"github.com/goswan/goswan/bus"
)

// maxLogQueue bounds the log events waiting to be sent; beyond it new ones
// are dropped rather than held up or piled up without end.
const maxLogQueue = 1 << 16

// eventLogger raises the "log" event for every message up to level 1
// (vici_logger.c): a bus listener that queues the messages for a goroutine
// of its own, so that logging never waits for a client.
type eventLogger struct {
	srv *Server

	mu      sync.Mutex
	queue   [][]byte
	wake    chan struct{}
	done    chan struct{}
	stopped bool
}

func newEventLogger(srv *Server) *eventLogger {
	srv.Event("log")
	l := &eventLogger{srv: srv, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run()
	return l
}

// MaxLevel implements bus.LogListener: anything more verbose could loop,
// as sending and accepting clients log themselves (get_level).
func (l *eventLogger) MaxLevel() bus.Level { return bus.Control }

// Log implements bus.LogListener.
func (l *eventLogger) Log(g bus.Group, lvl bus.Level, thread int, info bus.SAInfo, msg string) bool {
	if !l.srv.HasListeners("log") {
		return true
	}
	b := NewBuilder()
	b.KV("group", g.String())
	b.KVf("level", "%d", lvl)
	b.KVf("thread", "%d", thread)
	if info != nil {
		b.KV("ikesa-name", info.Name())
		b.KVf("ikesa-uniqueid", "%d", info.UniqueID())
	}
	b.KV("msg", msg)
	m, err := b.Finalize()
	if err != nil {
		return true
	}
	l.mu.Lock()
	if !l.stopped && len(l.queue) < maxLogQueue {
		l.queue = append(l.queue, m)
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return true
}

func (l *eventLogger) run() {
	defer close(l.done)
	for range l.wake {
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		stopped := l.stopped
		l.mu.Unlock()
		l.srv.RaiseAll("log", 0, batch)
		if stopped {
			return
		}
	}
}

func (l *eventLogger) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-l.done
}
