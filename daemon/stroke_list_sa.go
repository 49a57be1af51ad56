package daemon

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// The IKE_SA, CHILD_SA and authentication lines of the status output
// (stroke_list.c log_ike_sa, log_child_sa, log_task_q, log_auth_cfgs).

// writeIKESA writes an IKE_SA's line and, for statusall, its SPIs, rekey
// times, proposal and task queues. The SA is checked out by the caller.
func writeIKESA(p *printer, ike *sa.IKESA, all bool, now time.Time) {
	prefix := name12(ike.Name()) + "[" + strconv.FormatUint(uint64(ike.UniqueID()), 10) + "]: "
	state := ike.State()
	p.print(prefix + state.String())
	if state == sa.IKEEstablished {
		p.printf(" %s ago", formatDelta(now, ike.Statistic(sa.StatEstablished)))
	}
	p.printf(", %s[%s]...%s[%s]\n", formatHost(ike.MyHost().Addr()), formatID(ike.MyID()),
		formatHost(ike.OtherHost().Addr()), formatID(ike.OtherID()))
	if !all {
		return
	}

	// goswan speaks IKEv2 only, so a differing remote identity is always
	// an EAP one (IKEv1 would say XAuth).
	if eap, other := ike.OtherEAPID(), ike.OtherID(); eap != nil && !eap.Equals(other) {
		p.printf("%sRemote EAP identity: %s\n", prefix, formatID(eap))
	}
	id := ike.ID()
	p.printf("%sIKEv2 SPIs: %016x_i%s %016x_r%s", prefix, id.SPIi, star(id.Initiator), id.SPIr, star(!id.Initiator))
	if state == sa.IKEEstablished {
		rekey, reauth := ike.Statistic(sa.StatRekey), ike.Statistic(sa.StatReauth)
		if !rekey.IsZero() {
			p.printf(", rekeying in %s", formatDelta(rekey, now))
		}
		if !reauth.IsZero() {
			var classes []string
			if peer := ike.PeerCfg(); peer != nil {
				for _, a := range peer.LocalAuth {
					classes = append(classes, authClassName(a.Class))
				}
			}
			p.printf(", %s reauthentication in %s", strings.Join(classes, "+"), formatDelta(reauth, now))
		}
		if rekey.IsZero() && reauth.IsZero() {
			p.print(", rekeying disabled")
		}
	}
	p.print("\n")
	if prop := ike.Proposal(); prop != nil {
		// charon prints %P and skips its "IKE:" prefix.
		s := prop.String()
		if len(s) >= 4 {
			s = s[4:]
		}
		p.printf("%sIKE proposal: %s\n", prefix, s)
	}
	if tm := ike.TaskManager(); tm != nil {
		writeTaskQueue(p, prefix, tm.Tasks(sa.QueueQueued), "queued")
		writeTaskQueue(p, prefix, tm.Tasks(sa.QueueActive), "active")
		writeTaskQueue(p, prefix, tm.Tasks(sa.QueuePassive), "passive")
	}
}

func star(ours bool) string {
	if ours {
		return "*"
	}
	return ""
}

// writeTaskQueue writes "Tasks queued: IKE_INIT IKE_NATD " (each name
// followed by a space) unless the queue is empty.
func writeTaskQueue(p *printer, prefix string, tasks []sa.Task, queue string) {
	if len(tasks) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(prefix + "Tasks " + queue + ": ")
	for _, t := range tasks {
		b.WriteString(t.Type().String())
		b.WriteByte(' ')
	}
	b.WriteByte('\n')
	p.print(b.String())
}

// writeChildSA writes a CHILD_SA: state, mode, reqid and SPIs; for
// statusall the algorithms, traffic and rekey time of an installed SA; and
// the traffic selectors.
func writeChildSA(p *printer, c *sa.ChildSA, all bool, now time.Time) {
	name, uid, state := c.Name(), c.UniqueID(), c.State()
	writeChildHead(p, name, uid, state, c.Mode(), c.Config().Has(config.OptProxyMode), c.ReqID())
	switch state {
	case sa.ChildInstalled:
		encap := ""
		if c.Encap() {
			encap = " in UDP"
		}
		p.printf(", %s%s SPIs: %08x_i %08x_o", sa.ProtoName(c.Protocol()), encap, c.SPI(true), c.SPI(false))
		if c.IPComp() != 0 {
			p.printf(", IPCOMP CPIs: %04x_i %04x_o", c.CPI(true), c.CPI(false))
		}
		if all {
			p.printf("\n%s{%d}:  ", name12(name), uid)
			writeChildAlgorithms(p, c.Proposal())
			writeUsage(p, c, true, now)
			writeUsage(p, c, false, now)
			p.print(", rekeying ")
			switch rekey := c.Lifetime(false); {
			case rekey.IsZero():
				p.print("disabled")
			case now.After(rekey):
				p.print("active")
			default:
				p.printf("in %s", formatDelta(now, rekey))
			}
		}
	case sa.ChildRekeying, sa.ChildRekeyed:
		p.printf(", expires in %s", formatDelta(now, c.Lifetime(true)))
	}
	writeChildTS(p, name, uid, c.TS(true), c.TS(false))
}

// writeChildHead writes "name{N}:  STATE, MODE, reqid R" without newline.
func writeChildHead(p *printer, name string, uid uint32, state sa.ChildState, mode kernel.Mode, proxy bool, reqid uint32) {
	suffix := ""
	if proxy {
		suffix = "_PROXY"
	}
	p.printf("%s{%d}:  %s, %s%s, reqid %d", name12(name), uid, state, modeName(mode), suffix, reqid)
}

