package eap

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/goswan/goswan/credentials"
)

// fuzzContext is a conversation between moon (server) and carol (peer)
// who share an EAP secret.
func fuzzContext() *Context {
	creds := credentials.NewStore()
	creds.Add(credentials.NewSharedKey(credentials.SharedEAP, []byte("Ar3etTnp"), "carol"))
	return &Context{
		Env:    &Env{Rand: rand.Reader, Creds: creds, Now: time.Now, TLS: DefaultTLSSettings()},
		Server: credentials.ParseIdentity("moon.strongswan.org"), Peer: credentials.ParseIdentity("carol"),
	}
}

// FuzzMethods: every method of the eap-* plugins, as server (after its
// first request) and as peer, takes any two packets a peer or server may
// send without panicking, and whatever it answers is a packet with a
// correct length.
func FuzzMethods(f *testing.F) {
	for _, plugin := range Plugins {
		for _, x := range plugin {
			if x.Role != Server {
				continue
			}
			if req, st := x.New(fuzzContext()).Initiate(); st == NeedMore {
				f.Add(req, []byte{})
			}
		}
	}
	f.Add([]byte{2, 1, 0, 10, 1, 'c', 'a', 'r', 'o', 'l'}, []byte{2, 2, 0, 22, 4, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{2, 1, 0, 6, 3, 26}, []byte{3, 1, 0, 4})
	f.Add([]byte{1, 1, 0, 12, 254, 0, 0, 0, 0, 0, 0, 4}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		_ = Code(a)
		_ = Identifier(a)
		_, _ = PacketType(a)
		for name, plugin := range Plugins {
			for _, x := range plugin {
				m := x.New(fuzzContext())
				if m == nil {
					continue
				}
				st := NeedMore
				if x.Role == Server {
					_, st = m.Initiate()
				}
				for _, in := range [][]byte{a, b} {
					if st != NeedMore {
						break
					}
					var out []byte
					out, st = m.Process(in)
					if len(out) > 0 && (len(out) < 4 || int(out[2])<<8|int(out[3]) != len(out)) {
						t.Fatalf("%s (role %d) answers %x to %x", name, x.Role, out, in)
					}
				}
				_, _ = m.MSK()
				if p, ok := m.(AuthProvider); ok {
					_ = p.Auth()
				}
				m.Destroy()
			}
		}
	})
}
