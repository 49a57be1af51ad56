// Command xfrm-migrate sends the kernel one XFRM_MSG_MIGRATE request, as a
// mobility daemon (mip6d) does when a mobile node's care-of address changes
// (seeds/004): the kernel moves the SAs of a policy's template from the old
// endpoints to the new ones, updates the policy, and announces the
// migration, with the kmaddress, to every key manager listening (charon,
// goswan), which then moves its CHILD_SA and IKE_SA there.
//
//	xfrm-migrate -sel 2001:1::1/128=2001:1::10/128 -dir out \
//	    -old 2001::1=2001::10 -new 2001::1=2001::50 \
//	    -mode tunnel -reqid 2 -km 2001::1=2001::50
//
// -sel is the policy's source and destination selector (with -proto, its
// protocol), -old and -new the template's source and destination before and
// after, -km the key manager's local and remote address. It acts in the
// network namespace it runs in (ip netns exec NS xfrm-migrate ...). Exit
// status 0 when the kernel acknowledged the request, 1 when it refused it,
// 2 on bad arguments.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Sizes and numbers of linux/xfrm.h.
const (
	msgMigrate       = 33 // XFRM_MSG_MIGRATE
	attrPolicyType   = 16 // XFRMA_POLICY_TYPE
	attrMigrate      = 17 // XFRMA_MIGRATE
	attrKmAddress    = 19 // XFRMA_KMADDRESS
	sizeSelector     = 56
	sizeUserpolicyID = 64
	sizeUserMigrate  = 76
	sizeKmAddress    = 40
	sizePolicyType   = 6
	protoESP         = 50
)

var native = binary.NativeEndian

func family(a netip.Addr) uint16 {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

func putAddr(b []byte, a netip.Addr) { copy(b, a.AsSlice()) }

// pair parses "A=B".
func pair[T any](s string, parse func(string) (T, error)) (T, T, error) {
	var zero T
	l, r, ok := strings.Cut(s, "=")
	if !ok {
		return zero, zero, fmt.Errorf("%q: want FROM=TO", s)
	}
	a, err := parse(l)
	if err != nil {
		return zero, zero, err
	}
	b, err := parse(r)
	return a, b, err
}

type request struct {
	src, dst          netip.Prefix
	proto             uint8
	dir               uint8
	oldSrc, oldDst    netip.Addr
	newSrc, newDst    netip.Addr
	xproto, mode      uint8
	reqid             uint32
	kmLocal, kmRemote netip.Addr
}

// encode builds the netlink message.
func (r request) encode(seq uint32) []byte {
	body := make([]byte, sizeUserpolicyID)
	sel := body[:sizeSelector]
	putAddr(sel[0:], r.dst.Addr())
	putAddr(sel[16:], r.src.Addr())
	native.PutUint16(sel[40:], family(r.src.Addr()))
	sel[42] = byte(r.dst.Bits())
	sel[43] = byte(r.src.Bits())
	sel[44] = r.proto
	body[60] = r.dir
	mg := make([]byte, sizeUserMigrate)
	putAddr(mg[0:], r.oldDst)
	putAddr(mg[16:], r.oldSrc)
	putAddr(mg[32:], r.newDst)
	putAddr(mg[48:], r.newSrc)
	mg[64], mg[65] = r.xproto, r.mode
	native.PutUint32(mg[68:], r.reqid)
	native.PutUint16(mg[72:], family(r.oldSrc))
	native.PutUint16(mg[74:], family(r.newSrc))
	km := make([]byte, sizeKmAddress)
	putAddr(km[0:], r.kmLocal)
	putAddr(km[16:], r.kmRemote)
	native.PutUint16(km[36:], family(r.kmLocal))
	body = append(body, attr(attrPolicyType, make([]byte, sizePolicyType))...) // XFRM_POLICY_TYPE_MAIN
	body = append(body, attr(attrMigrate, mg)...)
	body = append(body, attr(attrKmAddress, km)...)
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	msg = append(msg, body...)
	native.PutUint32(msg[0:], uint32(len(msg)))
	native.PutUint16(msg[4:], msgMigrate)
	native.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	native.PutUint32(msg[8:], seq)
	return msg
}

func attr(typ uint16, data []byte) []byte {
	l := 4 + len(data)
	b := make([]byte, (l+3)&^3)
	native.PutUint16(b[0:], uint16(l))
	native.PutUint16(b[2:], typ)
	copy(b[4:], data)
	return b
}

// send sends the request and waits for the kernel's acknowledgement.
func send(msg []byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_XFRM)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 65536)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Seq != native.Uint32(msg[8:]) || m.Header.Type != unix.NLMSG_ERROR {
				continue
			}
			if len(m.Data) < 4 {
				return errors.New("short netlink error message")
			}
			if code := int32(native.Uint32(m.Data)); code != 0 {
				return unix.Errno(-code)
			}
			return nil
		}
	}
}

func parseRequest(args []string) (request, error) {
	fs := flag.NewFlagSet("xfrm-migrate", flag.ContinueOnError)
	sel := fs.String("sel", "", "policy selector SRC=DST (prefixes)")
	proto := fs.Uint("proto", 0, "selector protocol (135: Mobility Header)")
	dir := fs.String("dir", "", "policy direction: in, out or fwd")
	old := fs.String("old", "", "template endpoints before: SRC=DST")
	newEP := fs.String("new", "", "template endpoints after: SRC=DST")
	mode := fs.String("mode", "tunnel", "template mode: transport or tunnel")
	reqid := fs.Uint("reqid", 0, "template reqid")
	km := fs.String("km", "", "kmaddress LOCAL=REMOTE")
	var r request
	if err := fs.Parse(args); err != nil {
		return r, err
	}
	var err error
	if r.src, r.dst, err = pair(*sel, netip.ParsePrefix); err != nil {
		return r, fmt.Errorf("-sel: %w", err)
	}
	if r.oldSrc, r.oldDst, err = pair(*old, netip.ParseAddr); err != nil {
		return r, fmt.Errorf("-old: %w", err)
	}
	if r.newSrc, r.newDst, err = pair(*newEP, netip.ParseAddr); err != nil {
		return r, fmt.Errorf("-new: %w", err)
	}
	if r.kmLocal, r.kmRemote, err = pair(*km, netip.ParseAddr); err != nil {
		return r, fmt.Errorf("-km: %w", err)
	}
	if *proto > 255 {
		return r, fmt.Errorf("-proto %d", *proto)
	}
	r.proto = uint8(*proto)
	switch *dir {
	case "in":
		r.dir = 0
	case "out":
		r.dir = 1
	case "fwd":
		r.dir = 2
	default:
		return r, fmt.Errorf("-dir %q: want in, out or fwd", *dir)
	}
	switch *mode {
	case "transport":
		r.mode = 0
	case "tunnel":
		r.mode = 1
	default:
		return r, fmt.Errorf("-mode %q: want transport or tunnel", *mode)
	}
	r.xproto, r.reqid = protoESP, uint32(*reqid)
	for _, a := range []netip.Addr{r.dst.Addr(), r.oldSrc, r.oldDst, r.newSrc, r.newDst, r.kmLocal, r.kmRemote} {
		if a.Is4() != r.src.Addr().Is4() {
			return r, errors.New("mixed address families")
		}
	}
	return r, nil
}

func main() {
	r, err := parseRequest(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "xfrm-migrate: %v\n", err)
		os.Exit(2)
	}
	if err := send(r.encode(1)); err != nil {
		fmt.Fprintf(os.Stderr, "xfrm-migrate: XFRM_MSG_MIGRATE: %v\n", err)
		os.Exit(1)
	}
}
