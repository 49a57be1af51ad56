package tasks

import (
	"bytes"
	"crypto/md5"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// knownVID is a vendor ID charon recognises.
type knownVID struct {
	desc   string
	ext    sa.Extension
	data   []byte
	prefix bool // match a prefix only (version bytes follow)
}

func md5Sum(s string) []byte { h := md5.Sum([]byte(s)); return h[:] }

// knownVIDs are the vendor IDs charon names in its log; the strongSwan one
// (MD5 of "strongSwan") enables private-use algorithms with the peer.
var knownVIDs = []knownVID{
	{desc: "strongSwan", ext: sa.ExtStrongSwan, data: md5Sum("strongSwan")},
	{desc: "Cisco Delete Reason", data: []byte("CISCO-DELETE-REASON")},
	{desc: "Cisco FlexVPN Supported", data: []byte("FLEXVPN-SUPPORTED")},
	{desc: "Cisco Copyright (c) 2009", data: []byte("CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.")},
	{desc: "FRAGMENTATION", data: md5Sum("FRAGMENTATION")},
}

// IKEVendor sends and recognises vendor ID payloads, ike_vendor.c. charon
// sends its own only with charon.send_vendor_id.
type IKEVendor struct {
	ike       *sa.IKESA
	initiator bool
}

// NewIKEVendor creates the task.
func NewIKEVendor(ike *sa.IKESA, initiator bool) *IKEVendor {
	return &IKEVendor{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEVendor) Type() sa.TaskType { return sa.TaskIKEVendor }

// Migrate implements sa.Task.
func (t *IKEVendor) Migrate(ike *sa.IKESA) { t.ike = ike }

// Build implements sa.Task.
func (t *IKEVendor) Build(m *encoding.Message) sa.Status {
	if t.ike.Env().Settings.SendVendorID {
		t.ike.Log(bus.IKE, bus.Diag, "sending %s vendor ID", knownVIDs[0].desc)
		m.Add(&encoding.VendorID{Data: knownVIDs[0].data})
	}
	if t.initiator {
		return sa.NeedMore
	}
	return sa.Success
}

// Process implements sa.Task.
func (t *IKEVendor) Process(m *encoding.Message) sa.Status {
	for _, p := range m.Get(encoding.PayloadVendorID) {
		v := p.(*encoding.VendorID)
		found := false
		for _, k := range knownVIDs {
			if bytes.Equal(v.Data, k.data) || (k.prefix && bytes.HasPrefix(v.Data, k.data)) {
				t.ike.Log(bus.IKE, bus.Control, "received %s vendor ID", k.desc)
				if k.ext != 0 {
					t.ike.Enable(k.ext)
				}
				found = true
				break
			}
		}
		if !found {
			t.ike.Log(bus.ENC, bus.Control, "received unknown vendor ID: %s", colonHex(v.Data))
		}
	}
	if t.initiator {
		return sa.Success
	}
	return sa.NeedMore
}

// colonHex prints bytes as charon's %#B: hex pairs separated by colons.
func colonHex(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}
