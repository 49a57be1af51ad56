package daemon

import (
	"context"

	"github.com/goswan/goswan/stroke"
)

// StrokeList answers the stroke status, list and leases requests
// (stroke.Lister) from a StatusSource, as charon's stroke_list_t does.
type StrokeList struct {
	Src StatusSource
}

var _ stroke.Lister = StrokeList{}

// Status implements stroke.Lister. A client that goes away ends the
// output; there is nobody left to tell.
func (l StrokeList) Status(_ context.Context, name stroke.Str, all, wait bool, out *stroke.Reply) {
	_ = WriteStatus(out, l.Src, all, wait, name)
}

// List implements stroke.Lister.
func (l StrokeList) List(_ context.Context, flags stroke.ListFlags, utc bool, out *stroke.Reply) {
	_ = WriteList(out, l.Src, flags, utc)
}

// Leases implements stroke.Lister.
func (l StrokeList) Leases(_ context.Context, pool, address stroke.Str, out *stroke.Reply) {
	_ = WriteLeases(out, l.Src, pool, address)
}
