package sa

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
)

// VerifyPeerCertificate checks the peer's certificates again, now with
// online revocation checks (ike_sa.c verify_peer_certificate): a
// make-before-break reauthentication suspends them during IKE_AUTH, so
// that the new CHILD_SAs are not delayed by, or depend on, fetching a CRL
// or asking an OCSP responder, and verifies afterwards
// (ike_verify_peer_cert).
func (ike *IKESA) VerifyPeerCertificate() bool {
	if ike.state != IKEEstablished {
		ike.Log(bus.IKE, bus.Control, "unable to verify peer certificate in state %s", ike.state)
		return false
	}
	ike.SetCondition(CondOnlineValidationSuspended, false)
	done := ike.AuthCfgs(false)
	for i, cfg := range ike.peerCfg.RemoteAuth {
		if i >= len(done) {
			// Cannot happen: the authentication would have failed.
			return false
		}
		if done[i].Class != config.AuthClassPubkey {
			continue
		}
		if !ike.verifyRound(cfg, done[i]) {
			return false
		}
	}
	return true
}

// verifyRound checks one completed public key round against its
// configured one.
func (ike *IKESA) verifyRound(cfg, done *config.AuthCfg) bool {
	peer := done.AuthRules.Subject()
	if peer == nil {
		ike.Log(bus.IKE, bus.Control, "no subject certificate found, skipping certificate verification")
		return true
	}
	if now := ike.env.Clock.Now(); !peer.ValidAt(now) {
		ike.Log(bus.IKE, bus.Control, "peer certificate invalid (valid from %s to %s)",
			credentials.FormatTime(peer.NotBefore(), false), credentials.FormatTime(peer.NotAfter(), false))
		return false
	}
	key := peer.PublicKey()
	if key == nil || ike.env.Certs == nil {
		ike.Log(bus.IKE, bus.Control, "unable to retrieve public key, skipping certificate verification")
		return true
	}
	ike.Log(bus.IKE, bus.Control, "verifying peer certificate")
	// The certificates the peer sent serve the chain again.
	h := &credentials.Helpers{Subject: peer, IM: done.AuthRules.IMCerts}
	found, valid := false, false
	ike.env.Certs.Trusted(key.Type(), peer.Subject(), true, h, ike.CredLog(), func(tc credentials.TrustedCert) bool {
		if !tc.Cert.Equal(peer) {
			return true
		}
		done.AuthRules.ValidationSuspended = false
		done.AuthRules.Merge(tc.Rules)
		valid = done.Complies(cfg, ike.CredLog())
		found = true
		return false
	})
	return found && valid
}
