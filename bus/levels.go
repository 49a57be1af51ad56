package bus

// set changes group g's level, or every group's when g is Any, the way
// charondebug and `ipsec stroke loglevel` address the groups. Each sink's
// SetLevel locks and calls it, so the rule lives here once.
func (lv *Levels) set(g Group, l Level) {
	if g == Any {
		for i := range lv {
			lv[i] = l
		}
		return
	}
	lv[g] = l
}
