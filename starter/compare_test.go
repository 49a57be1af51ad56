package starter

import (
	"reflect"
	"testing"

	"github.com/goswan/goswan/confparse/ipsecconf"
)

// perturb changes v to another value of its type.
func perturb(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Struct:
		perturb(t, v.Field(0))
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	default:
		t.Fatalf("cannot perturb a %s", v.Type())
	}
}

// TestSameConnCoversEveryField changes one field of a conn at a time: only
// the fields starter_cmp_conn does not look at may leave the conn "the
// same". A field added to ipsecconf.Conn later fails here until it is
// classified.
func TestSameConnCoversEveryField(t *testing.T) {
	ignored := map[string]bool{"Pos": true, "Settings": true, "IKEDSCP": true}
	base := func() *ipsecconf.Conn {
		return &ipsecconf.Conn{Name: "c", Auto: ipsecconf.AutoAdd, Authby: ipsecconf.S("psk")}
	}
	if !sameConn(base(), base()) {
		t.Fatal("a conn differs from its copy")
	}
	ct := reflect.TypeOf(ipsecconf.Conn{})
	for i := 0; i < ct.NumField(); i++ {
		f := ct.Field(i)
		if f.Type == reflect.TypeOf(ipsecconf.End{}) {
			et := f.Type
			for j := 0; j < et.NumField(); j++ {
				b := base()
				perturb(t, reflect.ValueOf(b).Elem().Field(i).Field(j))
				if sameConn(base(), b) {
					t.Errorf("a change of %s.%s goes unnoticed", f.Name, et.Field(j).Name)
				}
			}
			continue
		}
		b := base()
		perturb(t, reflect.ValueOf(b).Elem().Field(i))
		if got := sameConn(base(), b); got != ignored[f.Name] {
			t.Errorf("conn differing in %s: same=%v, want %v", f.Name, got, ignored[f.Name])
		}
	}
	if sameConn(nil, base()) || sameConn(base(), nil) {
		t.Error("nil conn compared equal")
	}
}

func TestSameCACoversEveryField(t *testing.T) {
	ignored := map[string]bool{"Pos": true, "Settings": true}
	base := func() *ipsecconf.CA { return &ipsecconf.CA{Name: "ca", Auto: ipsecconf.AutoAdd} }
	if !sameCA(base(), base()) {
		t.Fatal("a ca differs from its copy")
	}
	ct := reflect.TypeOf(ipsecconf.CA{})
	for i := 0; i < ct.NumField(); i++ {
		b := base()
		perturb(t, reflect.ValueOf(b).Elem().Field(i))
		if got := sameCA(base(), b); got != ignored[ct.Field(i).Name] {
			t.Errorf("ca differing in %s: same=%v", ct.Field(i).Name, got)
		}
	}
	if sameCA(nil, base()) {
		t.Error("nil ca compared equal")
	}
}
