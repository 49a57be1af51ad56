// Package ipsecconf reads ipsec.conf as strongSwan 5.9.8's starter does
// (src/starter: parser/lexer.l, parser/parser.y, parser/conf_parser.c,
// confread.c, args.c, keywords.txt) and computes the stroke messages
// starter sends for it (starterstroke.c, starter.c).
//
// Load returns a Config: the config setup section, the conn and ca
// sections starter would use (each a Conn or CA with %default and also=
// applied, every keyword converted with starter's C semantics, defaults
// filled in), the sections starter drops because of errors, and every
// problem with its file:line:column. The error is non-nil exactly when
// starter refuses the whole file.
//
// Conn keeps starter's view: Left and Right are the file's sides (starter
// sends left as add_conn.me; charon decides which side is local), raw
// option bits, times in seconds as written. Conn.AddConn gives the values of
// the add_conn message field by field, Config.StartupMessages the sequence
// starter sends after starting charon, and AddConnMsg.ChildLifetimes /
// IKETimes the rekey timers charon derives from a message.
//
// The parity evidence is in testdata: confparse/testdata/starter holds 47
// configs with the messages Debian's starter sent for each
// (testing/capture/starter-capture.sh); TestStarterCorpus compares every
// message field by field, and whether starter refused the file or dropped a
// section.
package ipsecconf
