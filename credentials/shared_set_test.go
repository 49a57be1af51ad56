package credentials

import (
	"slices"
	"testing"
)

func TestSharedSetUniqueIDs(t *testing.T) {
	var set SharedSet
	set.AddUnique("ike-1", NewSharedKey(SharedIKE, []byte("one"), "moon"))
	set.AddUnique("", NewSharedKey(SharedIKE, []byte("anon"), "sun"))
	set.AddUnique("", NewSharedKey(SharedIKE, []byte("anon"), "sun")) // equal, replaced
	set.AddUnique("ike-2", NewSharedKey(SharedIKE, []byte("two"), "sun"))
	set.AddUnique("ike-1", NewSharedKey(SharedIKE, []byte("one'"), "moon")) // same id, replaced
	if set.Len() != 3 {
		t.Fatalf("%d keys, want 3", set.Len())
	}
	if got := set.UniqueIDs(); !slices.Equal(got, []string{"ike-1", "ike-2"}) {
		t.Errorf("ids %v", got)
	}
	if !set.RemoveUnique("ike-2") || set.RemoveUnique("ike-2") || set.RemoveUnique("") {
		t.Error("RemoveUnique")
	}
	set.Clear()
	if set.Len() != 0 {
		t.Error("Clear")
	}
}

func TestStoreAsksItsOwnKeysFirstThenTheSets(t *testing.T) {
	s := NewStore()
	var vici SharedSet
	s.AddSet(&vici)
	moon, sun := ParseIdentity("moon"), ParseIdentity("sun")
	vici.AddUnique("x", NewSharedKey(SharedIKE, []byte("from vici"), "moon", "sun"))
	k, ok := s.Shared(SharedIKE, moon, sun)
	if !ok || string(k.Secret) != "from vici" {
		t.Fatalf("vici key not found: %v", k)
	}
	// An equally good key of the Store's own set (ipsec.secrets) wins, as
	// the stroke plugin's set comes first in charon.
	s.Add(NewSharedKey(SharedIKE, []byte("from stroke"), "moon", "sun"))
	if k, _ := s.Shared(SharedIKE, moon, sun); string(k.Secret) != "from stroke" {
		t.Errorf("got %q", k.Secret)
	}
	if n := len(s.SharedKeys(SharedIKE, moon, sun)); n != 2 {
		t.Errorf("%d candidates", n)
	}
	s.RemoveSet(&vici)
	if n := len(s.SharedKeys(SharedIKE, moon, sun)); n != 1 {
		t.Errorf("%d candidates after removing the set", n)
	}
}
