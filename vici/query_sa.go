package vici

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// How IKE_SAs, CHILD_SAs and their configs appear in list-sas, the
// list-policy and list-conn events and the ike-/child- events
// (vici_query.c list_ike, list_child, list_mode).

// hostString is %H of a host without port.
func hostString(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "(null)"
	case a.IsUnspecified() && a.Is4():
		return "%any"
	case a.IsUnspecified():
		return "%any6"
	}
	return credentials.FromAddr(a).String()
}

// modeName is ipsec_mode_names, with "_PROXY" for transport_proxy.
func modeName(m kernel.Mode, cfg *config.ChildCfg) string {
	s := m.String()
	if m == kernel.ModeNone || m > kernel.ModeDrop {
		s = "(" + strconv.Itoa(int(m)) + ")"
	}
	if m == kernel.ModeTransport && cfg != nil && cfg.Has(config.OptProxyMode) {
		s += "_PROXY"
	}
	return s
}

// addMark is add_mark: the value, and the mask unless it is all ones.
func addMark(b *Builder, m kernel.Mark, label, maskLabel string) {
	if m.Value|m.Mask != 0 {
		b.KVf(label, "%.8x", m.Value)
		if ^m.Mask != 0 {
			b.KVf(maskLabel, "%.8x", m.Mask)
		}
	}
}

func tsList(b *Builder, name string, ts []selectors.TS) {
	b.BeginList(name)
	for _, t := range ts {
		b.Item(t.String())
	}
	b.EndList()
}

// listChildIPsec is list_child_ipsec.
func listChildIPsec(b *Builder, c *sa.ChildSA) {
	b.KV("protocol", sa.ProtoName(c.Protocol()))
	if c.Encap() {
		b.KV("encap", "yes")
	}
	b.KVf("spi-in", "%.8x", c.SPI(true))
	b.KVf("spi-out", "%.8x", c.SPI(false))
	if c.IPComp() != 0 {
		b.KVf("cpi-in", "%.4x", c.CPI(true))
		b.KVf("cpi-out", "%.4x", c.CPI(false))
	}
	addMark(b, c.Mark(true), "mark-in", "mark-mask-in")
	addMark(b, c.Mark(false), "mark-out", "mark-mask-out")
	if id := c.IfID(true); id != 0 {
		b.KVf("if-id-in", "%.8x", id)
	}
	if id := c.IfID(false); id != 0 {
		b.KVf("if-id-out", "%.8x", id)
	}
	prop := c.Proposal()
	if prop == nil {
		return
	}
	if t, ok := prop.Algorithm(crypto.TransformEncryption); ok && crypto.EncryptionAlgorithm(t.ID) != crypto.EncrUndefined {
		b.KV("encr-alg", crypto.EncryptionAlgorithm(t.ID).String())
		if t.KeyLength != 0 {
			b.KVf("encr-keysize", "%d", t.KeyLength)
		}
	}
	if t, ok := prop.Algorithm(crypto.TransformIntegrity); ok && crypto.IntegrityAlgorithm(t.ID) != crypto.AuthUndefined {
		b.KV("integ-alg", crypto.IntegrityAlgorithm(t.ID).String())
		if t.KeyLength != 0 {
			b.KVf("integ-keysize", "%d", t.KeyLength)
		}
	}
	if t, ok := prop.Algorithm(crypto.TransformKeyExchange); ok {
		b.KV("dh-group", crypto.KeyExchangeMethod(t.ID).String())
	}
	if t, ok := prop.Algorithm(crypto.TransformExtendedSeqs); ok && crypto.ExtendedSequenceNumbers(t.ID) == crypto.ExtSeq {
		b.KV("esn", "1")
	}
}

// seconds is the whole seconds from a to b, as time_t arithmetic.
func seconds(a, b time.Time) int64 { return b.Unix() - a.Unix() }

// listChildStats is list_child_stats.
func listChildStats(b *Builder, c *sa.ChildSA, now time.Time) {
	bytes, packets, last := c.UsageStats(true)
	b.KVf("bytes-in", "%d", bytes)
	b.KVf("packets-in", "%d", packets)
	if !last.IsZero() {
		b.KVf("use-in", "%d", uint64(seconds(last, now)))
	}
	bytes, packets, last = c.UsageStats(false)
	b.KVf("bytes-out", "%d", bytes)
	b.KVf("packets-out", "%d", packets)
	if !last.IsZero() {
		b.KVf("use-out", "%d", uint64(seconds(last, now)))
	}
	if t := c.Lifetime(false); !t.IsZero() {
		b.KVf("rekey-time", "%d", seconds(now, t))
	}
	if t := c.Lifetime(true); !t.IsZero() {
		b.KVf("life-time", "%d", seconds(now, t))
	}
	b.KVf("install-time", "%d", seconds(c.InstallTime(), now))
}

