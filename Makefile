# goswan — see README.md. Targets that need root or Debian packages say so.

GO        ?= go
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
LIBEXEC   ?= $(PREFIX)/libexec/ipsec
FUZZTIME  ?= 5s
STATICCHECK_VERSION ?= v0.8.2
GOCYCLO_VERSION ?= v0.6.0
GOBIN     := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(shell command -v staticcheck 2>/dev/null || echo $(GOBIN)/staticcheck)
GOCYCLO   := $(shell command -v gocyclo 2>/dev/null || echo $(GOBIN)/gocyclo)

.PHONY: all build test lint fuzz-smoke install clean tidy-check demo

all: build

build:
	@mkdir -p bin
	$(GO) build -trimpath -o bin/charon ./cmd/charon
	$(GO) build -trimpath -o bin/ipsec ./cmd/ipsec

# The demo (root): strongSwan's moon/sun/alice/bob network in namespaces,
# goswan on both gateways, a tunnel, pings, statusall and a CHILD_SA rekey,
# all torn down again; under a minute. DEMO_ARGS picks other implementations,
# e.g. DEMO_ARGS="--sun strongswan" (Debian's strongSwan on sun).
DEMO_ARGS ?=
# Built as the invoking user; only the run needs root (sudo asks if needed,
# so the Go toolchain need not be on root's PATH).
demo: build
	$(GO) build -o testing/.bin/demo ./testing/cmd/demo
	@if [ "$$(id -u)" = 0 ]; then testing/.bin/demo --goswan-bin bin $(DEMO_ARGS); \
	else echo "demo: network namespaces need root; running it with sudo"; \
	sudo testing/.bin/demo --goswan-bin bin $(DEMO_ARGS); fi

# Unit and in-process tests. Tests that need root, namespaces or Debian's
# strongSwan skip loudly here unless GOSWAN_CI=1 (set by .ci/run), where they
# must run.
# atexit_sleep_ms=0: race-built helper binaries the tests start exit at once.
# The allocation tests cannot run under -race (the race detector allocates),
# and the collision sweeps, thousands of single-goroutine runs on virtual
# time, only get slower under it: they run once more without it.
#
# The packages that mostly wait on daemons in namespaces (interop's real
# strongSwan, reqiddiff's labs, encoding's live capture) are named first so
# that go test starts them first and the CPU-bound rest runs beside them;
# in ./...'s order they came last (testing/, encoding after most).
test:
	GORACE=atexit_sleep_ms=0 $(GO) test -race -count=1 -timeout 9m \
		./testing/interop ./testing/internal/reqiddiff ./encoding ./...
	$(GO) test -count=1 -run '^(TestESPAllocationFree|TestReceiverDropAllocs|TestCollisionSweep|TestCollisionInterleavings|TestCollisionRandomLoss)$$' ./crypto ./sa ./tasks

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOCYCLO):
	$(GO) install github.com/fzipp/gocyclo/cmd/gocyclo@$(GOCYCLO_VERSION)

# gofmt, vet, staticcheck, and no function over cyclomatic complexity 25
# unless its file says why (scripts/cyclo.sh).
lint: $(STATICCHECK) $(GOCYCLO)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	GOCYCLO=$(GOCYCLO) scripts/cyclo.sh
	scripts/filesize.sh

# Every fuzz target for FUZZTIME each (the seed corpora also run in `make test`).
fuzz-smoke:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz-smoke.sh

# The campaign: every fuzz target for FUZZTIME each (e.g. FUZZTIME=10m), the
# corpus growth kept in the packages' testdata/fuzz, then each fuzzed
# package's coverage with its corpora. FUZZ_PKGS narrows it (./encoding/...).
.PHONY: fuzz-long
fuzz-long:
	FUZZTIME=$(FUZZTIME) FUZZ_PKGS="$(FUZZ_PKGS)" GO=$(GO) scripts/fuzz-long.sh

install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXEC)
	install -m 0755 bin/ipsec $(DESTDIR)$(SBINDIR)/ipsec
	install -m 0755 bin/charon $(DESTDIR)$(LIBEXEC)/charon

