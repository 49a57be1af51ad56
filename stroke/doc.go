// Package stroke is charon's control socket: the stroke_msg_t codec, byte for
// byte as strongSwan 5.9 lays it out on x86_64, the socket server that
// dispatches requests to the daemon, and the client that bin/ipsec uses.
//
// It corresponds to strongSwan's src/stroke (the message header and the
// stroke client), src/starter/starterstroke.c (the sender of add_conn) and
// src/libcharon/plugins/stroke/stroke_socket.c (the daemon side).
//
// # Wire format
//
// A message is one C struct sent raw over a unix stream socket: a 16-byte
// header (length, type, output_verbosity), a 640-byte union holding the body
// of the message type, a buflen field, and from offset 658 on the strings,
// packed back to back, each NUL-terminated. A string field on the wire is a
// 64-bit byte offset from the start of the message, 0 meaning NULL. The
// layout is the one of strongSwan's stroke_msg.h compiled for LP64 little
// endian; it did not change between 5.9.8 and 6.0.
//
// Encode reproduces the bytes of Debian's starter and stroke exactly: the
// strings are pushed in their order, every padding byte is zero, and buflen
// grows in steps of 1024 as their realloc does. Decode applies charon's
// validation (minimum length 658, string offsets inside the message) and is
// stricter where charon would substitute a placeholder: a string offset
// outside the message is an error, not "(invalid pointer in stroke msg)".
//
// # Server and client
//
// The server (Listen) accepts one request per connection, answers in plain
// text and closes; it reads requests as they come and runs at most
// MaxConcurrent at a time (charon reads them in those slots too, so that
// slow clients can stall its socket; goswan's cannot). What a request does is up
// to the Handlers, interfaces split the way stroke_socket.c splits its
// collaborators (control, config, ca, credentials, list, counters, log
// levels), which the daemon implements. A handler writes its answer to a
// Reply, which knows the verbosity the client asked for and can prompt the
// user (Password:, PIN:, Passphrase:) on the client's terminal.
//
// The client (Send) writes a message, streams the reply to a writer as
// strongSwan's stroke program prints it, and answers prompts through a
// callback.
package stroke
