package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/goswan/goswan/internal/clib"
	"github.com/goswan/goswan/stroke"
)

// This file is strongSwan's stroke program (src/stroke/stroke.c), which the
// ipsec script runs for all its daemon commands and as `ipsec stroke ...`:
// the same keywords, argument errors, output streams and exit codes.

// stdio is where the stroke commands read and write.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	// prompt answers the daemon's prompts (getpass by default).
	prompt stroke.PromptFunc
}

// strokeStdio is the process's stdio; tests replace it.
var strokeStdio = stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}

// strokeProgName is how getopt's messages name the program. The ipsec
// script runs stroke as /usr/lib/ipsec/stroke; ours runs in-process.
const strokeProgName = "stroke"

// strokeKeyword is one entry of stroke's keyword table.
type strokeKeyword struct {
	// build makes the message from the positional arguments after the
	// keyword, or returns the usage error stroke prints.
	build func(args []string, utc bool) (*stroke.Msg, string)
	// nonBlocking: up-nb and down-nb send output_verbosity -1, so the
	// daemon neither reports nor makes the client wait.
	nonBlocking bool
}

func nameMsg(t stroke.Type, body func(stroke.Str) stroke.Body, what string) func([]string, bool) (*stroke.Msg, string) {
	return func(args []string, _ bool) (*stroke.Msg, string) {
		if len(args) < 1 {
			return nil, what
		}
		return &stroke.Msg{Type: t, Body: body(stroke.S(args[0]))}, ""
	}
}

func optArg(args []string, i int) stroke.Str {
	if len(args) > i {
		return stroke.S(args[i])
	}
	return stroke.Str{}
}

func listMsg(f stroke.ListFlags) func([]string, bool) (*stroke.Msg, string) {
	return func(_ []string, utc bool) (*stroke.Msg, string) {
		l := &stroke.List{Flags: f}
		if utc {
			l.UTC = 1
		}
		return &stroke.Msg{Type: stroke.TypeList, Body: l}, ""
	}
}

func rereadMsg(f stroke.RereadFlags) func([]string, bool) (*stroke.Msg, string) {
	return func([]string, bool) (*stroke.Msg, string) {
		return &stroke.Msg{Type: stroke.TypeReread, Body: &stroke.Reread{Flags: f}}, ""
	}
}

func purgeMsg(f stroke.PurgeFlags) func([]string, bool) (*stroke.Msg, string) {
	return func([]string, bool) (*stroke.Msg, string) {
		return &stroke.Msg{Type: stroke.TypePurge, Body: &stroke.Purge{Flags: f}}, ""
	}
}

func exportMsg(f stroke.ExportFlags) func([]string, bool) (*stroke.Msg, string) {
	return func(args []string, _ bool) (*stroke.Msg, string) {
		if len(args) < 1 {
			return nil, `"export" needs a name`
		}
		return &stroke.Msg{Type: stroke.TypeExport, Body: &stroke.Export{Flags: f, Selector: stroke.S(args[0])}}, ""
	}
}

func statusMsg(t stroke.Type) func([]string, bool) (*stroke.Msg, string) {
	return func(args []string, _ bool) (*stroke.Msg, string) {
		return &stroke.Msg{Type: t, Body: &stroke.Status{Name: optArg(args, 0)}}, ""
	}
}

func countersMsg(reset int32) func([]string, bool) (*stroke.Msg, string) {
	return func(args []string, _ bool) (*stroke.Msg, string) {
		return &stroke.Msg{Type: stroke.TypeCounters, Body: &stroke.Counters{Reset: reset, Name: optArg(args, 0)}}, ""
	}
}

