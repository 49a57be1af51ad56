package config

import (
	"reflect"
	"testing"

	"github.com/goswan/goswan/selectors"
)

// perturb changes v (a field of ChildCfg) to a different value.
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
		switch v.Interface().(type) {
		case []*Proposal:
			v.Set(reflect.ValueOf(append(v.Interface().([]*Proposal), DefaultProposals(ProtoESP)[0])))
		case []selectors.TS:
			ts, err := selectors.ParseCIDR("10.9.0.0/16", 0, 0, 0xffff)
			if err != nil {
				t.Fatal(err)
			}
			v.Set(reflect.ValueOf(append(v.Interface().([]selectors.TS), ts)))
		default:
			t.Fatalf("no way to change a %s", v.Type())
		}
	default:
		t.Fatalf("no way to change a %s", v.Type())
	}
}

// TestChildCfgEqual: two configs differing in any one field are not
// equal, so a field added to ChildCfg must be added to Equal (or this
// test told why not).
func TestChildCfgEqual(t *testing.T) {
	base := func() *ChildCfg {
		return &ChildCfg{Name: "net-net", Proposals: DefaultProposals(ProtoESP)}
	}
	if !base().Equal(base()) {
		t.Fatal("equal configs compare unequal")
	}
	typ := reflect.TypeOf(ChildCfg{})
	for i := 0; i < typ.NumField(); i++ {
		o := base()
		perturb(t, reflect.ValueOf(o).Elem().Field(i))
		if base().Equal(o) || o.Equal(base()) {
			t.Errorf("configs differing in %s compare equal", typ.Field(i).Name)
		}
	}
}
