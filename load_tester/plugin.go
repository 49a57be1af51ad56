package load_tester

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
)

// Deps are what the plugin needs of the daemon.
type Deps struct {
	Env *sa.Env
	// Sleep waits between initiations (time.Sleep in charon; tests pass
	// their own).
	Sleep func(time.Duration)
	// Shutdown stops the daemon (charon raises SIGTERM).
	Shutdown func()
	Log      bus.Logger
	// Go runs an initiator (charon queues a critical job for each);
	// nil starts a goroutine. Tests run them in place.
	Go func(func())
}

// Plugin is a running load tester.
type Plugin struct {
	o       Options
	d       Deps
	backend *Backend
	keys    *credentials.SharedSet

	established, terminated atomic.Int64
	shutdownOn              int64
	stop                    atomic.Bool
	running                 sync.WaitGroup
}

// Start registers the config backend, the PSK and the listener, and
// starts the initiators (register_load_tester).
func Start(o Options, d Deps) *Plugin {
	if d.Log == nil {
		d.Log = bus.Discard
	}
	if d.Sleep == nil {
		d.Sleep = time.Sleep
	}
	if d.Go == nil {
		d.Go = func(f func()) { go f() }
	}
	st := d.Env.Settings
	p := &Plugin{o: o, d: d, backend: NewBackend(o, st.Port, st.NATTPort, st.ReplayWindow, d.Log)}
	d.Env.Backends.AddBackend(p.backend)
	p.keys = &credentials.SharedSet{}
	p.keys.AddUnique("load-tester", credentials.NewSharedKey(credentials.SharedIKE, []byte(o.PreSharedKey)))
	d.Env.Creds.AddSet(p.keys)
	if o.ShutdownWhenComplete {
		p.shutdownOn = int64(o.Iterations) * int64(o.Initiators)
	}
	d.Env.Events.Add(p)
	for i := 0; i < o.Initiators; i++ {
		p.running.Add(1)
		d.Go(p.initiator)
	}
	return p
}

// Backend is the plugin's config backend.
func (p *Plugin) Backend() *Backend { return p.backend }

// Established counts the IKE_SAs up now (established minus terminated).
func (p *Plugin) Established() int64 { return p.established.Load() - p.terminated.Load() }

// Stop ends the initiators and unregisters everything.
func (p *Plugin) Stop() {
	p.stop.Store(true)
	p.running.Wait()
	p.d.Env.Backends.RemoveBackend(p.backend)
	p.d.Env.Creds.RemoveSet(p.keys)
	p.d.Env.Events.Remove(p)
}

// initiator is do_load_test: iterations of initiations of fresh configs,
// held back while too many IKE_SAs are half open.
func (p *Plugin) initiator() {
	defer p.running.Done()
	delay := time.Duration(p.o.Delay) * time.Millisecond
	m := p.d.Env.Manager
	for i := 0; p.o.Iterations == 0 || i < p.o.Iterations; i++ {
		if p.stop.Load() {
			return
		}
		for p.o.InitLimit > 0 && int64(m.Count())-p.Established() > int64(p.o.InitLimit) {
			if p.stop.Load() {
				return
			}
			// charon sleeps the initiation delay here, which may be 0
			p.d.Sleep(max(delay, time.Millisecond))
		}
		peer := p.backend.PeerCfgByName(Name)
		children := peer.Children()
		if len(children) == 0 {
			return
		}
		child := children[0]
		m.Queue(processing.Medium, "initiate", func(thread int) {
			ike := m.CheckoutByConfig(peer, thread)
			if ike == nil {
				return
			}
			if s := ike.Initiate(child, nil); s == sa.DestroyMe || s == sa.Failed {
				m.CheckinAndDestroy(ike)
				return
			}
			m.Checkin(ike)
		})
		if delay > 0 {
			p.d.Sleep(delay)
		}
	}
}

// IKEUpdown implements sa.IKEUpdownListener (load_tester_listener.c).
func (p *Plugin) IKEUpdown(ike *sa.IKESA, up bool) bool {
	if !up {
		p.terminated.Add(1)
		return true
	}
	n := p.established.Add(1)
	if p.o.DeleteAfterEstablished {
		p.d.Env.Manager.ScheduleIKE(ike.ID(), 0, "delete_ike_sa", func(x *sa.IKESA) sa.Status { return x.DeleteJob(true) })
	}
	if ike.ID().Initiator && p.shutdownOn != 0 && n == p.shutdownOn {
		p.d.Log.Logf(bus.CFG, bus.Control, "load-test complete, raising SIGTERM")
		if p.d.Shutdown != nil {
			go p.d.Shutdown()
		}
	}
	return true
}