// addConnMsg is `stroke add`: a minimal IKEv2 connection with the values
// stroke.c fills in (transport mode, no rekeying, dpdaction=clear).
func addConnMsg(args []string, _ bool) (*stroke.Msg, string) {
	if len(args) < 7 {
		return nil, `"add" needs more arguments...`
	}
	return &stroke.Msg{Type: stroke.TypeAddConn, Body: &stroke.AddConn{
		Name: stroke.S(args[0]), Version: 2, Mode: stroke.ModeTransport, Mobike: 1,
		DPD: stroke.DPD{Action: stroke.ActionClear}, InstallPolicy: 1,
		Me: stroke.End{ID: stroke.S(args[1]), Address: stroke.S(args[3]), IKEPort: 500,
			Subnets: stroke.S(args[5]), SendCert: stroke.SendCertIfAsked, ToPort: 65535},
		Other: stroke.End{ID: stroke.S(args[2]), Address: stroke.S(args[4]), IKEPort: 500,
			Subnets: stroke.S(args[6]), SendCert: stroke.SendCertIfAsked, ToPort: 65535},
	}}, ""
}

var strokeKeywords = map[string]strokeKeyword{
	"add": {build: addConnMsg},
	"del": {build: nameMsg(stroke.TypeDelConn,
		func(s stroke.Str) stroke.Body { return &stroke.DelConn{Name: s} }, `"delete" needs a connection name`)},
	"route": {build: nameMsg(stroke.TypeRoute,
		func(s stroke.Str) stroke.Body { return &stroke.Route{Name: s} }, `"route" needs a connection name`)},
	"unroute": {build: nameMsg(stroke.TypeUnroute,
		func(s stroke.Str) stroke.Body { return &stroke.Unroute{Name: s} }, `"unroute" needs a connection name`)},
	"up": {build: nameMsg(stroke.TypeInitiate,
		func(s stroke.Str) stroke.Body { return &stroke.Initiate{Name: s} }, `"up" needs a connection name`)},
	"down": {build: nameMsg(stroke.TypeTerminate,
		func(s stroke.Str) stroke.Body { return &stroke.Terminate{Name: s} }, `"down" needs a connection name`)},
	"rekey": {build: nameMsg(stroke.TypeRekey,
		func(s stroke.Str) stroke.Body { return &stroke.Rekey{Name: s} }, `"rekey" needs a connection name`)},
	"down-srcip": {build: func(args []string, _ bool) (*stroke.Msg, string) {
		if len(args) < 1 {
			return nil, `"down-srcip" needs start and optional end address`
		}
		return &stroke.Msg{Type: stroke.TypeTerminateSrcIP,
			Body: &stroke.TerminateSrcIP{Start: stroke.S(args[0]), End: optArg(args, 1)}}, ""
	}},
	"loglevel": {build: func(args []string, _ bool) (*stroke.Msg, string) {
		if len(args) < 2 {
			return nil, `"logtype" needs more parameters...`
		}
		return &stroke.Msg{Type: stroke.TypeLogLevel,
			Body: &stroke.LogLevel{Type: stroke.S(args[0]), Level: clib.Atoi(args[1])}}, ""
	}},
	"status":          {build: statusMsg(stroke.TypeStatus)},
	"statusall":       {build: statusMsg(stroke.TypeStatusAll)},
	"statusallnb":     {build: statusMsg(stroke.TypeStatusAllNoBlock)},
	"statusall-nb":    {build: statusMsg(stroke.TypeStatusAllNoBlock)},
	"listpubkeys":     {build: listMsg(stroke.ListPubkeys)},
	"listcerts":       {build: listMsg(stroke.ListCerts)},
	"listcacerts":     {build: listMsg(stroke.ListCACerts)},
	"listocspcerts":   {build: listMsg(stroke.ListOCSPCerts)},
	"listaacerts":     {build: listMsg(stroke.ListAACerts)},
	"listacerts":      {build: listMsg(stroke.ListACerts)},
	"listgroups":      {}, // in stroke's table, but its switch has no case: usage, exit 0
	"listcainfos":     {build: listMsg(stroke.ListCAInfos)},
	"listcrls":        {build: listMsg(stroke.ListCRLs)},
	"listocsp":        {build: listMsg(stroke.ListOCSP)},
	"listalgs":        {build: listMsg(stroke.ListAlgs)},
	"listplugins":     {build: listMsg(stroke.ListPlugins)},
	"listall":         {build: listMsg(stroke.ListAll)},
	"rereadsecrets":   {build: rereadMsg(stroke.RereadSecrets)},
	"rereadcacerts":   {build: rereadMsg(stroke.RereadCACerts)},
	"rereadocspcerts": {build: rereadMsg(stroke.RereadOCSPCerts)},
	"rereadaacerts":   {build: rereadMsg(stroke.RereadAACerts)},
	"rereadacerts":    {build: rereadMsg(stroke.RereadACerts)},
	"rereadcrls":      {build: rereadMsg(stroke.RereadCRLs)},
	"rereadall":       {build: rereadMsg(stroke.RereadAll)},
	"purgeocsp":       {build: purgeMsg(stroke.PurgeOCSP)},
	"purgecrls":       {build: purgeMsg(stroke.PurgeCRLs)},
	"purgecerts":      {build: purgeMsg(stroke.PurgeCerts)},
	"purgeike":        {build: purgeMsg(stroke.PurgeIKE)},
	"exportx509":      {build: exportMsg(stroke.ExportX509)},
	"exportconncert":  {build: exportMsg(stroke.ExportConnCert)},
	"exportconnchain": {build: exportMsg(stroke.ExportConnChain)},
	"leases": {build: func(args []string, _ bool) (*stroke.Msg, string) {
		return &stroke.Msg{Type: stroke.TypeLeases,
			Body: &stroke.Leases{Pool: optArg(args, 0), Address: optArg(args, 1)}}, ""
	}},
	"memusage": {build: func([]string, bool) (*stroke.Msg, string) {
		return &stroke.Msg{Type: stroke.TypeMemUsage, Body: &stroke.MemUsage{}}, ""
	}},
	"user-creds": {build: func(args []string, _ bool) (*stroke.Msg, string) {
		if len(args) < 2 {
			return nil, `"user-creds" needs a connection name, username and optionally a password`
		}
		return &stroke.Msg{Type: stroke.TypeUserCreds, Body: &stroke.UserCreds{
			Name: stroke.S(args[0]), Username: stroke.S(args[1]), Password: optArg(args, 2)}}, ""
	}},
	"listcounters":  {build: countersMsg(0)},
	"resetcounters": {build: countersMsg(1)},
}

