# resolvd — the two Quick start commands are `make run` and `make test`.
SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       ?= $(PREFIX)/bin
UNITDIR      ?= $(PREFIX)/lib/systemd/system
DOCDIR       ?= $(PREFIX)/share/doc/resolvd
SYSCONFDIR   ?= /etc
# Where `install-files` takes the binaries from; `install` builds them there first.
BIN_SOURCE   ?= .build/release
# systemd: systemd-analyze, systemd-socket-activate (tests); util-linux: unshare, setpriv, prlimit (tests);
# python3: /usr/bin/python3, standard library only: clients that hold connections (bounds tests)
# and getaddrinfo through nss-resolve (VarlinkNSSResolveTests);
# python3-pip: `pip download` of the varlink wheel (test-fixtures).
# python3-prometheus-client: parses `stats --prometheus` and /metrics (ObserveCommandLineTests).
# gcc, make, libjansson-dev: libresolvd, the C client (clients/c), built and tested by LibresolvdTests.
# iproute2: the network namespace where PythonClientTests compares the asyncio client with glibc.
APT_PACKAGES := libc-ares-dev pkg-config unbound dnsmasq-base netbase socat valgrind systemd util-linux python3 python3-pip python3-prometheus-client gcc make libjansson-dev iproute2 python3-dnspython bind9-dnsutils knot-dnsutils
# Test fixtures fetched once, never at test time: Debian's libnss-resolve (252), unpacked by
# VarlinkNSSResolveTests with dpkg-deb -x, never installed; PyPI's varlink (31.0.0), a second
# Varlink client for VarlinkPythonClientTests, unzipped there; Debian's systemd-resolved
# (252), whose binary scripts/bench-nss.sh runs in a namespace for comparison (unpacked,
# never installed) — it drops privileges to the `systemd-resolve` user, which is created
# from the package's own sysusers.d entry when missing (as root).
TEST_CACHE   ?= /var/cache/resolvd-test
VARLINK_PY   := varlink==31.0.0
# Only `make bench` needs these: dnsperf, and unshare/mount/ip for getaddrinfo_a in a private network namespace.
BENCH_PACKAGES := dnsperf util-linux mount iproute2
TSAN_BUILD   := .build-tsan

.PHONY: run test test-fixtures deps bench-deps build clean bench bench-baseline bench-core bench-callgrind soak stress-share fuzz fuzz-smoke release install install-files uninstall \
        man deb deb-deps deb-test clean-deb

# Installs what the build and the tests need (Debian packages), only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# `apt-get download libnss-resolve systemd-resolved` and `pip download varlink` into
# $(TEST_CACHE), once (`make test` runs it); the systemd-resolve user when missing.
test-fixtures:
	@if ! ls $(TEST_CACHE)/libnss-resolve_*.deb >/dev/null 2>&1; then \
	  mkdir -p $(TEST_CACHE) && cd $(TEST_CACHE) && apt-get download libnss-resolve; \
	fi
	@if ! ls $(TEST_CACHE)/varlink-*.whl >/dev/null 2>&1; then \
	  /usr/bin/python3 -m pip download --no-deps --only-binary=:all: $(VARLINK_PY) -d $(TEST_CACHE); \
	fi
	@if ! ls $(TEST_CACHE)/systemd-resolved_*.deb >/dev/null 2>&1; then \
	  mkdir -p $(TEST_CACHE) && cd $(TEST_CACHE) && apt-get download systemd-resolved; \
	fi
	@if ! getent passwd systemd-resolve >/dev/null; then \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "test-fixtures: no systemd-resolve user (scripts/bench-nss.sh's systemd-resolved row needs it): run as root to create it"; \
	  else \
	    echo "test-fixtures: creating the systemd-resolve system user (systemd-sysusers, systemd-resolved's sysusers.d entry)"; \
	    tmp=$$(mktemp -d) && dpkg-deb -x $$(ls $(TEST_CACHE)/systemd-resolved_*.deb | tail -1) $$tmp && \
	      systemd-sysusers $$tmp/usr/lib/sysusers.d/systemd-resolve.conf; status=$$?; rm -rf $$tmp; exit $$status; \
	  fi; \
	fi

bench-deps: deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(BENCH_PACKAGES)"

build: deps
	$(SWIFT) build

# libresolvd, the C client: .build-c/libresolvd.so.0, libresolvd.a, resolvd.pc (clients/c/Makefile).
.PHONY: libresolvd
libresolvd: deps
	$(MAKE) -C clients/c O=$(CURDIR)/.build-c