clean:
	rm -rf bin

# The benchmark suite (root, iperf3, Debian's strongSwan and wireguard-tools;
# BENCHMARKS.md):
# every figure measured in the same run as its anchor (Debian's strongSwan
# 5.9.8, or wireguard-go) and printed as a ratio to it: TCP throughput and
# 64-byte packets/s through a negotiated tunnel, the IKE_SA setup rate (PSK, RSA-2048, ECDSA P-256), the
# responder's memory per IKE_SA at several tunnel counts, `ipsec start` of
# 10 000 conns and `ipsec update`. Writes bench/results.json and a PNG per
# figure; then the data plane alone, hand-keyed
# (testing/capture/libipsec-bench.sh). bench-quick is the same suite with
# small counts and one round, under 5 minutes (CI).
# BENCH_ARGS e.g. "--only ikesa --ikesa-auth psk --ikesas 500 --pairings gg,gs,sg,ss".
.PHONY: bench bench-quick
BENCH_ARGS ?=
bench: build
	$(GO) build -o testing/.bin/bench ./testing/cmd/bench
	$(GO) build -o testing/.bin/wgdev ./testing/cmd/wgdev
	rc=0; testing/.bin/bench --suite full --goswan-bin bin $(BENCH_ARGS) || rc=1; \
	GO=$(GO) testing/capture/libipsec-bench.sh || rc=1; exit $$rc

bench-quick: build
	$(GO) build -o testing/.bin/bench ./testing/cmd/bench
	$(GO) build -o testing/.bin/wgdev ./testing/cmd/wgdev
	testing/.bin/bench --suite quick --goswan-bin bin $(BENCH_ARGS)

# Scenario tests (root; Debian's strongswan, iproute2, tcpdump, iputils-ping
# and iperf3): strongSwan-format scenarios on a network-namespace copy of
# strongSwan's test topology, each in the four pairings of goswan and Debian's
# strongSwan 5.9.8, plus goswan's charon under Debian's ipsec/starter on
# either side (cs, sc). SCENARIOS narrows the run (e.g.
# SCENARIOS=ikev2/net2net-psk); see testing/README.md.
.PHONY: scenarios scenarios-control
SCENARIOS ?=
PAIRINGS  ?= gg,gs,sg,ss,cs,sc

# JOBS runs that many tests at a time, each on a topology of its own.
JOBS      ?= 1
scenarios: build
	testing/do-tests --jobs $(JOBS) --pairings $(PAIRINGS) $(SCENARIOS)

# Measurements (root): the scenarios of testing/measure, kept out of the
# scenario runs for their length. ikev2/rekey-zero-loss: two minutes of
# numbered UDP both ways across 24 CHILD_SA and 3 IKE_SA rekeys per pairing,
# in the scenario lane (make measure) and the kernel lane (make
# vmtest-measure); the udploss reports are in the results. One test at a
# time: a measurement must not share the CPUs.
.PHONY: measure vmtest-measure
MEASURE_PAIRINGS ?= gg,gs,sg,ss
measure: build
	testing/do-tests --tests testing/measure --pairings $(MEASURE_PAIRINGS) $(SCENARIOS)
vmtest-measure: build
	testing/do-tests --kernel --tests testing/measure --pairings $(MEASURE_PAIRINGS) $(SCENARIOS)

# Only the strongSwan-strongSwan control pairing, which proves the scenarios
# themselves and needs no goswan daemon.
scenarios-control:
	testing/do-tests --pairings ss $(SCENARIOS)

# The chaos lab (root; Debian's strongSwan, iproute2, nftables; netem if the kernel has it): live
# tunnels on strongSwan's test network in namespaces, attacked phase by phase
# (half-open flood, malformed storm, adversarial peer, stroke socket stress,
# network faults, kill -9 mid-rekey) with moon running goswan and then
# Debian's strongSwan; a table of what each phase sent and what held
# (testing/README.md, "The chaos lab"). The defaults are the issue's (about
# 25 minutes per implementation); CHAOS_ARGS narrows or shortens, e.g.
# CHAOS_ARGS="-moon goswan -phases 1,2 -storm 60s".
.PHONY: chaos
CHAOS_ARGS ?=
chaos: build
	$(GO) build -o testing/.bin/chaos ./testing/cmd/chaos
	testing/.bin/chaos run -goswan-bin bin -root . $(CHAOS_ARGS)

