package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/confparse/secrets"
	"github.com/goswan/goswan/confparse/settings"
)

// validateProposals checks an ike=, esp= or ah= value as charon's stroke
// plugin parses it, with charon's reason for refusing it, and names the
// algorithms charon takes and goswan cannot run.
func validateProposals(proto, value string) error {
	p := map[string]config.Protocol{"ike": config.ProtoIKE, "esp": config.ProtoESP, "ah": config.ProtoAH}[proto]
	if _, err := config.ParseProposals(p, value); err != nil {
		var pe *config.ProposalError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s, skipped invalid proposal string: %s", pe.Msg, pe.Proposal)
		}
		return err
	}
	if algs := config.UnsupportedAlgorithms(value); len(algs) > 0 {
		return &ipsecconf.UnsupportedError{Msg: fmt.Sprintf("goswan does not implement %s yet", strings.Join(algs, ", "))}
	}
	return nil
}

func init() {
	register("checkconf", command{
		run: func(args []string) int {
			return checkconf(args, os.Stdout, os.Stderr)
		},
	})
}

// checkconf prints what goswan (and strongSwan) make of ipsec.conf,
// ipsec.secrets and strongswan.conf: every conn and ca as resolved, the
// secrets with their values hidden, the daemon settings; problems go to
// stderr with their positions. It exits 1 when strongSwan would refuse or
// ignore any part of the files, 0 otherwise (warnings allowed), 2 on usage
// errors.
func checkconf(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checkconf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confPath := fs.String("conf", "", "ipsec.conf to check (default: starter.config_file of strongswan.conf, /etc/ipsec.conf)")
	secretsPath := fs.String("secrets", "", "ipsec.secrets to check (default: charon.plugins.stroke.secrets_file, /etc/ipsec.secrets)")
	ssPath := fs.String("strongswan-conf", "", "strongswan.conf to check (default: $STRONGSWAN_CONF, /etc/strongswan.conf)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ipsec checkconf [--conf FILE] [--secrets FILE] [--strongswan-conf FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ipsec checkconf: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// As with STRONGSWAN_CONF, an explicitly empty --strongswan-conf means
	// no file: every option at its default.
	if !given["strongswan-conf"] {
		*ssPath = settings.Path()
	}
	var problems confparse.Errors

	ss, _ := settings.Load(*ssPath, nil)
	problems = append(problems, ss.Problems...)
	if *confPath == "" {
		*confPath = ss.Str("starter.config_file", ipsecconf.DefaultPath)
	}
	if *secretsPath == "" {
		*secretsPath = ss.Charon("charon").SecretsFile
	}

	cfg, _ := ipsecconf.Load(*confPath, nil)
	problems = append(problems, cfg.Problems...)
	problems = append(problems, cfg.CheckProposals(validateProposals)...)
	problems = append(problems, cfg.CheckValues()...)
	problems = append(problems, cfg.Unsupported()...)
	printIpsecConf(stdout, *confPath, cfg)

	sec, _ := secrets.Load(*secretsPath, nil)
	problems = append(problems, sec.Problems...)
	printSecrets(stdout, *secretsPath, sec)

	printSettings(stdout, *ssPath, ss)
	for _, r := range ss.Unsupported("charon") {
		problems = append(problems, &confparse.Error{Pos: r.Pos, Severity: confparse.Unsupported,
			Msg: r.Reason() + "; charon goes on without it"})
	}

	sortProblems(problems)
	failed := false
	for _, p := range problems {
		msg := p.Msg
		if p.Section != "" {
			msg = p.Section + ": " + msg
		}
		fmt.Fprintf(stderr, "%s: %s: %s\n", p.Pos, p.Severity, msg)
		if p.Severity != confparse.Warning {
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

// sortProblems orders the problems by position within each file, the
// files in the order their first problem was found (strongswan.conf,
// ipsec.conf and its includes, ipsec.secrets), so that each file reads
// top to bottom whichever check found what.
func sortProblems(l confparse.Errors) {
	rank := map[string]int{}
	for _, p := range l {
		if _, ok := rank[p.Pos.File]; !ok {
			rank[p.Pos.File] = len(rank)
		}
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return rank[a.File] < rank[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// quote writes a value so that ipsec.conf would read it back: bare when
// it is one plain word, else double-quoted with the lexer's escapes.
func quote(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '"' || c == '#' || c == '=' || c == '\\' || c >= 0x7f {
			plain = false
		}
	}
	if plain {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

type kv struct {
	w      io.Writer
	indent string
}

func (k kv) put(key, value string) {
	fmt.Fprintf(k.w, "%s%s=%s\n", k.indent, key, value)
}

func (k kv) str(key string, s ipsecconf.Str) {
	if s.Set {
		k.put(key, quote(s.Value))
	}
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func secs(s ipsecconf.Seconds) string { return strconv.FormatInt(int64(s), 10) + "s" }

func mark(m ipsecconf.Mark) string {
	v := fmt.Sprintf("%#x", m.Value)
	switch m.Value {
	case ipsecconf.MarkUnique:
		v = "%unique"
	case ipsecconf.MarkUniqueDir:
		v = "%unique-dir"
	}
	return fmt.Sprintf("%s/%#x", v, m.Mask)
}

func printIpsecConf(w io.Writer, path string, cfg *ipsecconf.Config) {
	fmt.Fprintf(w, "# ipsec.conf: %s", path)
	if len(cfg.Files) > 1 {
		fmt.Fprintf(w, " (and %d included files)", len(cfg.Files)-1)
	}
	fmt.Fprintln(w)
	if cfg.Problems.Filter(confparse.Fatal) != nil {
		fmt.Fprintln(w, "# REFUSED: strongSwan would not start with this file; the sections below are what could be read")
	}
	fmt.Fprintln(w)
	s := &cfg.Setup
	k := kv{w, "\t"}
	fmt.Fprintln(w, "config setup")
	k.str("charondebug", s.CharonDebug)
	if args := s.CharonDebugArgs(); len(args) > 0 {
		fmt.Fprintf(w, "\t# charon is started with %s\n", strings.Join(args, " "))
	}
	k.put("uniqueids", s.UniqueIDs.String())
	k.put("cachecrls", yesno(s.CacheCRLs))
	k.put("strictcrlpolicy", s.StrictCRLPolicy.String())
	fmt.Fprintln(w)

	for _, ca := range cfg.CAs {
		fmt.Fprintf(w, "ca %s\t# %s\n", quote(ca.Name), ca.Pos)
		k.put("auto", ca.Auto.String())
		k.str("cacert", ca.CACert)
		k.str("crluri", ca.CRLURI)
		k.str("crluri2", ca.CRLURI2)
		k.str("ocspuri", ca.OCSPURI)
		k.str("ocspuri2", ca.OCSPURI2)
		k.str("certuribase", ca.CertURIBase)
		fmt.Fprintln(w)
	}
	sent := map[*ipsecconf.Conn][]string{}
	for _, m := range cfg.StartupMessages(1) {
		if m.Conn != nil {
			sent[m.Conn] = append(sent[m.Conn], m.Type.String()+" '"+m.Name+"'")
		}
	}
	for _, c := range cfg.Conns {
		printConn(w, cfg, c, sent[c])
	}
	for _, d := range cfg.Dropped {
		fmt.Fprintf(w, "# %s: IGNORED because of errors (see below)\n", d)
	}
	if len(cfg.Dropped) > 0 {
		fmt.Fprintln(w)
	}
}

func printConn(w io.Writer, cfg *ipsecconf.Config, c *ipsecconf.Conn, sent []string) {
	fmt.Fprintf(w, "conn %s\t# %s", quote(c.Name), c.Pos)
	var from []string
	seen := map[string]bool{}
	for _, s := range c.Settings {
		if s.From != "" && !seen[s.From] {
			seen[s.From] = true
			from = append(from, s.From)
		}
	}
	if len(from) > 0 {
		fmt.Fprintf(w, ", inherits from %s", strings.Join(from, ", "))
	}
	fmt.Fprintln(w)
	k := kv{w, "\t"}
	k.put("auto", c.Auto.String())
	k.put("keyexchange", c.KeyExchange.String())
	mode := c.Mode.String()
	if c.ProxyMode {
		mode = "transport_proxy"
	}
	k.put("type", mode)
	k.str("authby", c.Authby)
	k.str("eap_identity", c.EAPIdentity)
	k.str("aaa_identity", c.AAAIdentity)
	k.str("xauth_identity", c.XauthIdentity)
	k.put("compress", yesno(c.Options&ipsecconf.OptCompress != 0))
	k.put("installpolicy", yesno(c.InstallPolicy))
	k.put("aggressive", yesno(c.Aggressive))
	k.put("mobike", yesno(c.Options&ipsecconf.OptMobike != 0))
	k.put("forceencaps", yesno(c.Options&ipsecconf.OptForceEncap != 0))
	k.put("fragmentation", c.Fragmentation.String())
	k.put("ikedscp", fmt.Sprintf("%06b", c.IKEDSCP))
	k.put("ikelifetime", secs(c.IKELifetime))
	k.put("lifetime", secs(c.Lifetime))
	k.put("margintime", secs(c.Margin))
	k.put("lifebytes", strconv.FormatUint(c.LifeBytes, 10))
	k.put("marginbytes", strconv.FormatUint(c.MarginBytes, 10))
	k.put("lifepackets", strconv.FormatUint(c.LifePackets, 10))
	k.put("marginpackets", strconv.FormatUint(c.MarginPackets, 10))
	if c.KeyingTries == 0 {
		k.put("keyingtries", "%forever")
	} else {
		k.put("keyingtries", strconv.FormatUint(c.KeyingTries, 10))
	}
	k.put("rekeyfuzz", strconv.FormatUint(c.RekeyFuzz, 10)+"%")
	k.put("rekey", yesno(c.Options&ipsecconf.OptDontRekey == 0))
	k.put("reauth", yesno(c.Options&ipsecconf.OptDontReauth == 0))
	k.str("ike", c.IKE)
	k.str("esp", c.ESP)
	k.str("ah", c.AH)
	k.put("dpddelay", secs(c.DPDDelay))
	k.put("dpdtimeout", secs(c.DPDTimeout))
	k.put("dpdaction", c.DPDAction.String())
	k.put("closeaction", c.CloseAction.String())
	k.put("sha256_96", yesno(c.SHA256_96))
	k.put("inactivity", secs(c.Inactivity))
	if c.Options&ipsecconf.OptModecfgPush != 0 {
		k.put("modeconfig", "push")
	} else {
		k.put("modeconfig", "pull")
	}
	if c.Options&ipsecconf.OptXauthServer != 0 {
		k.put("xauth", "server")
	} else {
		k.put("xauth", "client")
	}
	if c.MeMediation || c.MeMediatedBy.Set || c.MePeerID.Set {
		k.put("mediation", yesno(c.MeMediation))
		k.str("mediated_by", c.MeMediatedBy)
		k.str("me_peerid", c.MePeerID)
	}
	k.put("reqid", strconv.FormatUint(uint64(c.ReqID), 10))
	if c.ReplayWindow == 0xffffffff {
		k.put("replay_window", "-1\t# charon.replay_window")
	} else {
		k.put("replay_window", strconv.FormatUint(uint64(c.ReplayWindow), 10))
	}
	k.put("mark_in", mark(c.MarkIn))
	k.put("mark_out", mark(c.MarkOut))
	if c.TFC == 0xffffffff {
		k.put("tfc", "%mtu")
	} else {
		k.put("tfc", strconv.FormatUint(uint64(c.TFC), 10))
	}
	printEnd(k, "left", &c.Left)
	printEnd(k, "right", &c.Right)

	fmt.Fprintf(w, "\t# traffic selectors: %s === %s\n", selectors(cfg, &c.Left), selectors(cfg, &c.Right))
	m := c.AddConn(&cfg.Setup, 1)
	if !c.Left.Auth.Set && !c.Right.Auth.Set && m.Authby.MeAuth.Set {
		exp := "leftauth=" + m.Authby.MeAuth.Value + " rightauth=" + m.Authby.OtherAuth.Value
		if m.Authby.MeAuth2.Set {
			exp += " leftauth2=" + m.Authby.MeAuth2.Value
		}
		if m.Authby.OtherAuth2.Set {
			exp += " rightauth2=" + m.Authby.OtherAuth2.Value
		}
		fmt.Fprintf(w, "\t# authby=%s is sent as %s\n", c.Authby.Value, exp)
	}
	lt := m.ChildLifetimes()
	if lt.Time.Life == 0 && lt.Bytes.Life == 0 && lt.Packets.Life == 0 {
		fmt.Fprintln(w, "\t# CHILD_SA: no lifetime, never rekeyed")
	} else {
		fmt.Fprintf(w, "\t# CHILD_SA: rekeyed after %ds minus up to %ds, expires after %ds\n",
			lt.Time.Rekey, lt.Time.Jitter, lt.Time.Life)
	}
	ike := m.IKETimes()
	switch {
	case ike.ReauthTime != 0:
		fmt.Fprintf(w, "\t# IKE_SA: reauthenticated after %ds minus up to %ds, deleted %ds later if that fails\n",
			ike.ReauthTime, ike.JitterTime, ike.OverTime)
	case ike.RekeyTime != 0:
		fmt.Fprintf(w, "\t# IKE_SA: rekeyed after %ds minus up to %ds, deleted %ds later if that fails\n",
			ike.RekeyTime, ike.JitterTime, ike.OverTime)
	default:
		fmt.Fprintln(w, "\t# IKE_SA: never rekeyed or reauthenticated")
	}
	printSent(w, m, sent)
	fmt.Fprintln(w)
}

// printSent says what starter sends for the conn and, when goswan's charon
// will not load it, why.
func printSent(w io.Writer, m ipsecconf.AddConnMsg, sent []string) {
	if len(sent) == 0 {
		fmt.Fprintln(w, "\t# not loaded (auto=ignore); usable with also=")
		return
	}
	fmt.Fprintf(w, "\t# starter sends %s\n", strings.Join(sent, ", "))
	for _, r := range m.Refusals() {
		if r.Refused {
			fmt.Fprintf(w, "\t# goswan's charon does not load it: %s\n", r.Reason())
		}
	}
}

func selectors(cfg *ipsecconf.Config, e *ipsecconf.End) string {
	ts, _ := cfg.TrafficSelectors(e)
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return strings.Join(out, ",")
}

func printEnd(k kv, side string, e *ipsecconf.End) {
	k.put(side, quote(e.Host.Or("%any")))
	if e.AllowAny {
		k.put(side+"allowany", "yes")
	}
	k.put(side+"ikeport", strconv.FormatUint(uint64(e.IKEPort), 10))
	k.str(side+"subnet", e.Subnet)
	port := fmt.Sprintf("%d-%d", e.FromPort, e.ToPort)
	switch {
	case e.FromPort == 0 && e.ToPort == 0xffff:
		port = "%any"
	case e.FromPort == 0xffff && e.ToPort == 0:
		port = "%opaque"
	case e.FromPort == e.ToPort:
		port = strconv.Itoa(int(e.FromPort))
	}
	if e.Protocol != 0 || port != "%any" {
		k.put(side+"protoport", fmt.Sprintf("%d/%s", e.Protocol, port))
	}
	k.str(side+"sourceip", e.SourceIP)
	k.str(side+"dns", e.DNS)
	if e.HostAccess {
		k.put(side+"hostaccess", "yes")
	}
	k.str(side+"updown", e.Updown)
	k.str(side+"auth", e.Auth)
	k.str(side+"auth2", e.Auth2)
	k.str(side+"id", e.ID)
	k.str(side+"id2", e.ID2)
	k.str(side+"sigkey", e.SigKey)
	k.str(side+"cert", e.Cert)
	k.str(side+"cert2", e.Cert2)
	k.str(side+"certpolicy", e.CertPolicy)
	k.put(side+"sendcert", e.SendCert.String())
	k.str(side+"ca", e.CA)
	k.str(side+"ca2", e.CA2)
	k.str(side+"groups", e.Groups)
	k.str(side+"groups2", e.Groups2)
}

func printSecrets(w io.Writer, path string, s *secrets.Secrets) {
	fmt.Fprintf(w, "# ipsec.secrets: %s", path)
	if len(s.Files) > 1 {
		fmt.Fprintf(w, " (and %d included files)", len(s.Files)-1)
	}
	fmt.Fprintln(w)
	for _, e := range s.Entries {
		fmt.Fprintf(w, "%s\t# %s\n", e.Redacted(), e.Pos)
	}
	fmt.Fprintln(w)
}

func printSettings(w io.Writer, path string, s *settings.Settings) {
	if path == "" {
		path = "(none)"
	}
	fmt.Fprintf(w, "# strongswan.conf: %s", path)
	if len(s.Files) > 1 {
		fmt.Fprintf(w, " (and %d included files)", len(s.Files)-1)
	}
	fmt.Fprintln(w)
	if s.Problems.Filter(confparse.Fatal) != nil {
		fmt.Fprintln(w, "# NOT USED: libstrongswan ignores a file with errors; every option has its default")
	}
	c := s.Charon("charon")
	k := kv{w, ""}
	k.put("charon.load_modular", yesno(s.Bool("charon.load_modular", false)))
	var plugins []string
	for _, p := range s.Plugins("charon", settings.DebianPlugins) {
		n := p.Name
		if p.Critical {
			n += "!"
		}
		plugins = append(plugins, n)
	}
	fmt.Fprintf(w, "# plugins in load order: %s\n", strings.Join(plugins, " "))
	k.put("charon.retransmit_tries", strconv.Itoa(c.RetransmitTries))
	k.put("charon.retransmit_timeout", strconv.FormatFloat(c.RetransmitTimeout, 'g', -1, 64))
	k.put("charon.retransmit_base", strconv.FormatFloat(c.RetransmitBase, 'g', -1, 64))
	k.put("charon.retransmit_jitter", strconv.Itoa(c.RetransmitJitter))
	k.put("charon.retransmit_limit", strconv.Itoa(c.RetransmitLimit))
	k.put("charon.delete_rekeyed_delay", strconv.Itoa(c.DeleteRekeyedDelay))
	k.put("charon.make_before_break", yesno(c.MakeBeforeBreak))
	k.put("charon.replay_window", strconv.Itoa(c.ReplayWindow))
	k.put("charon.plugins.stroke.socket", c.StrokeSocket)
	k.put("charon.plugins.stroke.secrets_file", c.SecretsFile)
	for _, l := range s.FileLoggers("charon") {
		fmt.Fprintf(w, "# file logger %s: path %s, default level %d%s\n", l.Section, l.Path, l.Default, levelDiffs(l.Default, l.Levels))
	}
	for _, l := range s.SyslogLoggers("charon") {
		fmt.Fprintf(w, "# syslog logger %s: default level %d%s\n", l.Facility, l.Default, levelDiffs(l.Default, l.Levels))
	}
}

// levelDiffs names the groups whose level differs from the default.
func levelDiffs(def bus.Level, lv settings.Levels) string {
	var out string
	for g, l := range lv {
		if l != def {
			out += fmt.Sprintf(", %s %d", strings.ToLower(bus.Group(g).String()), l)
		}
	}
	return out
}