# The daemon in the foreground: upstreams from /etc/resolv.conf, /etc/hosts, socket ./run/resolvd.sock.
run: deps
	$(SWIFT) build --product resolvd
	$(SWIFT) build --product resolvdctl
	.build/debug/resolvd --socket ./run/resolvd.sock

# Serial (--no-parallel): the end-to-end suites start real daemons and DNS servers, and
# dozens of them at once on a 2-core machine turn timeouts into noise.
test: deps test-fixtures
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	scripts/check-man-options.sh .build/debug
	$(SWIFT) test --sanitize=thread --scratch-path $(TSAN_BUILD) --no-parallel
	@$(MAKE) --no-print-directory fuzz-smoke

# ResolverCore vs a plain single-channel c-ares loop against a local unbound (docs/performance.md).
bench-core: deps
	$(SWIFT) run -c release resolvd-bench

# The whole table of docs/performance.md: resolvd over its socket (cold, cached), ResolverCore,
# a c-ares loop, getaddrinfo_a in a private network namespace (needs root), dnsperf,
# cancellation latency and memory, one-at-a-time latency (cold, cached, the upstream's own
# round trip) — medians of 3 runs against a local unbound; then split DNS with 70,000
# routes (RouteTable build and match, resolvd start-up, cached lookups).
bench: bench-deps
	$(SWIFT) build -c release --product resolvd
	$(SWIFT) build -c release --product resolvd-bench
	.build/release/resolvd-bench all
	.build/release/resolvd-bench routes

# The cold and cached parts of `make bench` against an earlier commit's resolvd (BASE, default
# main before issue 11) in the same run, taking turns: the wall-clock cost of a change.
bench-baseline: bench-deps
	scripts/bench-baseline.sh

# Instructions per cold and per cached lookup inside resolvd, and per cached Varlink call on
# a new and on a kept connection, counted by callgrind (reproducible on a noisy machine;
# docs/performance.md).
bench-callgrind: deps
	$(SWIFT) build -c release --product resolvd
	$(SWIFT) build -c release --product resolvd-bench
	scripts/callgrind-daemon.sh

# Not part of `make test`: SOAK_LOOKUPS getaddrinfo requests over 100 connections with random
# cancels, cancel_all and abrupt closes, SIGHUP reloads, an upstream that drops 10 % of
# datagrams and restarts once; fails unless every request got exactly one reply and
# stats.in_flight is back to 0; prints RSS before/after and lookups/s (docs/reliability.md).
SOAK_LOOKUPS ?= 1000000
SOAK_ARGS    ?=
soak: deps
	$(SWIFT) build -c release --product resolvd
	$(SWIFT) build -c release --product resolvd-bench
	.build/release/resolvd-bench soak --lookups $(SOAK_LOOKUPS) --connections 100 --drop-percent 10 $(SOAK_ARGS)

# 2 × 1,000,000 getaddrinfo + cancel pairs against a release resolvd whose threads have 256 KiB
# stacks: any recursion left through the upstream share shows as a crash (docs/reliability.md).
stress-share: deps
	$(SWIFT) build -c release --product resolvd
	scripts/stress-share.sh

# libFuzzer (with AddressSanitizer) over every parser of untrusted bytes (Fuzz/Package.swift):
# DNS answers, upstream traffic (TCP framing, question fingerprints, reply tracking), the
# protocol's JSON, v1 request lines through a real ConnectionHandler, Varlink calls, and the
# configuration/hosts/services/protocols text. Each target runs for FUZZ_SECONDS from the
# seeds in Fuzz/Corpus and the inputs that once failed (Fuzz/Regressions); new inputs go to
# FUZZ_CORPUS, the full output and any crashing input to Fuzz/.artifacts. FUZZ_TARGETS picks
# some: `make fuzz FUZZ_TARGETS=Varlink`.
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?= -max_total_time=$(FUZZ_SECONDS)
FUZZ_CORPUS  ?= Fuzz/.corpus
# target:runs of the smoke run (about 5-15 s each on a busy 2-core machine).
FUZZ_SMOKE_RUNS = DNSMessage:300000 JSON:300000 UpstreamTraffic:10000 TextFiles:10000 Varlink:5000 RequestLines:1500 DNSStub:3000
FUZZ_TARGETS ?= $(foreach spec,$(FUZZ_SMOKE_RUNS),$(firstword $(subst :, ,$(spec))))
# swiftc keeps only the last -sanitize= it is given, and SwiftPM passes one per --sanitize:
# "-sanitize=fuzzer,address" last, or the Swift code gets AddressSanitizer without libFuzzer's
# coverage (C code takes both -fsanitize flags). -enable-testing: the targets' @testable imports.
FUZZ_BUILD   = $(SWIFT) build --package-path Fuzz -c release --sanitize=fuzzer --sanitize=address \
	-Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
