#!/usr/bin/env python3
"""Extract strongSwan's algorithm tables into the flat file that
crypto.TestAlgorithmTable compares goswan's table with.

Usage: testing/capture/strongswan-tables.py /path/to/strongswan-5.9.8 \
           > crypto/testdata/strongswan-5.9.8-tables.txt

It reads, from the source tree:
  - the enum values of the transform ids (crypter.h, signer.h, prf.h,
    key_exchange.h, transform.h, ipsec_types.h),
  - their names (the ENUM_BEGIN/ENUM_NEXT/ENUM and ENUM_END macros of
    crypter.c, signer.c, prf.c, key_exchange.c, transform.c, ipsec_types.c),
  - the proposal keywords (proposal_keywords_static.txt),
  - the AEAD set (encryption_algorithm_is_aead in crypter.c),
  - the integrity-to-PRF map (integ_prf_map in proposal.c),
  - the kernel names and the truncation lengths of kernel_netlink_ipsec.c.

Output lines (transform types by number: 1 ENCR, 2 PRF, 3 INTEG, 4 KE,
5 ESN, 259 IPComp):
  name <type> <id> <NAME>
  keyword <token> <type> <id> <keysize>
  aead <id>
  integprf <integ id> <prf id>
  kernel <type> <id> <kernel name>
  trunc <integ id> <bits>
  icv <encr id> <bits>       (the ICV length add_sa gives an AEAD)
"""
import os
import re
import sys

root = sys.argv[1]
lib = os.path.join(root, "src/libstrongswan")
knl = os.path.join(root, "src/libcharon/plugins/kernel_netlink/kernel_netlink_ipsec.c")


def read(path):
    with open(path) as f:
        return f.read()


def strip_comments(s):
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return re.sub(r"//[^\n]*", "", s)


def enum_values(path, name):
    """The constants of enum name in a header, with their values."""
    body = re.search(r"enum " + name + r"\s*\{(.*?)\};", strip_comments(read(path)), re.S).group(1)
    out, nxt = {}, 0
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            k, v = (x.strip() for x in item.split("=", 1))
            nxt = int(v, 0)
        else:
            k = item
        out[k] = nxt
        nxt += 1
    return out


def enum_names(path, name, values):
    """id -> name of the enum_name_t tables called name in a .c file."""
    src = strip_comments(read(path))
    out = {}
    pat = r"ENUM(?:_BEGIN|_NEXT)?\(\s*" + name + r"\s*,\s*(\w+)\s*,\s*(\w+)\s*,(.*?)\);"
    for m in re.finditer(pat, src, re.S):
        first, rest = m.group(1), m.group(3)
        strings = re.findall(r'"([^"]*)"', rest)
        start = values[first]
        for i, s in enumerate(strings):
            out[start + i] = s
    return out


types = {"ENCRYPTION_ALGORITHM": 1, "PSEUDO_RANDOM_FUNCTION": 2, "INTEGRITY_ALGORITHM": 3,
         "KEY_EXCHANGE_METHOD": 4, "EXTENDED_SEQUENCE_NUMBERS": 5, "COMPRESSION_ALGORITHM": 259}

enc = enum_values(os.path.join(lib, "crypto/crypters/crypter.h"), "encryption_algorithm_t")
integ = enum_values(os.path.join(lib, "crypto/signers/signer.h"), "integrity_algorithm_t")
prf = enum_values(os.path.join(lib, "crypto/prfs/prf.h"), "pseudo_random_function_t")
ke = enum_values(os.path.join(lib, "crypto/key_exchange.h"), "key_exchange_method_t")
esn = enum_values(os.path.join(lib, "crypto/transform.h"), "extended_sequence_numbers_t")
ipcomp = enum_values(os.path.join(lib, "ipsec/ipsec_types.h"), "ipcomp_transform_t")
consts = {}
for d in (enc, integ, prf, ke, esn, ipcomp):
    consts.update(d)

tables = [
    (1, "crypto/crypters/crypter.c", "encryption_algorithm_names", enc),
    (2, "crypto/prfs/prf.c", "pseudo_random_function_names", prf),
    (3, "crypto/signers/signer.c", "integrity_algorithm_names", integ),
    (4, "crypto/key_exchange.c", "key_exchange_method_names", ke),
    (5, "crypto/transform.c", "extended_sequence_numbers_names", esn),
    (259, "ipsec/ipsec_types.c", "ipcomp_transform_names", ipcomp),
]
for t, path, name, values in tables:
    for i, n in sorted(enum_names(os.path.join(lib, path), name, values).items()):
        print("name", t, i, n)

for line in read(os.path.join(lib, "crypto/proposal/proposal_keywords_static.txt")).split("%%", 1)[1].splitlines():
    parts = [p.strip() for p in line.split(",")]
    if len(parts) == 4:
        print("keyword", parts[0], types[parts[1]], consts[parts[2]], int(parts[3]))

crypter = strip_comments(read(os.path.join(lib, "crypto/crypters/crypter.c")))
body = re.search(r"bool encryption_algorithm_is_aead\(.*?\{(.*?)return TRUE", crypter, re.S).group(1)
for c in re.findall(r"case (\w+):", body):
    print("aead", enc[c])

proposal = strip_comments(read(os.path.join(lib, "crypto/proposal/proposal.c")))
body = re.search(r"integ_prf_map\[\] = \{(.*?)\};", proposal, re.S).group(1)
for i, p in re.findall(r"\{\s*(\w+)\s*,\s*(\w+)\s*\}", body):
    print("integprf", integ[i], prf[p])

kernel = strip_comments(read(knl))
for t, table in ((1, "encryption_algs"), (3, "integrity_algs"), (259, "compression_algs")):
    body = re.search(r"kernel_algorithm_t " + table + r"\[\] = \{(.*?)\};", kernel, re.S).group(1)
    for c, n in re.findall(r'\{\s*(\w+)\s*,\s*"([^"]*)"\s*\}', body):
        print("kernel", t, consts[c], n)

body = re.search(r"u_int trunc_len = 0;(.*?)if \(trunc_len\)", kernel, re.S).group(1)
cases = []
for tok in re.findall(r"case (\w+):|trunc_len = (\d+);", body):
    if tok[0]:
        cases.append(tok[0])
    else:
        for c in cases:
            print("trunc", integ[c], tok[1])
        cases = []

# The AEAD cases of add_sa fall through "icv_size += 32" steps from 64.
body = re.search(r"switch \(data->enc_alg\)(.*?)struct xfrm_algo_aead", kernel, re.S).group(1)
base = int(re.search(r"uint16_t icv_size = (\d+)", kernel).group(1))
groups = [re.findall(r"case (\w+):", g) for g in body.split("icv_size += 32;")]
for n, g in enumerate(groups):
    for c in g:
        if c != "ENCR_UNDEFINED":
            print("icv", enc[c], base + 32 * (len(groups) - 1 - n))
