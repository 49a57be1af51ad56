package config

import (
	"reflect"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// TestChildCfgEqual: two configs differing in any one field but the name
// are not equal (charon's child_cfg_t.equals ignores the name). Every field
// of ChildCfg has a change below, so a field added to the struct fails the
// test until Equal (and this list) know it.
func TestChildCfgEqual(t *testing.T) {
	ts, err := selectors.ParseCIDR("10.9.0.0/16", 0, 0, 0xffff)
	if err != nil {
		t.Fatal(err)
	}
	mark := kernel.Mark{Value: 42, Mask: 0xffffffff}
	changes := map[string]func(c *ChildCfg){
		"Name":         func(c *ChildCfg) { c.Name = "other" },
		"Proposals":    func(c *ChildCfg) { c.Proposals = c.Proposals[:0] },
		"LocalTS":      func(c *ChildCfg) { c.LocalTS = []selectors.TS{ts} },
		"RemoteTS":     func(c *ChildCfg) { c.RemoteTS = []selectors.TS{ts} },
		"Updown":       func(c *ChildCfg) { c.Updown = "/bin/true" },
		"Lifetime":     func(c *ChildCfg) { c.Lifetime.Time.Life = 60 },
		"Mode":         func(c *ChildCfg) { c.Mode = kernel.ModeTransport },
		"StartAction":  func(c *ChildCfg) { c.StartAction = ActionStart },
		"DPDAction":    func(c *ChildCfg) { c.DPDAction = ActionTrap },
		"CloseAction":  func(c *ChildCfg) { c.CloseAction = ActionTrap },
		"Inactivity":   func(c *ChildCfg) { c.Inactivity = 30 },
		"ReqID":        func(c *ChildCfg) { c.ReqID = 7 },
		"MarkIn":       func(c *ChildCfg) { c.MarkIn = mark },
		"MarkOut":      func(c *ChildCfg) { c.MarkOut = mark },
		"SetMarkIn":    func(c *ChildCfg) { c.SetMarkIn = mark },
		"SetMarkOut":   func(c *ChildCfg) { c.SetMarkOut = mark },
		"IfIDIn":       func(c *ChildCfg) { c.IfIDIn = 1 },
		"IfIDOut":      func(c *ChildCfg) { c.IfIDOut = 1 },
		"TFC":          func(c *ChildCfg) { c.TFC = 1500 },
		"ManualPrio":   func(c *ChildCfg) { c.ManualPrio = 100 },
		"Interface":    func(c *ChildCfg) { c.Interface = "eth1" },
		"ReplayWindow": func(c *ChildCfg) { c.ReplayWindow = 64 },
		"Options":      func(c *ChildCfg) { c.Options |= OptIPComp },
		"HWOffload":    func(c *ChildCfg) { c.HWOffload++ },
		"CopyDSCP":     func(c *ChildCfg) { c.CopyDSCP++ },
	}
	base := func() *ChildCfg { return &ChildCfg{Name: "net-net", Proposals: DefaultProposals(ProtoESP)} }
	if !base().Equal(base()) {
		t.Fatal("equal configs compare unequal")
	}
	typ := reflect.TypeOf(ChildCfg{})
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Name
		if name == "Name" {
			o := base()
			changes[name](o)
			if !base().Equal(o) {
				t.Error("configs differing only in their names compare unequal")
			}
			continue
		}
		change, ok := changes[name]
		if !ok {
			t.Errorf("no change for field %s: add it here and to Equal", name)
			continue
		}
		o := base()
		change(o)
		if base().Equal(o) || o.Equal(base()) {
			t.Errorf("configs differing in %s compare equal", name)
		}
	}
}