// listChild is list_child.
func listChild(b *Builder, c *sa.ChildSA, now time.Time) {
	b.KV("name", c.Name())
	b.KVf("uniqueid", "%d", c.UniqueID())
	b.KVf("reqid", "%d", c.ReqID())
	state := c.State()
	b.KV("state", state.String())
	b.KV("mode", modeName(c.Mode(), c.Config()))
	switch state {
	case sa.ChildInstalled, sa.ChildRekeying, sa.ChildRekeyed, sa.ChildDeleting, sa.ChildDeleted:
		listChildIPsec(b, c)
		listChildStats(b, c, now)
	}
	tsList(b, "local-ts", c.TS(true))
	tsList(b, "remote-ts", c.TS(false))
}

func childSectionName(c *sa.ChildSA) string { return fmt.Sprintf("%s-%d", c.Name(), c.UniqueID()) }

// listTaskQueue is list_task_queue: the list only if the queue has tasks.
func listTaskQueue(b *Builder, tm sa.TaskManager, q sa.TaskQueue, name string) {
	if tm == nil {
		return
	}
	tasks := tm.Tasks(q)
	if len(tasks) == 0 {
		return
	}
	b.BeginList(name)
	for _, t := range tasks {
		b.Item(t.Type().String())
	}
	b.EndList()
}

func listVIPs(b *Builder, vips []netip.Addr, name string) {
	if len(vips) == 0 {
		return
	}
	b.BeginList(name)
	for _, v := range vips {
		b.Item(hostString(v))
	}
	b.EndList()
}

func addCondition(b *Builder, ike *sa.IKESA, key string, c sa.Condition) {
	if ike.Has(c) {
		b.KV(key, "yes")
	}
}

// listIKE is list_ike, for an IKE_SA the caller has checked out.
func listIKE(b *Builder, ike *sa.IKESA, now time.Time) {
	b.KVf("uniqueid", "%d", ike.UniqueID())
	// goswan speaks IKEv2 only.
	b.KV("version", "2")
	b.KV("state", ike.State().String())
	me, other := ike.MyHost(), ike.OtherHost()
	b.KV("local-host", hostString(me.Addr()))
	b.KVf("local-port", "%d", me.Port())
	b.KV("local-id", idString(ike.MyID()))
	b.KV("remote-host", hostString(other.Addr()))
	b.KVf("remote-port", "%d", other.Port())
	b.KV("remote-id", idString(ike.OtherID()))
	if eap := ike.OtherEAPID(); eap != nil && !eap.Equals(ike.OtherID()) {
		b.KV("remote-eap-id", idString(eap))
	}
	id := ike.ID()
	if id.Initiator {
		b.KV("initiator", "yes")
	}
	b.KVf("initiator-spi", "%.16x", id.SPIi)
	b.KVf("responder-spi", "%.16x", id.SPIr)
	addCondition(b, ike, "nat-local", sa.CondNATHere)
	addCondition(b, ike, "nat-remote", sa.CondNATThere)
	addCondition(b, ike, "nat-fake", sa.CondNATFake)
	addCondition(b, ike, "nat-any", sa.CondNATAny)
	if v := ike.IfID(true); v != 0 {
		b.KVf("if-id-in", "%.8x", v)
	}
	if v := ike.IfID(false); v != 0 {
		b.KVf("if-id-out", "%.8x", v)
	}
	if prop := ike.Proposal(); prop != nil {
		if t, ok := prop.Algorithm(crypto.TransformEncryption); ok {
			b.KV("encr-alg", crypto.EncryptionAlgorithm(t.ID).String())
			if t.KeyLength != 0 {
				b.KVf("encr-keysize", "%d", t.KeyLength)
			}
		}
		if t, ok := prop.Algorithm(crypto.TransformIntegrity); ok {
			b.KV("integ-alg", crypto.IntegrityAlgorithm(t.ID).String())
			if t.KeyLength != 0 {
				b.KVf("integ-keysize", "%d", t.KeyLength)
			}
		}
		if t, ok := prop.Algorithm(crypto.TransformPRF); ok {
			b.KV("prf-alg", crypto.PRFAlgorithm(t.ID).String())
		}
		if t, ok := prop.Algorithm(crypto.TransformKeyExchange); ok {
			b.KV("dh-group", crypto.KeyExchangeMethod(t.ID).String())
		}
	}
	addCondition(b, ike, "ppk", sa.CondPPK)
	if ike.State() == sa.IKEEstablished {
		b.KVf("established", "%d", seconds(ike.Statistic(sa.StatEstablished), now))
		if t := ike.Statistic(sa.StatRekey); !t.IsZero() {
			b.KVf("rekey-time", "%d", seconds(now, t))
		}
		if t := ike.Statistic(sa.StatReauth); !t.IsZero() {
			b.KVf("reauth-time", "%d", seconds(now, t))
		}
	}
	listVIPs(b, ike.VirtualIPs(true), "local-vips")
	listVIPs(b, ike.VirtualIPs(false), "remote-vips")
	tm := ike.TaskManager()
	listTaskQueue(b, tm, sa.QueueQueued, "tasks-queued")
	listTaskQueue(b, tm, sa.QueueActive, "tasks-active")
	listTaskQueue(b, tm, sa.QueuePassive, "tasks-passive")
}

// idString is %Y; an IKE_SA that has not learned an identity yet shows
// %any.
func idString(id *credentials.Identity) string {
	if id == nil {
		return "%any"
	}
	return id.String()
}
