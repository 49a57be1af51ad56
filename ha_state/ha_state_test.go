package ha_state_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/ha_state"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

const carolPSK = "0scarolsecretsecretsecret"

// gateway starts moon (again) at 192.168.0.1 with its pool, conn rw and
// the plugin on file; the conn comes last, as starter sends it after
// charon started.
func gateway(t *testing.T, s *ikesim.Sim, seed int64, file string) (*ikesim.Node, *attributes.Pools, *ha_state.Plugin) {
	moon := s.AddNode("moon", "192.168.0.1", seed, func(st *sa.Settings) { st.MIDSyncResponder = true })
	pools := attributes.NewPools()
	pools.Add(attributes.NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil))
	moon.Env.Attributes.AddProvider(pools)
	p := ha_state.Start(ha_state.Options{File: file, RestoreDelay: time.Second},
		ha_state.Deps{Env: moon.Env, Manager: moon.Mgr, Pools: pools, Log: bus.Ctx{Bus: moon.Env.Bus}})
	moon.PSK(carolPSK, "carol@strongswan.org", "@moon.strongswan.org")
	moon.Conn(t, ikesim.ConnOpts{Name: "rw", Local: "192.168.0.1", Remote: "%any", LocalID: "@moon.strongswan.org",
		RemoteID: "%any", LocalNet: []string{"10.1.0.0/16"}, Pools: []string{"10.3.0.0/28"}, PSK: carolPSK})
	return moon, pools, p
}

// TestRestartFromSavedState: moon saves carol's IKE_SA when it comes up;
// carol's DPDs then move the message IDs on without moon saving them;
// moon crashes and a new moon takes the IKE_SA and carol's lease up from
// the file, synchronizes the message IDs with carol (RFC 6311) and rekeys
// the CHILD_SA, whose keys were not saved; DPDs work both ways after.
func TestRestartFromSavedState(t *testing.T) {
	s := ikesim.New(t)
	file := filepath.Join(t.TempDir(), "ha-state")
	moon, _, _ := gateway(t, s, 1, file)
	carol := s.AddNode("carol", "192.168.0.100", 2, nil)
	peer, child := carol.Conn(t, ikesim.ConnOpts{Name: "home", Local: "192.168.0.100", Remote: "192.168.0.1",
		LocalID: "carol@strongswan.org", RemoteID: "@moon.strongswan.org", RemoteNet: []string{"10.1.0.0/16"},
		VirtualIPs: []string{"0.0.0.0"}, PSK: carolPSK})
	carol.Initiate(peer, child)
	s.Advance(2 * time.Second)
	carol.WantEstablished(t, 1)
	old := carol.OnlyIKESA(t).Children()[0].SPI(true)
	st, err := ha_state.Load(file)
	if err != nil || len(st.IKESAs) != 1 || len(st.Pools) != 1 {
		t.Fatalf("saved state %+v, %v", st, err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file %v, %v", fi.Mode(), err)
	}
	// three DPDs from carol: moon's responder counter moves from 2 to 5,
	// the file still says 2
	for range 3 {
		carol.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.SendDPD() })
		s.Advance(time.Second)
	}
	if st, _ := ha_state.Load(file); st.IKESAs[0].RespondMID != 2 {
		t.Errorf("saved responder message ID %d, want the stale 2", st.IKESAs[0].RespondMID)
	}

	moon2, pools2, p2 := gateway(t, s, 3, file)
	// a kernel's SPIs are not handed out twice, and the crashed daemon's
	// inbound SA still holds its SPI there (XFRM; libipsec's are random):
	// the fake kernel, counting from the same start, must skip it
	if spi, err := moon2.Kern.GetSPI(carol.Addr, moon2.Addr, kernel.ProtoESP, 0); err != nil || spi != old {
		t.Fatalf("SPI %x, %v", spi, err)
	}
	_ = moon2.Kern.DelSA(kernel.SAID{Src: carol.Addr, Dst: moon2.Addr, Proto: kernel.ProtoESP, SPI: old}, 0)
	// the crashed daemon's SAs are still in the kernel (XFRM keeps them
	// after kill -9); the restored CHILD_SA must take them with it when
	// its rekey replaces it
	moonIn, moonOut := carol.OnlyIKESA(t).Children()[0].SPI(false), old
	crashed := []kernel.SAID{
		{Src: carol.Addr, Dst: moon2.Addr, Proto: kernel.ProtoESP, SPI: moonIn},
		{Src: moon2.Addr, Dst: carol.Addr, Proto: kernel.ProtoESP, SPI: moonOut},
	}
	for _, id := range crashed {
		if err := moon2.Kern.AddSA(id, kernel.AddSA{Mode: kernel.ModeTunnel}); err != nil {
			t.Fatal(err)
		}
	}
	// past the restore delay and the rekeyed SA's delete_rekeyed_delay
	s.Advance(10 * time.Second)
	moon2.WantLog(t, "[CFG] ha-state: loaded 1 IKE_SA and 1 pool from "+file,
		"[CFG] ha-state: restored the leases of pool '10.3.0.0/28'",
		"[IKE] restored IKE_SA rw[1] between 192.168.0.1[moon.strongswan.org]...192.168.0.100[carol@strongswan.org], message IDs 0/2",
		"[IKE] synchronized message IDs: initiating 1000[1000], responding 5[2]")
	carol.WantLog(t, "[IKE] responder requested MID sync: initiating 5[5], responding 1000[0]")
	ike := carol.WantEstablished(t, 1)
	if c := ike.Children()[0]; c.SPI(true) == old || c.State() != sa.ChildInstalled {
		t.Errorf("carol's CHILD_SA %x in %s, not rekeyed", c.SPI(true), c.State())
	}
	moon2.CheckSane(t)
	carol.CheckSane(t)
	if sas := moon2.Kern.SAs(); len(sas) != 2 || slices.Contains(sas, crashed[0]) || slices.Contains(sas, crashed[1]) {
		t.Errorf("moon's kernel holds %v, want the rekeyed CHILD_SA's two SAs and not the crashed daemon's", sas)
	}
	if info := pools2.List(); info[0].Online != 1 {
		t.Errorf("pool after the restart %+v", info)
	}
	// both directions still talk: a DPD each way
	carol.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.SendDPD() })
	moon2.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.SendDPD() })
	s.Advance(time.Minute)
	carol.WantEstablished(t, 1)
	moon2.WantEstablished(t, 1)
	if n := moon2.CountLog("retransmit"); n != 0 {
		t.Errorf("%d retransmissions after the restart:\n%s", n, moon2.LogText())
	}
	_ = moon
	p2.Stop()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("state file left after an orderly stop: %v", err)
	}
}

