# resolvd — the two Quick start commands are `make run` and `make test`.
SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
APT_PACKAGES := libc-ares-dev pkg-config unbound dnsmasq-base netbase socat valgrind
TSAN_BUILD   := .build-tsan

.PHONY: run test deps build clean bench-core

# Installs what the build and the tests need (Debian packages), only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

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

clean:
	rm -rf .build $(TSAN_BUILD)