func init() {
	strokeStdio.prompt = getpass
	// Aliases whose C cases fall through to their twin.
	strokeKeywords["delete"] = strokeKeywords["del"]
	up, down := strokeKeywords["up"], strokeKeywords["down"]
	up.nonBlocking, down.nonBlocking = true, true
	strokeKeywords["up-nb"], strokeKeywords["down-nb"] = up, down

	register("stroke", command{run: strokeMain})
}

// strokeMain runs the stroke program with its arguments and returns its
// exit status.
func strokeMain(args []string) int {
	opts, pos, errMsg := parseStrokeArgs(args)
	if errMsg != "" {
		fmt.Fprintf(strokeStdio.err, "%s: %s\n", strokeProgName, errMsg)
		return strokeUsage("invalid option")
	}
	if opts.help {
		return strokeUsage("")
	}
	if len(pos) == 0 {
		return strokeUsage("command missing")
	}
	kw, ok := strokeKeywords[pos[0]]
	if !ok {
		return strokeUsage("unknown command")
	}
	if kw.build == nil {
		return strokeUsage("")
	}
	msg, usageErr := kw.build(pos[1:], opts.utc)
	if usageErr != "" {
		return strokeUsage(usageErr)
	}
	msg.Verbosity = stroke.VerbosityControl
	if kw.nonBlocking {
		msg.Verbosity = stroke.VerbositySilent
	}
	return strokeSend(msg, strokeSocketURI(opts.daemon))
}

// strokeSend sends msg and prints the reply; its result is stroke's exit
// status: 0 once the message went out (even if the daemon said "no config
// named ..."), 255 if it could not be sent.
func strokeSend(msg *stroke.Msg, uri string) int {
	c := &stroke.Client{URI: uri, Out: strokeStdio.out, Prompt: strokeStdio.prompt}
	err := c.Send(msg)
	var ce *stroke.ClientError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, stroke.ErrTooLong):
		fmt.Fprint(strokeStdio.err, "stroke message exceeds maximum buffer size")
		return 255
	case errors.As(err, &ce) && ce.Op == stroke.OpConnect:
		// libstrongswan's stream layer logs the reason, stroke the failure.
		fmt.Fprintf(strokeStdio.err, "%s\n", ce.Error())
		fmt.Fprintf(strokeStdio.err, "failed to connect to stroke socket '%s'\n", uri)
		return 255
	case errors.As(err, &ce) && ce.Op == stroke.OpSend:
		fmt.Fprintf(strokeStdio.err, "sending stroke message failed\n")
		return 255
	case errors.As(err, &ce) && ce.Op == stroke.OpPrompt:
		// strongSwan's client would hang here; we hang up instead.
		fmt.Fprintf(strokeStdio.err, "%v\n", ce.Err)
		return 0
	default:
		fmt.Fprintf(strokeStdio.err, "reading stroke response failed\n")
		return 0
	}
}

