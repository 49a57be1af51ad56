package ipsecconf

import (
	"fmt"
	"strings"
	"testing"
)

func TestTrafficSelectors(t *testing.T) {
	cfg, err := parse(t, "conn a\n"+
		"\tleftsubnet=10.1.0.7/24[tcp/443], 10.2.0.0/16[udp],%dynamic[gre],2001:db8::/32,%any,10.3.0.0/33,10.4.0.0/264,bad,10.5.0.0/16[tcp/x],10.6.0.0/16[icmp/8]\n"+
		"\tleftprotoport=17/53\n"+
		"\trightsubnet=a,b\n"+
		"\trightprotoport=icmp\n")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Conns[0]
	ts, skipped := cfg.TrafficSelectors(&c.Left)
	var got []string
	for _, s := range ts {
		got = append(got, s.String())
	}
	want := "10.1.0.0/24[6/443-443]|10.2.0.0/16[17/53-53]|dynamic[47/53-53]|2001:db8::/32[17/53-53]|0.0.0.0/32[17/53-53]|10.3.0.0/32[17/53-53]|10.0.0.0/8[17/53-53]|10.6.0.0/16[1/2048-2048]"
	if strings.Join(got, "|") != want {
		t.Errorf("selectors\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	// %any is the IPv4 any address as a /32; /33 is capped at /32; /264
	// wraps to /8 as in charon, which passes the prefix length as a uint8.
	if len(skipped) != 2 || !strings.Contains(skipped[0], "invalid subnet: bad") || !strings.Contains(skipped[1], "invalid proto/port: tcp/x]") {
		t.Errorf("skipped %q", skipped)
	}
	ts, skipped = cfg.TrafficSelectors(&c.Right)
	if len(ts) != 1 || !ts[0].Dynamic || ts[0].Protocol != 1 || len(skipped) != 2 {
		t.Errorf("no usable subnet: %v %q", ts, skipped)
	}
	// Skipped entries and shortened prefixes are errors, host bits a
	// warning (charon masks them as anyone would expect).
	w := cfg.CheckValues()
	var sev []string
	for _, p := range w {
		sev = append(sev, fmt.Sprintf("%d:%s", p.Pos.Line, p.Severity))
	}
	if strings.Join(sev, " ") != "2:error 2:error 2:warning 2:error 2:error 4:error 4:error" ||
		!strings.Contains(w[3].Msg, "10.3.0.0/33: the prefix length 33 does not fit a 32-bit address; charon uses 10.3.0.0/32") {
		t.Errorf("problems %v", w)
	}
}

func TestIKEAddresses(t *testing.T) {
	cfg, err := parse(t, "conn a\n\tleft=192.0.2.1, gw.example.org,10.0.0.0/8 , 10.1.0.1 - 10.1.0.9,%any6\n\tright=%192.0.2.2\n")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Conns[0]
	var got []string
	for _, a := range c.Left.IKEAddresses() {
		if a.Range != nil {
			got = append(got, "range "+a.Range.String())
		} else {
			got = append(got, a.Host)
		}
	}
	if strings.Join(got, "|") != "192.0.2.1|gw.example.org|range 10.0.0.0/8|range 10.1.0.1-10.1.0.9|%any6" {
		t.Errorf("%q", got)
	}
	got = nil
	for _, a := range c.Right.IKEAddresses() {
		if a.Range != nil {
			got = append(got, "range "+a.Range.String())
		} else {
			got = append(got, a.Host)
		}
	}
	if strings.Join(got, "|") != "192.0.2.2|range 0.0.0.0/0|range ::/0" {
		t.Errorf("allow-any %q", got)
	}
}

func TestSourceIPs(t *testing.T) {
	cfg, err := parse(t, "conn a\n\tleftsourceip=%config4,10.9.9.9,%cfg,nonsense\n\trightsourceip=10.3.0.0/24,10.4.0.1-10.4.0.20,%radius,%config6,x-y\n")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Conns[0]
	l := c.Left.SourceIPs(false)
	if len(l) != 4 || !l[0].Config || l[0].Family != 4 || l[1].Addr.String() != "10.9.9.9" || !l[2].Config || l[3].Invalid != "nonsense" {
		t.Errorf("left %+v", l)
	}
	r := c.Right.SourceIPs(true)
	if len(r) != 5 || r[0].Range.String() != "10.3.0.0/24" || r[1].Range.String() != "10.4.0.1-10.4.0.20" ||
		r[2].Pool != "radius" || r[3].Family != 6 || r[4].Invalid != "x-y" {
		t.Errorf("right %+v", r)
	}
}
