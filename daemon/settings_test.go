package daemon

import (
	"testing"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/sa"
)

// strongswan.conf values reach the protocol core; what is not set keeps
// charon's default.
func TestReadSettings(t *testing.T) {
	s, err := settings.Parse("strongswan.conf", []byte(`charon {
		retransmit_tries = 2
		retransmit_timeout = 1.5
		retransmit_base = 1
		delete_rekeyed_delay = 1m
		delete_rekeyed_outbound_delay = 0.25
		make_before_break = yes
		multiple_authentication = no
		port = 1500
		port_nat_t = 14500
		cookie_threshold_ip = 7
		spi_min = 0xc1000000
		ikesa_limit = 1000
		init_limit_half_open = 500
		init_limit_job_load = 200
		half_open_timeout = 7
		max_packet = 20000
	}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := readSettings(s)
	want := sa.DefaultSettings()
	want.RetransmitTries, want.RetransmitTimeout, want.RetransmitBase = 2, 1.5, 1
	want.DeleteRekeyedDelay, want.MakeBeforeBreak, want.MultipleAuthentication = 60, true, false
	want.Port, want.NATTPort, want.CookieThresholdIP, want.SPIMin = 1500, 14500, 7, 0xc1000000
	want.IKESALimit, want.InitLimitHalfOpen, want.InitLimitJobLoad = 1000, 500, 200
	want.HalfOpenTimeout, want.MaxPacket = 7, 20000
	want.DeleteRekeyedOutboundDelay = 0.25
	if got != want {
		t.Errorf("settings\n got %+v\nwant %+v", got, want)
	}
	if d := readSettings(settings.Empty()); d != sa.DefaultSettings() {
		t.Errorf("empty strongswan.conf: %+v", d)
	}
}
