package credentials

import "testing"

// The selection functions work on the caller's keys: no copies, no wiping,
// so that a secrets reader can map the answer back to its lines.
func TestSharedSelectionOnOwnKeys(t *testing.T) {
	first := NewSharedKey(SharedIKE, []byte("same"), "@a", "@b")
	other := NewSharedKey(SharedIKE, []byte("other"), "@a")
	again := NewSharedKey(SharedIKE, []byte("same"), "@A", "@B")
	order := SharedOrder([]*SharedKey{first, other, again})
	if len(order) != 2 || order[0] != again || order[1] != other {
		t.Fatalf("order %v", order)
	}
	if string(first.Secret) != "same" {
		t.Error("SharedOrder wiped the dropped duplicate")
	}
	a, b := ParseIdentity("@a"), ParseIdentity("@b")
	ms := MatchShared(order, SharedIKE, a, b)
	if len(ms) != 2 || ms[0].Key != again || ms[1].Key != other ||
		ms[0].MeMatch != MatchPerfect || ms[0].OtherMatch != MatchPerfect || ms[1].OtherMatch != MatchNone {
		t.Fatalf("matches %+v", ms)
	}
	if best, ok := BestShared(ms); !ok || best.Key != again {
		t.Errorf("best %+v", best)
	}
	// a tie keeps the earlier; a better peer match beats a better own match
	tie := []SharedMatch{{MeMatch: MatchAny, OtherMatch: MatchAny}, {MeMatch: MatchAny, OtherMatch: MatchAny}}
	tie[0].Key, tie[1].Key = first, other
	if best, _ := BestShared(tie); best.Key != first {
		t.Error("a tie must keep the earlier key")
	}
	peer := []SharedMatch{{Key: first, MeMatch: MatchPerfect, OtherMatch: MatchNone},
		{Key: other, MeMatch: MatchNone, OtherMatch: MatchAny}}
	if best, _ := BestShared(peer); best.Key != other {
		t.Error("the peer's match counts first")
	}
	if _, ok := BestShared([]SharedMatch{{Key: first}}); ok {
		t.Error("a key matching neither id is never picked")
	}
}
