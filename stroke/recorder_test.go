package stroke

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/goswan/goswan/bus"
)

// recorder implements every handler interface and records the calls as
// text, e.g. `Initiate("net-net") v=1`. Reply texts are fixed per method so
// tests can check what reaches the client.
type recorder struct {
	mu    sync.Mutex
	calls []string
	// block, when set, is called at the start of every handler.
	block func(call string)
}

func (r *recorder) add(out *Reply, format string, args ...any) {
	call := fmt.Sprintf(format, args...)
	if out != nil {
		call += fmt.Sprintf(" v=%d", out.Verbosity())
	}
	r.mu.Lock()
	r.calls = append(r.calls, call)
	block := r.block
	r.mu.Unlock()
	if block != nil {
		block(call)
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func q(s Str) string {
	if !s.Valid {
		return "NULL"
	}
	return fmt.Sprintf("%q", s.Value)
}

func (r *recorder) Initiate(_ context.Context, name Str, out *Reply) {
	r.add(out, "Initiate(%s)", q(name))
	out.Log(bus.IKE, bus.Audit, "initiating IKE_SA "+name.Value+"[1] to 192.168.0.2")
	out.Log(bus.IKE, bus.Control, "generating IKE_SA_INIT request 0 [ SA KE No ]")
	out.Log(bus.IKE, bus.Diag, "level 2 line")
	out.Logf(bus.ENC, bus.Raw, "level %d line", 3)
	if out.Verbosity() >= 0 {
		out.Printf("connection '%s' established successfully\n", name)
	}
}
func (r *recorder) Terminate(_ context.Context, name Str, out *Reply) {
	r.add(out, "Terminate(%s)", q(name))
}
func (r *recorder) TerminateSrcIP(_ context.Context, start, end Str, out *Reply) {
	r.add(out, "TerminateSrcIP(%s, %s)", q(start), q(end))
}
func (r *recorder) Rekey(_ context.Context, name Str, out *Reply) {
	r.add(out, "Rekey(%s)", q(name))
}
func (r *recorder) Route(_ context.Context, name Str, out *Reply) {
	r.add(out, "Route(%s)", q(name))
	out.Printf("'%s' routed\n", name)
}
func (r *recorder) Unroute(_ context.Context, name Str, out *Reply) {
	r.add(out, "Unroute(%s)", q(name))
}
func (r *recorder) PurgeIKE(_ context.Context, out *Reply) { r.add(out, "PurgeIKE()") }

func (r *recorder) AddConn(_ context.Context, c *AddConn) {
	r.add(nil, "AddConn(%s me=%s other=%s)", q(c.Name), q(c.Me.Address), q(c.Other.Address))
}
func (r *recorder) DelConn(_ context.Context, name Str) { r.add(nil, "DelConn(%s)", q(name)) }
func (r *recorder) UserCreds(_ context.Context, c *UserCreds, out *Reply) {
	pw := c.Password
	if !pw.Valid {
		ans, err := out.Prompt("Password:")
		if err != nil {
			r.add(out, "UserCreds(%s, %s, prompt failed: %v)", q(c.Name), q(c.Username), err)
			return
		}
		pw = S(ans)
	}
	r.add(out, "UserCreds(%s, %s, %s)", q(c.Name), q(c.Username), q(pw))
	out.Printf("credentials set\n")
}

func (r *recorder) AddCA(_ context.Context, ca *AddCA) { r.add(nil, "AddCA(%s)", q(ca.Name)) }
func (r *recorder) DelCA(_ context.Context, name Str)  { r.add(nil, "DelCA(%s)", q(name)) }
func (r *recorder) ListCAInfos(_ context.Context, utc bool, out *Reply) {
	r.add(out, "ListCAInfos(utc=%v)", utc)
}

func (r *recorder) Reread(_ context.Context, f RereadFlags, out *Reply) {
	r.add(out, "Reread(%s)", f)
}
func (r *recorder) CacheCRLs(_ context.Context, on bool) { r.add(nil, "CacheCRLs(%v)", on) }
func (r *recorder) FlushCache(_ context.Context, f PurgeFlags) {
	r.add(nil, "FlushCache(%s)", f)
}
func (r *recorder) Export(_ context.Context, f ExportFlags, sel Str, out *Reply) {
	r.add(out, "Export(%s, %s)", f, q(sel))
}

func (r *recorder) Status(_ context.Context, name Str, all, wait bool, out *Reply) {
	r.add(out, "Status(%s, all=%v, wait=%v)", q(name), all, wait)
	out.Printf("Security Associations (0 up, 0 connecting):\n  none\n")
}
func (r *recorder) List(_ context.Context, f ListFlags, utc bool, out *Reply) {
	r.add(out, "List(%s, utc=%v)", f, utc)
}
func (r *recorder) Leases(_ context.Context, pool, addr Str, out *Reply) {
	r.add(out, "Leases(%s, %s)", q(pool), q(addr))
	out.Printf("no pools found\n")
}

func (r *recorder) Reset(_ context.Context, name Str) { r.add(nil, "ResetCounters(%s)", q(name)) }
func (r *recorder) Print(_ context.Context, name Str, out *Reply) {
	r.add(out, "PrintCounters(%s)", q(name))
}

func (r *recorder) SetLevel(g bus.Group, l bus.Level) { r.add(nil, "SetLevel(%s, %d)", g, l) }

func (r *recorder) MemUsage(_ context.Context, out *Reply) { r.add(out, "MemUsage()") }

func (r *recorder) handlers() Handlers {
	return Handlers{Control: r, Config: r, CA: r, Credentials: r, List: r, Counters: r,
		LogLevels: r, MemUsage: r}
}

// logRecorder is a bus.Logger that keeps the formatted lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
	level bus.Level
}

func (l *logRecorder) Logf(g bus.Group, lv bus.Level, format string, args ...any) {
	if lv > l.level {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("[%s] %d %s", g, lv, fmt.Sprintf(format, args...)))
}

func (l *logRecorder) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	l.lines = nil
	return s
}
