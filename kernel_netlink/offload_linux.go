package kernel_netlink

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// inNetns runs f on a thread that is in ns (or in the current namespace if
// ns is not set), for the few operations that are not done through a
// socket opened there (procfs writes, ethtool ioctls).
func inNetns(ns netns.NsHandle, f func() error) error {
	if ns <= 0 {
		return f()
	}
	done := make(chan error, 1)
	go func() {
		// The thread is thrown away afterwards (no UnlockOSThread), so a
		// failure to switch back can never leak the namespace to other
		// goroutines.
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return <-done
}

// writeAcqExpires sets how long the kernel keeps acquire states and
// allocated SPIs (the plugin's reload()).
func (ip *IPsec) writeAcqExpires() {
	_ = inNetns(ip.o.NetNS, func() error {
		f, err := os.OpenFile("/proc/sys/net/core/xfrm_acq_expires", os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString(strconv.FormatUint(uint64(ip.o.XfrmAcqExpires), 10))
		return err
	})
}

// setupSPDHashThresh sets the SPD hashing thresholds to charon's defaults
// (32/32 for IPv4, 128/128 for IPv6) if the kernel has others.
func (ip *IPsec) setupSPDHashThresh(typ uint16, def uint8) {
	req := ip.xfrm.newRequest(msgGetSPDInfo, 0)
	addRaw(req, make([]byte, 4))
	msgs, err := ip.xfrm.query(req, msgNewSPDInfo)
	if err != nil {
		if ne, ok := err.(*NetlinkError); ok {
			ip.log.Logf(bus.KNL, bus.Control, "getting SPD hash threshold failed: %s (%d)", strerror(ne.Errno), int(ne.Errno))
		}
		return
	}
	for _, m := range msgs {
		attrs, err := attrsAfter(m, 4)
		if err != nil {
			continue
		}
		for _, a := range attrs {
			if a.typ != typ || len(a.data) != sizeSPDHThresh {
				continue
			}
			if a.data[0] == def && a.data[1] == def {
				return
			}
			set := ip.xfrm.newRequest(msgNewSPDInfo, 0)
			addRaw(set, make([]byte, 4))
			set.AddData(nl.NewRtAttr(int(typ), []byte{def, def}))
			if ip.xfrm.ack(set) != nil {
				ip.log.Logf(bus.KNL, bus.Control, "setting SPD hash threshold failed")
			}
			return
		}
	}
}

// ethtool ioctl numbers and sizes (<linux/ethtool.h>, <linux/sockios.h>).
const (
	siocEthtool      = 0x8946
	ethtoolGSSetInfo = 0x37
	ethtoolGStrings  = 0x1b
	ethtoolGFeatures = 0x3a
	ethSSFeatures    = 4
	ethGStringLen    = 32
)

// hwOffloadFeature is the kernel's "esp-hw-offload" device feature bit, as
// netlink_find_offload_feature determines it once.
var hwOffloadFeature struct {
	once      sync.Once
	supported bool
	bit       uint32
	blocks    uint32
}

func ethtool(ifname string, data []byte) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// struct ifreq with ifr_data pointing at the ethtool command
	var ifr struct {
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [16]byte
	}
	copy(ifr.name[:unix.IFNAMSIZ-1], ifname)
	ifr.data = unsafe.Pointer(&data[0])
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), siocEthtool, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(data)
	if errno != 0 {
		return errno
	}
	return nil
}

func (ip *IPsec) findOffloadFeature() {
	_ = inNetns(ip.o.NetNS, func() error {
		info := make([]byte, 24) // ethtool_sset_info with one data word
		native.PutUint32(info[0:], ethtoolGSSetInfo)
		native.PutUint64(info[8:], 1<<ethSSFeatures)
		if err := ethtool(ip.o.HWOffloadInterface, info); err != nil || native.Uint64(info[8:]) != 1<<ethSSFeatures {
			return err
		}
		n := native.Uint32(info[16:])
		if n == 0 || n > 4096 {
			return nil
		}
		strs := make([]byte, 12+int(n)*ethGStringLen)
		native.PutUint32(strs[0:], ethtoolGStrings)
		native.PutUint32(strs[4:], ethSSFeatures)
		native.PutUint32(strs[8:], n)
		if err := ethtool(ip.o.HWOffloadInterface, strs); err != nil {
			return err
		}
		for i := uint32(0); i < native.Uint32(strs[8:]) && i < n; i++ {
			s := strs[12+i*ethGStringLen : 12+(i+1)*ethGStringLen]
			if string(s[:min(len(s), len("esp-hw-offload\x00"))]) == "esp-hw-offload\x00" {
				hwOffloadFeature.supported = true
				hwOffloadFeature.bit = i
				hwOffloadFeature.blocks = (n + 31) / 32
				break
			}
		}
		return nil
	})
}

// detectOffload reports whether ifname has ESP offload active.
func (ip *IPsec) detectOffload(ifname string) bool {
	hwOffloadFeature.once.Do(ip.findOffloadFeature)
	if !hwOffloadFeature.supported {
		ip.log.Logf(bus.KNL, bus.Control, "HW offload is not supported by kernel")
		return false
	}
	ok := false
	_ = inNetns(ip.o.NetNS, func() error {
		blocks := hwOffloadFeature.blocks
		buf := make([]byte, 8+16*blocks)
		native.PutUint32(buf[0:], ethtoolGFeatures)
		native.PutUint32(buf[4:], blocks)
		if err := ethtool(ifname, buf); err != nil {
			return err
		}
		blk := hwOffloadFeature.bit / 32
		active := native.Uint32(buf[8+16*blk+8:])
		ok = active&(1<<(hwOffloadFeature.bit%32)) != 0
		return nil
	})
	if !ok {
		ip.log.Logf(bus.KNL, bus.Control, "HW offload is not supported by device")
	}
	return ok
}

// configHWOffload returns the XFRMA_OFFLOAD_DEV attribute for an SA, nil
// when offload is not wanted or (with "auto") not available, and an error
// when it is required ("yes") but not available.
func (ip *IPsec) configHWOffload(id kernel.SAID, d kernel.AddSA) (*nl.RtAttr, error) {
	if d.HWOffload == kernel.HWOffloadNo {
		return nil, nil
	}
	required := d.HWOffload == kernel.HWOffloadYes
	errNoOffload := errors.New("HW offload not available")
	local := id.Src
	if d.Inbound {
		local = id.Dst
	}
	var ifname string
	ok := false
	if ip.routes != nil {
		ifname, ok = ip.routes.Interface(local)
	}
	if !ok || !ip.detectOffload(ifname) {
		if required {
			return nil, errNoOffload
		}
		return nil, nil
	}
	b := make([]byte, sizeUserOffload)
	native.PutUint32(b[0:], uint32(ip.ifindex(ifname)))
	if d.Inbound {
		b[4] = offloadInbound
	}
	return nl.NewRtAttr(attrOffloadDev, b), nil
}
