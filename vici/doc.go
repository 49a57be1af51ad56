// Package vici is charon's Versatile IKE Control Interface: the protocol of
// strongSwan 5.9's src/libcharon/plugins/vici/README.md, the socket server
// with its command and event registry, and the commands and events of the
// vici plugin (vici_query.c, vici_control.c, vici_config.c, vici_cred.c,
// vici_authority.c, vici_attribute.c, vici_logger.c), so that Debian's
// swanctl and every client built on libvici, govici or the Python and Ruby
// bindings drive goswan's charon as they drive strongSwan's.
//
// # Layers
//
// Transport: byte sequences, each prefixed with its 32-bit big-endian
// length, at most MaxSegment (512 KiB). Packets: a type byte (CmdRequest
// … EventPacket), an 8-bit length-prefixed name for the named types, then
// a message. Messages: a sequence of elements (section start/end, key/value,
// list start/item/end) with 8-bit names and 16-bit values, Decode and
// Builder checking each element as charon's vici_verify_type does.
//
// # Server
//
// Listen creates the socket (unix://, mode 0770 as charon binds it under
// umask(S_IRWXO); or tcp://). Each client gets an identifier counting from
// 1; its packets are handled one after the other, its responses and events
// go through a queue that no event source ever waits on. Commands and
// events are registered by name (Command, Event); Raise sends an event to
// every registered client or, during a streaming command, to one.
//
// # Daemon
//
// Plugin wires the commands and events to the daemon through the Charon
// interface and the stores it passes in (see plugin.go): conns loaded here
// form a configuration backend beside stroke's, shared secrets a
// credential set beside stroke's, as the two plugins sit side by side in
// charon. Features goswan does not have yet (certificates, private keys,
// authorities, address pools) answer with charon's error form and a
// message saying so; nothing is pretended.
package vici
