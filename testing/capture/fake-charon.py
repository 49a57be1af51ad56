#!/usr/bin/env python3
"""A stand-in for charon that records the stroke messages starter sends.

starter-capture.sh bind-mounts this file over /usr/lib/ipsec/charon inside a
private mount namespace. starter starts it as it would start charon; it
listens on /var/run/charon.ctl, writes /var/run/charon.pid so that starter
believes the daemon is up, and stores every message it receives as
$FAKE_CHARON_OUT/NN_TYPE.bin, replying nothing (as charon does for add_conn
and friends). It writes $FAKE_CHARON_OUT/argv with its command line and
touches $FAKE_CHARON_OUT/.idle once no message arrived for a while.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

TYPES = ["STR_INITIATE", "STR_ROUTE", "STR_UNROUTE", "STR_ADD_CONN", "STR_DEL_CONN",
         "STR_TERMINATE", "STR_TERMINATE_SRCIP", "STR_REKEY", "STR_STATUS", "STR_STATUS_ALL",
         "STR_STATUS_ALL_NOBLK", "STR_ADD_CA", "STR_DEL_CA", "STR_LOGLEVEL", "STR_CONFIG",
         "STR_LIST", "STR_REREAD", "STR_PURGE", "STR_LEASES", "STR_EXPORT", "STR_MEMUSAGE",
         "STR_USER_CREDS", "STR_COUNTERS"]
SOCKET = "/var/run/charon.ctl"
PIDFILE = "/var/run/charon.pid"
IDLE = float(os.environ.get("FAKE_CHARON_IDLE", "1.5"))


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    out = os.environ["FAKE_CHARON_OUT"]
    # starter execs charon with its own signal mask, which blocks the signals
    # it later uses to stop it; unblock them so that stopping is quick.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])

    def stop(signum, frame):
        try:
            os.unlink(PIDFILE)
        except OSError:
            pass
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with open(os.path.join(out, "argv"), "w") as f:
        f.write("\n".join(sys.argv[1:]) + "\n")
    try:
        os.unlink(SOCKET)
    except OSError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCKET)
    srv.listen(10)
    with open(PIDFILE, "w") as f:
        f.write("%d\n" % os.getpid())
    # A daemon that starter started again numbers on.
    n = len([f for f in os.listdir(out) if f.endswith(".bin")])
    last = time.monotonic()
    idle_written = False
    while True:
        r, _, _ = select.select([srv], [], [], 0.1)
        if not r:
            if not idle_written and time.monotonic() - last > IDLE:
                open(os.path.join(out, ".idle"), "w").close()
                idle_written = True
            continue
        conn, _ = srv.accept()
        head = read_exact(conn, 2)
        if len(head) == 2:
            (length,) = struct.unpack("<H", head)
            msg = head + read_exact(conn, max(0, length - 2))
            (typ,) = struct.unpack_from("<i", msg, 4) if len(msg) >= 8 else (-1,)
            name = TYPES[typ] if 0 <= typ < len(TYPES) else "TYPE_%d" % typ
            n += 1
            with open(os.path.join(out, "%02d_%s.bin" % (n, name)), "wb") as f:
                f.write(msg)
            sys.stderr.write("fake charon: got %s (%d bytes)\n" % (name, len(msg)))
        conn.close()
        last = time.monotonic()
        idle_written = False


if __name__ == "__main__":
    main()
