package ipsecconf

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// MsgType is a stroke message type starter sends (stroke_msg.h values).
type MsgType int32

const (
	MsgInitiate MsgType = 0
	MsgRoute    MsgType = 1
	MsgUnroute  MsgType = 2
	MsgAddConn  MsgType = 3
	MsgDelConn  MsgType = 4
	MsgAddCA    MsgType = 11
	MsgDelCA    MsgType = 12
	MsgConfig   MsgType = 14
)

func (t MsgType) String() string {
	switch t {
	case MsgInitiate:
		return "STR_INITIATE"
	case MsgRoute:
		return "STR_ROUTE"
	case MsgUnroute:
		return "STR_UNROUTE"
	case MsgAddConn:
		return "STR_ADD_CONN"
	case MsgDelConn:
		return "STR_DEL_CONN"
	case MsgAddCA:
		return "STR_ADD_CA"
	case MsgDelCA:
		return "STR_DEL_CA"
	case MsgConfig:
		return "STR_CONFIG"
	}
	return fmt.Sprintf("type %d", int32(t))
}

// Msg is one message of starter's sequence.
type Msg struct {
	Type MsgType
	// Name is the conn or ca name the message carries (empty for
	// STR_CONFIG).
	Name string
	CA   *CA   // for STR_ADD_CA
	Conn *Conn // for STR_ADD_CONN, STR_ROUTE, STR_INITIATE
	ID   uint64
}

// StartupMessages is the sequence starter sends after it started charon
// (starter.c): STR_CONFIG when cachecrls=yes, STR_ADD_CA for every ca with
// auto=add, then for every conn with auto other than ignore STR_ADD_CONN,
// followed at once by STR_ROUTE (auto=route) or STR_INITIATE (auto=start).
// Conn ids count from firstID (1 on a fresh start).
func (cfg *Config) StartupMessages(firstID uint64) []Msg {
	var out []Msg
	if cfg.Setup.CacheCRLs {
		out = append(out, Msg{Type: MsgConfig})
	}
	for _, ca := range cfg.CAs {
		if ca.Auto != AutoIgnore {
			out = append(out, Msg{Type: MsgAddCA, Name: ca.Name, CA: ca})
		}
	}
	id := firstID
	for _, c := range cfg.Conns {
		if c.Auto == AutoIgnore {
			continue
		}
		name := c.StrokeName(id)
		out = append(out, Msg{Type: MsgAddConn, Name: name, Conn: c, ID: id})
		switch c.Auto {
		case AutoRoute:
			out = append(out, Msg{Type: MsgRoute, Name: name, Conn: c, ID: id})
		case AutoStart:
			out = append(out, Msg{Type: MsgInitiate, Name: name, Conn: c, ID: id})
		}
		id++
	}
	return out
}

// CharonDebugArgs are the arguments starter passes to charon for
// charondebug= (starter_start_charon): each "TYPE LEVEL" pair, read with
// sscanf("%3s %d,") until a pair does not parse, becomes --debug-TYPE LEVEL.
func (s *Setup) CharonDebugArgs() []string {
	if !s.CharonDebug.Set {
		return nil
	}
	var args []string
	pos := s.CharonDebug.Value
	for {
		typ, level, ok := scanDebugPair(pos)
		if !ok {
			break
		}
		args = append(args, "--debug-"+typ, strconv.Itoa(level))
		i := strings.IndexByte(pos, ',')
		if i < 0 {
			break
		}
		pos = pos[i+1:]
	}
	return args
}

// scanDebugPair is sscanf(s, "%3s %d,", type, &level) == 2.
func scanDebugPair(s string) (string, int, bool) {
	isSpace := func(b byte) bool { return b < 0x80 && unicode.IsSpace(rune(b)) }
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	for i < len(s) && i-start < 3 && !isSpace(s[i]) {
		i++
	}
	if i == start {
		return "", 0, false
	}
	typ := s[start:i]
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return "", 0, false
	}
	// %d converts with strtol semantics into an int; starter's levels are
	// small, larger values wrap as the C conversion does.
	n, err := strconv.ParseInt(s[i:k], 10, 64)
	if err != nil {
		if s[i] == '-' {
			n = -1 << 63
		} else {
			n = 1<<63 - 1
		}
	}
	return typ, int(int32(n)), true
}