fuzz: deps
	$(FUZZ_BUILD)
	@mkdir -p Fuzz/.artifacts
	@for spec in $(FUZZ_SMOKE_RUNS); do \
	  target=$${spec%%:*}; \
	  case " $(FUZZ_TARGETS) " in *" $$target "*) ;; *) continue ;; esac; \
	  args="$(FUZZ_ARGS)"; [ -n "$(FUZZ_SMOKE)" ] && args="-seed=1 -runs=$${spec#*:}"; \
	  mkdir -p $(FUZZ_CORPUS)/$$target; \
	  regressions=; [ -d Fuzz/Regressions/$$target ] && regressions=Fuzz/Regressions/$$target; \
	  log=Fuzz/.artifacts/$$target.log; \
	  if SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 Fuzz/.build/release/Fuzz$$target $$args -print_final_stats=1 \
	      -artifact_prefix=Fuzz/.artifacts/$$target- $(FUZZ_CORPUS)/$$target Fuzz/Corpus/$$target $$regressions > $$log 2>&1; then \
	    echo "fuzz $$target: $$(grep -E '^Done' $$log)"; \
	  else \
	    tail -40 $$log; echo "fuzz $$target: FAILED (input in Fuzz/.artifacts)"; exit 1; \
	  fi; \
	done

# Part of `make test`: the fuzz targets build, and a fixed-seed run of each (FUZZ_SMOKE_RUNS
# inputs), from the seeds and regressions only, finds nothing.
fuzz-smoke:
	@rm -rf Fuzz/.corpus/smoke
	@$(MAKE) --no-print-directory fuzz FUZZ_SMOKE=1 FUZZ_CORPUS=Fuzz/.corpus/smoke

# Release binaries for `install`.
release: deps
	$(SWIFT) build -c release --product resolvd
	$(SWIFT) build -c release --product resolvdctl

# `sudo make install && sudo systemctl enable --now resolvd.socket` — see docs/systemd.md.
install: release install-files

# Installs without building (the tests use it with BIN_SOURCE=<debug build> and a DESTDIR).
# An existing $(SYSCONFDIR)/resolvd/resolvd.conf is left alone.
install-files:
	install -D -m 0755 $(BIN_SOURCE)/resolvd $(DESTDIR)$(BINDIR)/resolvd
	install -D -m 0755 $(BIN_SOURCE)/resolvdctl $(DESTDIR)$(BINDIR)/resolvdctl
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/bin/resolvd|$(BINDIR)/resolvd|g' -e 's|/etc/resolvd/|$(SYSCONFDIR)/resolvd/|g' \
	    -e 's|file:///usr/local/share/doc/resolvd/|file://$(DOCDIR)/|g' systemd/resolvd.service > $(DESTDIR)$(UNITDIR)/resolvd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/resolvd.service
	install -m 0644 systemd/resolvd.socket $(DESTDIR)$(UNITDIR)/resolvd.socket
	sed -e 's|file:///usr/local/share/doc/resolvd/|file://$(DOCDIR)/|g' systemd/resolvd-resolve.socket > $(DESTDIR)$(UNITDIR)/resolvd-resolve.socket
	chmod 0644 $(DESTDIR)$(UNITDIR)/resolvd-resolve.socket
	sed -e 's|file:///usr/local/share/doc/resolvd/|file://$(DOCDIR)/|g' systemd/resolvd-dns.socket > $(DESTDIR)$(UNITDIR)/resolvd-dns.socket
	chmod 0644 $(DESTDIR)$(UNITDIR)/resolvd-dns.socket
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf"; \
	else \
	  install -D -m 0644 config/resolvd.conf $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf; \
	fi
	install -D -m 0644 docs/systemd.md $(DESTDIR)$(DOCDIR)/systemd.md
	install -m 0644 docs/protocol.md $(DESTDIR)$(DOCDIR)/protocol.md
	install -m 0644 docs/varlink.md $(DESTDIR)$(DOCDIR)/varlink.md
	install -m 0644 docs/stub.md $(DESTDIR)$(DOCDIR)/stub.md
	install -m 0644 docs/routing.md $(DESTDIR)$(DOCDIR)/routing.md
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# Removes what install put there; the configuration only if it is unchanged.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/resolvd $(DESTDIR)$(BINDIR)/resolvdctl
	rm -f $(DESTDIR)$(UNITDIR)/resolvd.service $(DESTDIR)$(UNITDIR)/resolvd.socket $(DESTDIR)$(UNITDIR)/resolvd-resolve.socket $(DESTDIR)$(UNITDIR)/resolvd-dns.socket
	rm -f $(DESTDIR)$(DOCDIR)/systemd.md $(DESTDIR)$(DOCDIR)/protocol.md $(DESTDIR)$(DOCDIR)/varlink.md $(DESTDIR)$(DOCDIR)/stub.md $(DESTDIR)$(DOCDIR)/routing.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	@if cmp -s config/resolvd.conf $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf; rmdir $(DESTDIR)$(SYSCONFDIR)/resolvd 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf ]; then \
	  echo "keeping the changed $(DESTDIR)$(SYSCONFDIR)/resolvd/resolvd.conf"; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

