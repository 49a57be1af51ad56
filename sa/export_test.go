package sa

// KeymatSecrets exposes the key material a Keymat holds (SKEYSEED and the
// SK_* keys), by reference, so that a test can check it is wiped when the
// IKE_SA goes.
func KeymatSecrets(k *Keymat) [][]byte {
	if k == nil || k.keys == nil {
		return nil
	}
	x := k.keys
	return [][]byte{x.SKEYSEED, x.SKd, x.SKai, x.SKar, x.SKei, x.SKer, x.SKpi, x.SKpr}
}