// strokeUsage prints stroke's usage text: to stdout when asked for (exit
// 0), to stderr with "Error: ..." after an argument error (exit 255, C's
// return -1).
func strokeUsage(errMsg string) int {
	out := strokeStdio.out
	if errMsg != "" {
		out = strokeStdio.err
	}
	fmt.Fprint(out, strokeUsageText)
	if errMsg != "" {
		fmt.Fprintf(out, "\nError: %s\n", errMsg)
		return 255
	}
	return 0
}

// strokeUsageText is stroke's usage output, which operators and scripts
// see; it is reproduced as strongSwan 5.9.8 prints it.
const strokeUsageText = `stroke [OPTIONS] command [ARGUMENTS]

Options:
  -h, --help             print this information.
  -d, --daemon=NAME      name of the daemon.
Commands:
  Add a connection:
    stroke add NAME MY_ID OTHER_ID MY_ADDR OTHER_ADDR\
           MY_NET OTHER_NET
    where: ID is any IKEv2 ID 
           ADDR is a IPv4 address
           NET is a IPv4 subnet in CIDR notation
  Delete a connection:
    stroke delete NAME
    where: NAME is a connection name added with "stroke add"
  Initiate a connection:
    stroke up NAME
    where: NAME is a connection name added with "stroke add"
  Initiate a connection without blocking:
    stroke up-nb NAME
    where: NAME is a connection name added with "stroke add"
  Terminate a connection:
    stroke down NAME
    where: NAME is a connection name added with "stroke add"
  Terminate a connection without blocking:
    stroke down-nb NAME
    where: NAME is a connection name added with "stroke add"
  Terminate a connection by remote srcip:
    stroke down-srcip START [END]
    where: START and optional END define the clients source IP
  Set loglevel for a logging type:
    stroke loglevel TYPE LEVEL
    where: TYPE is any|dmn|mgr|ike|chd|job|cfg|knl|net|asn|enc|tnc|imc|imv|pts|tls|esp|lib
           LEVEL is -1|0|1|2|3|4
  Show connection status:
    stroke status
  Show extended status information:
    stroke statusall
  Show extended status information without blocking:
    stroke statusall-nb
  Show list of authority and attribute certificates:
    stroke listcacerts|listocspcerts|listaacerts|listacerts [--utc]
  Show list of end entity certificates, ca info records  and crls:
    stroke listcerts|listcainfos|listcrls|listall [--utc]
  Show list of supported algorithms:
    stroke listalgs
  Reload authority and attribute certificates:
    stroke rereadcacerts|rereadocspcerts|rereadaacerts|rereadacerts
  Reload secrets and crls:
    stroke rereadsecrets|rereadcrls|rereadall
  Purge ocsp cache entries:
    stroke purgeocsp
  Purge CRL cache entries:
    stroke purgecrls
  Purge X509 cache entries:
    stroke purgecerts
  Purge IKE_SAs without a CHILD_SA:
    stroke purgeike
  Export credentials to the console:
    stroke exportx509 DN
    stroke exportconncert connname
    stroke exportconnchain connname
  Show current memory usage:
    stroke memusage
  Show leases of a pool:
    stroke leases [POOL [ADDRESS]]
  Set username and password for a connection:
    stroke user-creds NAME USERNAME [PASSWORD]
    where: NAME is a connection name added with "stroke add"
           USERNAME is the username
           PASSWORD is the optional password, you'll be asked to enter it if not given
  Show IKE counters:
    stroke listcounters [connection-name]
`