// writeChildTS ends the previous line and writes the selector line.
func writeChildTS(p *printer, name string, uid uint32, local, remote []selectors.TS) {
	p.printf("\n%s{%d}:   %s === %s\n", name12(name), uid, selectors.List(local), selectors.List(remote))
}

// writeChildAlgorithms writes "AES_CBC_128/HMAC_SHA2_256_128[/DH][/ESN]".
func writeChildAlgorithms(p *printer, prop *config.Proposal) {
	if prop == nil {
		return
	}
	var b strings.Builder
	if t, ok := prop.Algorithm(crypto.TransformEncryption); ok && crypto.EncryptionAlgorithm(t.ID) != crypto.EncrUndefined {
		b.WriteString(crypto.EncryptionAlgorithm(t.ID).String())
		if t.KeyLength != 0 {
			b.WriteString("_" + strconv.Itoa(int(t.KeyLength)))
		}
	}
	if t, ok := prop.Algorithm(crypto.TransformIntegrity); ok && crypto.IntegrityAlgorithm(t.ID) != crypto.AuthUndefined {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(crypto.IntegrityAlgorithm(t.ID).String())
		if t.KeyLength != 0 {
			b.WriteString("_" + strconv.Itoa(int(t.KeyLength)))
		}
	}
	if t, ok := prop.Algorithm(crypto.TransformKeyExchange); ok {
		b.WriteString("/" + crypto.KeyExchangeMethod(t.ID).String())
	}
	if t, ok := prop.Algorithm(crypto.TransformExtendedSeqs); ok && crypto.ExtendedSequenceNumbers(t.ID) == crypto.ExtSeq {
		b.WriteString("/ESN")
	}
	p.print(b.String())
}

// writeUsage writes ", N bytes_i (P pkts, Ss ago)" for one direction; the
// part in parentheses only once the SA was used.
func writeUsage(p *printer, c *sa.ChildSA, inbound bool, now time.Time) {
	bytes, packets, last := c.UsageStats(inbound)
	dir := "o"
	if inbound {
		dir = "i"
	}
	p.printf(", %d bytes_%s", bytes, dir)
	if last.IsZero() {
		return
	}
	plural := "s"
	if packets == 1 {
		plural = ""
	}
	ago := max(int64(now.Sub(last)/time.Second), 0)
	p.printf(" (%d pkt%s, %ds ago)", packets, plural, ago)
}

// authClassName is auth_class_names.
func authClassName(c config.AuthClass) string {
	if c <= config.AuthClassXAuth {
		return c.String()
	}
	return "(" + strconv.Itoa(int(c)) + ")"
}

func eapTypeName(t uint32) string { return config.EAPTypeName(t) }

// writeAuthCfgs writes the local or remote authentication rounds of a
// connection for statusall.
func writeAuthCfgs(p *printer, peerName string, auths []*config.AuthCfg, local bool) {
	name := name12(peerName)
	side := "remote:"
	if local {
		side = "local: "
	}
	for _, a := range auths {
		if a == nil {
			continue
		}
		var b strings.Builder
		b.WriteString(name + ":   " + side)
		// charon keeps no identity rule for %any.
		if a.Identity != nil && a.Identity.Type() != credentials.IDAny {
			b.WriteString(" [" + formatID(a.Identity) + "]")
		}
		b.WriteString(" uses ")
		switch a.Class {
		case config.AuthClassEAP:
			switch {
			// An unset EAP type is EAP_NAK: any method the peer proposes.
			case a.EAPType == 0 || a.EAPType == config.EAPNak:
				b.WriteString("EAP authentication")
			case a.EAPVendor != 0:
				b.WriteString("EAP_" + strconv.Itoa(int(a.EAPType)) + "-" +
					strconv.FormatUint(uint64(a.EAPVendor), 10) + " authentication")
			default:
				b.WriteString(eapTypeName(a.EAPType) + " authentication")
			}
			if a.EAPIdentity != nil {
				b.WriteString(" with EAP identity '" + formatID(a.EAPIdentity) + "'")
			}
		case config.AuthClassXAuth:
			backend := a.XAuthBackend
			if backend == "" {
				backend = "any"
			}
			b.WriteString(authClassName(a.Class) + " authentication: " + backend)
			if a.XAuthIdentity != nil {
				b.WriteString(" with XAuth identity '" + formatID(a.XAuthIdentity) + "'")
			}
		default:
			b.WriteString(authClassName(a.Class) + " authentication")
		}
		b.WriteByte('\n')
		for _, c := range []struct {
			label string
			certs []*credentials.Certificate
		}{{"ca:    ", a.CACerts}, {"im-ca: ", a.IMCerts}, {"cert:  ", a.SubjectCerts}} {
			if len(c.certs) > 0 {
				b.WriteString(name + ":    " + c.label + "\"" + formatID(c.certs[0].Subject()) + "\"\n")
			}
		}
		for _, v := range []struct {
			label string
			valid []credentials.Validation
		}{{"ocsp:  ", a.OCSPValidation}, {"crl:   ", a.CRLValidation}} {
			// charon prints the worst status required, if any.
			if len(v.valid) == 0 {
				continue
			}
			switch slices.Max(v.valid) {
			case credentials.ValidationSkipped:
				b.WriteString(name + ":    " + v.label + "status must be GOOD or SKIPPED\n")
			case credentials.ValidationGood:
				b.WriteString(name + ":    " + v.label + "status must be GOOD\n")
			}
		}
		for _, g := range a.Groups {
			b.WriteString(name + ":    group: " + formatID(g) + "\n")
		}
		p.print(b.String())
	}
}
