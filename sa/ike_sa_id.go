package sa

import "fmt"

// IKESAID identifies an IKE_SA by its SPIs and our original role,
// ike_sa_id_t.
type IKESAID struct {
	SPIi, SPIr uint64
	// Initiator is true if we initiated the IKE_SA (our role in its
	// IKE_SA_INIT; a rekeyed IKE_SA keeps the role of the exchange that
	// created it).
	Initiator bool
}

// String prints the SPIs as charon's statusall does.
func (id IKESAID) String() string {
	return fmt.Sprintf("%016x_i%s %016x_r%s", id.SPIi, star(id.Initiator), id.SPIr, star(!id.Initiator))
}

func star(b bool) string {
	if b {
		return "*"
	}
	return ""
}
