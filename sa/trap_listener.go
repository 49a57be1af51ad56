package sa

// trapListener completes the acquire a trap started once the IKE_SA or the
// CHILD_SA it brought up is installed or goes.
type trapListener struct{ t *TrapManager }

func (l trapListener) IKEStateChange(ike *IKESA, s IKEState) bool {
	if s == IKEDestroying {
		l.t.complete(ike, nil)
	}
	return true
}

func (l trapListener) ChildStateChange(ike *IKESA, c *ChildSA, s ChildState) bool {
	if s == ChildInstalled || s == ChildDestroying {
		l.t.complete(ike, c)
	}
	return true
}
