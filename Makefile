# resolvd — the two Quick start commands are `make run` and `make test`.
SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
APT_PACKAGES := libc-ares-dev pkg-config unbound dnsmasq-base netbase socat valgrind
# Only `make bench` needs these: dnsperf, and unshare/mount/ip for getaddrinfo_a in a private network namespace.
BENCH_PACKAGES := dnsperf util-linux mount iproute2
TSAN_BUILD   := .build-tsan

.PHONY: run test deps bench-deps build clean bench bench-core

# Installs what the build and the tests need (Debian packages), only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

bench-deps: deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(BENCH_PACKAGES)"

build: deps
	$(SWIFT) build

# The daemon in the foreground: upstreams from /etc/resolv.conf, /etc/hosts, socket ./run/resolvd.sock.
run: deps
	$(SWIFT) build --product resolvd
	$(SWIFT) build --product resolvdctl
	.build/debug/resolvd --socket ./run/resolvd.sock

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(SWIFT) test --sanitize=thread --scratch-path $(TSAN_BUILD)

# ResolverCore vs a plain single-channel c-ares loop against a local unbound (docs/performance.md).
bench-core: deps
	$(SWIFT) run -c release resolvd-bench

# The whole table of docs/performance.md: resolvd over its socket (cold, cached), ResolverCore,
# a c-ares loop, getaddrinfo_a in a private network namespace (needs root), dnsperf,
# cancellation latency and memory — medians of 3 runs against a local unbound.
bench: bench-deps
	$(SWIFT) build -c release --product resolvd
	$(SWIFT) build -c release --product resolvd-bench
	.build/release/resolvd-bench all

clean:
	rm -rf .build $(TSAN_BUILD)
