package kernel_netlink

import (
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// eventLoop reads a netlink multicast socket in its own goroutine (charon's
// watcher callback) and hands each message to handle.
type eventLoop struct {
	sock    *nl.NetlinkSocket
	stopped atomic.Bool
	done    chan struct{}
}

func startEventLoop(sock *nl.NetlinkSocket, log bus.Logger, what string, handle func(typ uint16, payload []byte)) *eventLoop {
	l := &eventLoop{sock: sock, done: make(chan struct{})}
	go l.run(log, what, handle)
	return l
}

func (l *eventLoop) run(log bus.Logger, what string, handle func(uint16, []byte)) {
	defer close(l.done)
	for {
		msgs, from, err := l.sock.Receive()
		if l.stopped.Load() {
			return
		}
		if err != nil {
			var en syscall.Errno
			if errors.As(err, &en) {
				if en == unix.EINTR || en == unix.EAGAIN {
					continue
				}
				log.Logf(bus.KNL, bus.Control, "unable to receive from %s event socket: %s (%d)", what, strerror(en), int(en))
			} else {
				log.Logf(bus.KNL, bus.Control, "unable to receive from %s event socket: %v", what, err)
			}
			// charon sleeps a second after an error (ENOBUFS after an event
			// storm, typically) rather than spinning
			time.Sleep(time.Second)
			continue
		}
		if from.Pid != 0 {
			continue // not from the kernel
		}
		for _, m := range msgs {
			handle(m.Header.Type, m.Data)
		}
	}
}

func (l *eventLoop) stop() {
	l.stopped.Store(true)
	l.sock.Close()
	<-l.done
}

// startXfrmEvents subscribes to ACQUIRE, EXPIRE, MIGRATE and MAPPING.
func startXfrmEvents(ip *IPsec) (*eventLoop, error) {
	ns := ip.o.NetNS
	if ns <= 0 {
		ns = -1
	}
	s, err := nl.SubscribeAt(ns, -1, unix.NETLINK_XFRM, grpAcquire, grpExpire, grpMigrate, grpMapping)
	if err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to bind XFRM event socket: %v", err)
		return nil, err
	}
	return startEventLoop(s, ip.log, "XFRM", ip.handleXfrmEvent), nil
}

var xfrmMsgNames = map[uint16]string{msgAcquire: "XFRM_MSG_ACQUIRE", msgExpire: "XFRM_MSG_EXPIRE",
	msgMigrate: "XFRM_MSG_MIGRATE", msgMapping: "XFRM_MSG_MAPPING"}

// handleXfrmEvent logs an event and hands it to the listener; a message
// that does not parse is logged and dropped.
func (ip *IPsec) handleXfrmEvent(typ uint16, m []byte) {
	name, ok := xfrmMsgNames[typ]
	if !ok {
		ip.log.Logf(bus.KNL, bus.Control, "received unknown event from XFRM event socket: %d", typ)
		return
	}
	ip.log.Logf(bus.KNL, bus.Diag, "received a %s", name)
	l := ip.getListener()
	var err error
	switch typ {
	case msgAcquire:
		err = ip.processAcquire(m, l)
	case msgExpire:
		err = processExpire(m, l)
	case msgMigrate:
		err = ip.processMigrate(m, l)
	case msgMapping:
		err = processMapping(m, l)
	}
	if err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "received invalid %s: %v", name, err)
	}
}

func (ip *IPsec) processAcquire(m []byte, l kernel.Listener) error {
	ev, err := parseAcquire(m)
	if err != nil {
		return err
	}
	for _, a := range ev.attrs {
		ip.log.Logf(bus.KNL, bus.Diag, "  %s", attrName(a))
	}
	if ev.wanted() && l != nil {
		// Without selectors (an unknown family) the acquire goes on by
		// reqid alone, as charon's does.
		src, dst := ev.src, ev.dst
		if !ev.hasTS {
			src, dst = selectors.TS{}, selectors.TS{}
		}
		l.Acquire(ev.reqid, src, dst)
	}
	return nil
}

func processExpire(m []byte, l kernel.Listener) error {
	ev, err := parseExpire(m)
	if err != nil {
		return err
	}
	if (ev.proto == kernel.ProtoESP || ev.proto == kernel.ProtoAH) && l != nil {
		l.Expire(ev.proto, ev.spi, ev.dst, ev.hard)
	}
	return nil
}

func (ip *IPsec) processMigrate(m []byte, l kernel.Listener) error {
	ev, err := parseMigrate(m)
	if err != nil {
		return err
	}
	if ev.hasTS {
		ip.log.Logf(bus.KNL, bus.Diag, "  policy: %s === %s %s", ev.src, ev.dst, ev.dir)
	}
	mi := 0
	for _, a := range ev.attrs {
		ip.log.Logf(bus.KNL, bus.Diag, "  %s", attrName(a))
		switch {
		case a == attrKmAddress:
			ip.log.Logf(bus.KNL, bus.Diag, "  kmaddress: %s...%s", hostString(ev.local), hostString(ev.remote))
		case a == attrMigrate && mi < len(ev.migrations):
			mg := ev.migrations[mi]
			mi++
			ip.log.Logf(bus.KNL, bus.Diag, "  migrate %s...%s to %s...%s, reqid {%d}", hostString(mg.oldSrc),
				hostString(mg.oldDst), hostString(mg.newSrc), hostString(mg.newDst), mg.reqid)
		}
	}
	if ev.hasTS && ev.local.IsValid() && ev.remote.IsValid() && l != nil {
		l.Migrate(ev.reqid, ev.src, ev.dst, ev.dir, ev.local, ev.remote)
	}
	return nil
}

func processMapping(m []byte, l kernel.Listener) error {
	ev, err := parseMapping(m)
	if err != nil {
		return err
	}
	if ev.proto == kernel.ProtoESP && l != nil {
		l.Mapping(ev.proto, ev.spi, ev.dst, ev.new)
	}
	return nil
}
