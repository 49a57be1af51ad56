package credentials

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

func TestSharedKeyString(t *testing.T) {
	tests := []struct {
		key  *SharedKey
		want string
	}{
		{NewSharedKey(SharedIKE, []byte("x"), "@moon.strongswan.org", "@sun.strongswan.org"),
			"IKE secret for @moon.strongswan.org @sun.strongswan.org"},
		{NewSharedKey(SharedEAP, []byte("x"), "carol"), "EAP secret for carol"},
		{NewSharedKey(SharedIKE, []byte("x")), "IKE secret for %any"},
		{&SharedKey{Type: SharedNTHash, Owners: []*Identity{ParseIdentity("@a"), ParseIdentity("C=CH, CN=b")}},
			"NTLM secret for a C=CH, CN=b"},
		{&SharedKey{Type: SharedPPK}, "PPK secret for %any"},
		{&SharedKey{Type: SharedIKE, Selectors: "@moon  \"C=CH, CN=x\""}, "IKE secret for @moon  \"C=CH, CN=x\""},
	}
	for _, tc := range tests {
		if got := tc.key.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	if got := "loaded " + NewSharedKey(SharedIKE, []byte("s3cr3t"), "@moon.strongswan.org", "@sun.strongswan.org").String(); got !=
		"loaded IKE secret for @moon.strongswan.org @sun.strongswan.org" {
		t.Errorf("charon's load line: %q", got)
	}
	k := NewSharedKey(SharedIKE, []byte("s3cr3t"), "@moon")
	s := fmt.Sprintf("%v %s %+v %#v %x %q %v", k, k, *k, *k, k.Secret, k.Secret, []any{k.Secret})
	if bytes.Contains([]byte(s), []byte("s3cr3t")) || bytes.Contains([]byte(s), []byte("733363723374")) {
		t.Errorf("secret leaks through fmt: %s", s)
	}
	for typ, name := range map[SharedKeyType]string{SharedAny: "ANY", SharedIKE: "IKE", SharedEAP: "EAP",
		SharedPrivateKeyPass: "PRIVATE_KEY_PASS", SharedPIN: "PIN", SharedNTHash: "NTLM", SharedPPK: "PPK", 9: "(9)"} {
		if typ.String() != name {
			t.Errorf("%d prints %q, want %q", int(typ), typ, name)
		}
	}
}

func TestStoreLookup(t *testing.T) {
	s := NewStore()
	s.Replace([]*SharedKey{
		NewSharedKey(SharedIKE, []byte("pair"), "@moon", "@sun"),
		NewSharedKey(SharedEAP, []byte("eap"), "carol"),
		NewSharedKey(SharedIKE, []byte("default")),
		NewSharedKey(SharedPIN, []byte("1234"), "%smartcard:1"),
	})
	moon, sun, carol := ParseIdentity("@moon"), ParseIdentity("@sun"), ParseIdentity("carol")
	check := func(typ SharedKeyType, me, other *Identity, want string) {
		t.Helper()
		k, ok := s.Shared(typ, me, other)
		if want == "" {
			if ok {
				t.Errorf("Shared(%v, %v, %v) = %q, want none", typ, me, other, k.Secret)
			}
			return
		}
		if !ok || string(k.Secret) != want {
			t.Errorf("Shared(%v, %v, %v) = %v %q, want %q", typ, me, other, ok, secretOf(k), want)
		}
	}
	check(SharedIKE, moon, sun, "pair")
	check(SharedIKE, sun, moon, "pair")
	check(SharedIKE, moon, ParseIdentity("@venus"), "default")
	check(SharedIKE, moon, nil, "pair")
	check(SharedIKE, nil, sun, "pair")
	check(SharedIKE, nil, nil, "")      // get_shared needs some match
	check(SharedAny, carol, nil, "eap") // SHARED_ANY takes any type
	check(SharedEAP, moon, sun, "")     // the EAP key's owner is carol only
	check(SharedAny, moon, sun, "pair") // IKE pair beats the default
	check(SharedNTHash, moon, sun, "")  // no key of that type
	check(SharedPIN, ParseIdentity("%smartcard:1"), nil, "1234")

	if got := len(s.SharedKeys(SharedIKE, nil, nil)); got != 2 {
		t.Errorf("SharedKeys without ids lists %d IKE keys, want 2", got)
	}
	got := s.SharedKeys(SharedIKE, moon, sun)
	if len(got) != 2 || string(got[0].Key.Secret) != "default" || string(got[1].Key.Secret) != "pair" {
		t.Fatalf("SharedKeys order: %v", got)
	}
	if got[1].MeMatch != MatchPerfect || got[1].OtherMatch != MatchPerfect ||
		got[0].MeMatch != MatchAny || got[0].OtherMatch != MatchAny {
		t.Errorf("SharedKeys match levels: %+v %+v", got[0], got[1])
	}
}

func TestStoreDuplicatesAndOwnership(t *testing.T) {
	s := NewStore()
	first := NewSharedKey(SharedIKE, []byte("same"), "@a", "@b")
	s.Add(first)
	s.Add(NewSharedKey(SharedIKE, []byte("other"), "@a", "@b"))
	s.Add(NewSharedKey(SharedIKE, []byte("same"), "@A", "@B")) // equal owners (case), same secret
	if s.Len() != 2 {
		t.Fatalf("duplicate not replaced: %d entries", s.Len())
	}
	if !bytes.Equal(first.Secret, make([]byte, 4)) {
		t.Errorf("replaced duplicate not wiped: %q", first.Secret)
	}
	e := s.Entries()
	if string(e[0].Secret) != "same" || e[0].Owners[0].String() != "A" || string(e[1].Secret) != "other" {
		t.Errorf("the repeated entry must move to the front: %v %v", e[0], e[1])
	}
	s.Add(NewSharedKey(SharedIKE, []byte("same"), "@b", "@a")) // owner order differs: not a duplicate
	s.Add(NewSharedKey(SharedEAP, []byte("same"), "@a", "@b")) // type differs
	if s.Len() != 4 {
		t.Errorf("distinct entries merged: %d", s.Len())
	}
	empty := &SharedKey{Type: SharedIKE, Secret: []byte("x")}
	s.Add(empty)
	if len(empty.Owners) != 1 || empty.Owners[0].Type() != IDAny {
		t.Errorf("an entry without owners belongs to %%any")
	}
}

func TestStoreReplaceWipes(t *testing.T) {
	s := NewStore()
	old := NewSharedKey(SharedIKE, []byte("old-secret"), "@moon")
	s.Replace([]*SharedKey{old})
	handed, ok := s.Shared(SharedIKE, ParseIdentity("@moon"), nil)
	if !ok {
		t.Fatal("no key")
	}
	s.Replace([]*SharedKey{NewSharedKey(SharedIKE, []byte("new"), "@moon")})
	if !bytes.Equal(old.Secret, make([]byte, len("old-secret"))) {
		t.Errorf("old secret not wiped: %q", old.Secret)
	}
	if string(handed.Secret) != "old-secret" {
		t.Errorf("a key handed out before the reread must stay intact, got %q", handed.Secret)
	}
	handed.Wipe()
	if k, _ := s.Shared(SharedIKE, ParseIdentity("@moon"), nil); string(k.Secret) != "new" {
		t.Errorf("wiping a handed-out copy touched the store")
	}
	var nilKey *SharedKey
	nilKey.Wipe()
	if nilKey.String() != "(null)" {
		t.Error("nil key")
	}
}

// TestStoreConcurrent runs lookups while rereads replace the set; run with
// -race. Every lookup must see one complete generation: its key and its
// default come from the same Replace.
func TestStoreConcurrent(t *testing.T) {
	s := NewStore()
	gen := func(n int) []*SharedKey {
		return []*SharedKey{
			NewSharedKey(SharedIKE, []byte(fmt.Sprintf("pair-%d", n)), "@moon", "@sun"),
			NewSharedKey(SharedIKE, []byte(fmt.Sprintf("default-%d", n))),
		}
	}
	s.Replace(gen(0))
	moon, sun := ParseIdentity("@moon"), ParseIdentity("@sun")
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				keys := s.SharedKeys(SharedIKE, moon, sun)
				if len(keys) != 2 {
					t.Errorf("saw %d keys", len(keys))
					return
				}
				var a, b int
				fmt.Sscanf(string(keys[0].Key.Secret), "default-%d", &a)
				fmt.Sscanf(string(keys[1].Key.Secret), "pair-%d", &b)
				if a != b {
					t.Errorf("mixed generations %q %q", keys[0].Key.Secret, keys[1].Key.Secret)
					return
				}
				for _, k := range keys {
					k.Key.Wipe()
				}
			}
		}()
	}
	for n := 1; n <= 200; n++ {
		s.Replace(gen(n))
	}
	wg.Wait()
}