# The reqid differential test (root, Debian's strongswan): two copies of
# moon and sun, goswan on both gateways in one and Debian's charon in the
# other, driven through the same random sequences of stroke commands; every
# reqid is compared after every step (testing/internal/reqiddiff). About
# 2.5 s a sequence here, and two runs of half the sequences each (--seed 1,
# --seed 501) fit on the 2 cores at that pace. REQID_ARGS e.g.
# "--sequences 50 --seed 2001".
.PHONY: reqid-diff
REQID_ARGS ?= --sequences 1000
reqid-diff: build
	$(GO) build -o testing/.bin/reqiddiff ./testing/cmd/reqiddiff
	testing/.bin/reqiddiff --goswan-bin bin $(REQID_ARGS)

# Kernel lane: kernel_netlink's tests on Debian's stock kernel (with ESP)
# under qemu/TCG; needs qemu-system-x86 linux-image-amd64 busybox-static
# iproute2 kmod (testing/vm/README.md). Not part of `make test`.
.PHONY: vmtest
vmtest:
	GO=$(GO) testing/vm/run.sh

# The scenarios in the kernel lane (root): the same scenario files inside
# the guest, kernel-netlink and the kernel's ESP instead of the userspace
# data plane (testing/internal/runner/lane.go says what differs), every
# pairing on real XFRM. SCENARIOS narrows the run as for make scenarios.
.PHONY: vmtest-scenarios
# Two tests at a time (VM_JOBS): under TCG a test spends much of its time
# starting programs on one CPU while the other waits.
VM_PAIRINGS ?= gg,gs,sg,ss
VM_JOBS     ?= 2
vmtest-scenarios: build
	testing/do-tests --kernel --jobs $(VM_JOBS) --pairings $(VM_PAIRINGS) $(SCENARIOS)

# Soak (root; in the kernel lane's guest, whose kernel has netem): 10
# CHILD_SAs with lifetimes of 10-20 s and rekeying IKE_SAs under 10 % loss
# on the internet segment, then no leaked SA or policy, traffic through
# every tunnel, and no heap growth (testing/internal/soak). Every pairing of
# SOAK_PAIRINGS runs at the same time; results in testing/results/soak.
.PHONY: soak
SOAK_DURATION ?= 30m
SOAK_PAIRINGS ?= gg,ss
SOAK_ARGS     ?=
soak: build
	@mkdir -p testing/.bin
	$(GO) build -o testing/.bin/soak ./testing/cmd/soak
	testing/.bin/soak --kernel --goswan-bin bin --duration $(SOAK_DURATION) --pairings $(SOAK_PAIRINGS) $(SOAK_ARGS)

# README's two commands on a fresh machine (root, debootstrap): a minimal
# Debian bookworm root with only Go and the packages of
# testing/fresh/packages.txt runs `make demo` and `make test` from a clone of
# HEAD. FRESH_OMIT="pkg" leaves a package out, to see the check name it;
# FRESH_CI=1 checks CI's machine instead: .ci/packages.txt's lane "test" too,
# and GOSWAN_CI=1 make test.
.PHONY: fresh-check
FRESH_OMIT ?=
FRESH_CI ?=
fresh-check:
	FRESH_OMIT="$(FRESH_OMIT)" FRESH_CI="$(FRESH_CI)" GO=$(GO) testing/fresh/check.sh

# `make test` RUNS times in a row with every core loaded (stress-ng), and
# the failures of each run: flakes show up here.
.PHONY: test-loaded
RUNS ?= 20
test-loaded:
	RUNS=$(RUNS) MAKE="$(MAKE)" scripts/test-loaded.sh