// FuzzRestore: whatever a state file holds, reading it and taking its
// IKE_SAs up on a gateway with the connection they name does not panic,
// and what is taken up is a sane established IKE_SA.
func FuzzRestore(f *testing.F) {
	s := ikesim.New(f)
	file := filepath.Join(f.TempDir(), "ha-state")
	_, _, _ = gateway(&testing.T{}, s, 1, file)
	carol := s.AddNode("carol", "192.168.0.100", 2, nil)
	peer, child := carol.Conn(&testing.T{}, ikesim.ConnOpts{Name: "home", Local: "192.168.0.100", Remote: "192.168.0.1",
		LocalID: "carol@strongswan.org", RemoteID: "@moon.strongswan.org", RemoteNet: []string{"10.1.0.0/16"},
		VirtualIPs: []string{"0.0.0.0"}, PSK: carolPSK})
	carol.Initiate(peer, child)
	s.Advance(2 * time.Second)
	if b, err := os.ReadFile(file); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"Version":1,"IKESAs":[{"PeerCfg":"rw","Proposal":{"Protocol":1},"Children":[{"Config":"rw"}]}]}`))
	f.Add([]byte(`{"Version":1,"Pools":[{"Name":"10.3.0.0/28","Base":"10.3.0.0","Size":14,"Unused":99}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ha_state.Parse(b)
		if err != nil {
			return
		}
		s := ikesim.New(t)
		moon, pools, _ := gateway(t, s, 1, filepath.Join(t.TempDir(), "ha-state"))
		pools.Restore(st.Pools)
		peer := moon.Env.Backends.ByName("rw")
		for _, saved := range st.IKESAs {
			ike, err := moon.Mgr.Restore(saved, peer, 1)
			if err != nil {
				continue
			}
			if ike.State() != sa.IKEEstablished {
				t.Errorf("restored IKE_SA in %s", ike.State())
			}
			moon.Mgr.Checkin(ike)
		}
		moon.CheckSane(t)
	})
}
