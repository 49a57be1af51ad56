#!/usr/bin/env python3
"""Writes credentials/testdata/inet_glibc.golden: how glibc's inet_pton and
inet_ntop (which strongSwan's identity code calls) treat a set of address
strings and byte patterns. Python's socket.inet_pton/inet_ntop call glibc.

Usage: python3 testing/capture/credentials/inet_glibc.py > credentials/testdata/inet_glibc.golden
"""
import random
import socket

rng = random.Random(20261124)

pton6 = [
    "::", "::1", "1::", "fec0::1", "FEC0::A", "1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "::2:3:4:5:6:7:8", "1:2:3:4:5:6::8",
    "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
    "::01.2.3.4", "::1.2.3", "::1.2.3.4.5", "::256.1.1.1", "1.2.3.4::", "::1.2.3.4:5",
    "1:2:3:4:5::1.2.3.4", "fe80::1%eth0", "00000::1", "0000::1", "0::0", ":1::2", "1::2:",
    "1:::2", ":::", "::1::", "1:2:3:4:5:6:7:8:9", "12345::", "g::", "1:2", ":", "", " ::1",
    "::1 ", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "::ffff:0.0.0.0", "::0.0.0.0",
    "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "0:0:0:0:0:0:0:0", "::f:1.2.3.4",
]
pton4 = [
    "0.0.0.0", "1.2.3.4", "255.255.255.255", "256.0.0.0", "01.2.3.4", "1.02.3.4", "0.0.0.00",
    "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
    "1.2.3.-4", "+1.2.3.4", "0x1.2.3.4", "1.2.3.4/8", "",
]

print("# kind\tinput\tglibc result (!ERR when rejected)")
for s in pton6:
    try:
        out = socket.inet_pton(socket.AF_INET6, s).hex()
    except OSError:
        out = "!ERR"
    print(f'"pton6"\t"{s}"\t"{out}"')
for s in pton4:
    try:
        out = socket.inet_pton(socket.AF_INET, s).hex()
    except OSError:
        out = "!ERR"
    print(f'"pton4"\t"{s}"\t"{out}"')

patterns = []
for _ in range(400):
    words = [0] * 8
    for i in range(8):
        r = rng.random()
        if r < 0.55:
            words[i] = 0
        elif r < 0.65:
            words[i] = 0xffff
        elif r < 0.8:
            words[i] = rng.randrange(1, 16)
        else:
            words[i] = rng.randrange(0, 0x10000)
    patterns.append(b"".join(w.to_bytes(2, "big") for w in words))
for b in patterns:
    print(f'"ntop6"\t"{b.hex()}"\t"{socket.inet_ntop(socket.AF_INET6, b)}"')