clean:
	rm -rf .build $(TSAN_BUILD) .build-c

# --- Debian package (docs: README "Install on Debian") --------------------------------------
# What `make deb` needs besides Swift; `make deb-test` also debootstrap, man-db and unbound.
DEB_PACKAGES      := debhelper dpkg-dev fakeroot scdoc lintian libc-ares-dev pkg-config libjansson-dev
DEB_TEST_PACKAGES := $(DEB_PACKAGES) debootstrap debian-archive-keyring man-db unbound systemd util-linux
DEB_VERSION       = $(shell dpkg-parsechangelog -S Version 2>/dev/null || sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
DEB_ARCH          = $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_FILE          = resolvd_$(DEB_VERSION)_$(DEB_ARCH).deb
# The other binary packages of the same source: the C library, the Python client and the
# resolvconf link (docs/routing.md).
DEB_OTHER_FILES   = libresolvd0_$(DEB_VERSION)_$(DEB_ARCH).deb libresolvd-dev_$(DEB_VERSION)_$(DEB_ARCH).deb \
                    python3-resolvd_$(DEB_VERSION)_all.deb resolvd-resolvconf_$(DEB_VERSION)_all.deb
# dpkg-buildpackage writes the .deb, .buildinfo and .changes here; the .deb is also linked
# to the top of the tree.
DEB_BUILD_DIR     := .build-deb-out
MAN_BUILD_DIR     := .build-man

deb-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(DEB_PACKAGES)"

# The manual pages (man/*.scd, scdoc) into $(MAN_BUILD_DIR); the package build makes its own.
man:
	@$(MAKE) --no-print-directory deps APT_PACKAGES=scdoc
	@mkdir -p $(MAN_BUILD_DIR)
	@for page in man/*.scd; do \
	  scdoc < $$page > $(MAN_BUILD_DIR)/$$(basename $$page .scd) || exit 1; \
	  echo "$(MAN_BUILD_DIR)/$$(basename $$page .scd)"; \
	done

# ./$(DEB_FILE): dpkg-buildpackage with debhelper (debian/), a static-stdlib release build
# in .build-deb, then lintian on the result (errors and warnings fail).
deb: deb-deps
	@mkdir -p $(DEB_BUILD_DIR)
	DEB_OUTDIR=$(CURDIR)/$(DEB_BUILD_DIR) nice -n 10 dpkg-buildpackage -b -us -uc \
	  --buildinfo-file=$(DEB_BUILD_DIR)/resolvd_$(DEB_VERSION)_$(DEB_ARCH).buildinfo --buildinfo-option=-u$(DEB_BUILD_DIR) \
	  --changes-file=$(DEB_BUILD_DIR)/resolvd_$(DEB_VERSION)_$(DEB_ARCH).changes --changes-option=-u$(DEB_BUILD_DIR)
	for file in $(DEB_FILE) $(DEB_OTHER_FILES); do ln -f $(DEB_BUILD_DIR)/$$file $$file || exit 1; done
	lintian --fail-on error,warning $(DEB_FILE) $(DEB_OTHER_FILES)
	@echo "built $(DEB_FILE) $(DEB_OTHER_FILES)"

# Builds the .deb, installs it in a debootstrap'ed bookworm chroot (cached in
# /var/cache/resolvd-deb-test) and checks it there end to end; needs root. scripts/deb-test.sh.
deb-test:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(DEB_TEST_PACKAGES)"
	scripts/deb-test.sh

clean-deb:
	rm -rf .build-deb $(DEB_BUILD_DIR) $(MAN_BUILD_DIR) debian/.debhelper debian/generated debian/resolvd \
	  debian/files debian/*.substvars debian/debhelper-build-stamp debian/*.debhelper.log resolvd_*.deb \
	  debian/tmp debian/libresolvd0 debian/libresolvd-dev debian/python3-resolvd libresolvd*.deb python3-resolvd_*.deb \
	  debian/resolvd-resolvconf resolvd-resolvconf_*.deb
