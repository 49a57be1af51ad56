package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

func dpd(n *ikesim.Node, t *testing.T) {
	n.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.TaskManager().QueueDPD()
		return ike.TaskManager().Initiate()
	})
}

// TestMIDSync: moon, a gateway that announces MID sync, loses the latest
// message IDs (restored from an older state); it synchronizes with carol
// in an INFORMATIONAL with ID 0, after which both sides' requests are
// accepted again (RFC 6311).
func TestMIDSync(t *testing.T) {
	s := ikesim.New(t)
	carol := s.AddNode("carol", "192.168.0.100", 1, nil)
	moon := s.AddNode("moon", "192.168.0.1", 2, func(st *sa.Settings) { st.MIDSyncResponder = true })
	cp, cc := carol.Conn(t, ikesim.ConnOpts{Name: "home", Local: "192.168.0.100", Remote: "192.168.0.1",
		LocalID: "carol@strongswan.org", RemoteID: "moon.strongswan.org", RemoteNet: []string{"10.1.0.0/16"}})
	moon.Conn(t, ikesim.ConnOpts{Name: "rw", Local: "192.168.0.1", Remote: "%any",
		LocalID: "moon.strongswan.org", RemoteID: "carol@strongswan.org", LocalNet: []string{"10.1.0.0/16"}})
	carol.Initiate(cp, cc)
	s.Advance(time.Second)
	if !carol.WantEstablished(t, 1).Supports(sa.ExtIKEMessageIDSync) {
		t.Fatal("moon did not announce MID sync")
	}
	for range 3 {
		dpd(carol, t)
		s.Advance(time.Second)
	}
	for range 2 {
		dpd(moon, t)
		s.Advance(time.Second)
	}
	// the restored state is older: moon forgot its last two requests and
	// carol's last four
	moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		tm := ike.TaskManager()
		tm.SetMessageID(true, 0)
		tm.SetMessageID(false, 1)
		tm.QueueMIDSync()
		return tm.Initiate()
	})
	s.Advance(time.Second)
	moon.WantLog(t, "[ENC] generating INFORMATIONAL request 0 [ N(MSG_ID_SYN) ]",
		"[IKE] synchronized message IDs: initiating 1000[1000], responding 5[1]")
	carol.WantLog(t, "[IKE] responder requested MID sync: initiating 5[5], responding 1000[2]",
		"[ENC] generating INFORMATIONAL response 0 [ N(MSG_ID_SYN) ]")
	dpd(moon, t)
	s.Advance(time.Second)
	dpd(carol, t)
	s.Advance(time.Second)
	moon.WantLog(t, "[ENC] parsed INFORMATIONAL response 1000 [ ]", "[ENC] parsed INFORMATIONAL request 5 [ ]")
	moon.NoLog(t, "expected")
	carol.NoLog(t, "expected")
	moon.WantEstablished(t, 1)
	carol.WantEstablished(t, 1)
}

// TestMIDSyncUnannounced: without the announcement a client ignores a
// message with ID 0.
func TestMIDSyncUnannounced(t *testing.T) {
	s := ikesim.New(t)
	carol := s.AddNode("carol", "192.168.0.100", 1, nil)
	moon := s.AddNode("moon", "192.168.0.1", 2, nil)
	cp, cc := carol.Conn(t, ikesim.ConnOpts{Name: "home", Local: "192.168.0.100", Remote: "192.168.0.1",
		LocalID: "carol@strongswan.org", RemoteID: "moon.strongswan.org", RemoteNet: []string{"10.1.0.0/16"}})
	moon.Conn(t, ikesim.ConnOpts{Name: "rw", Local: "192.168.0.1", Remote: "%any",
		LocalID: "moon.strongswan.org", RemoteID: "carol@strongswan.org", LocalNet: []string{"10.1.0.0/16"}})
	carol.Initiate(cp, cc)
	s.Advance(time.Second)
	moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.TaskManager().QueueMIDSync()
		return ike.TaskManager().Initiate()
	})
	s.Advance(time.Second)
	// moon knows carol supports it, but carol did not hear moon say so
	carol.WantLog(t, "[ENC] unexpected IKEV2_MESSAGE_ID_SYNC notify, ignored", "[IKE] ignore invalid INFORMATIONAL request")
}
