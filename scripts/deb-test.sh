#!/usr/bin/env bash
# `make deb-test`: builds the Debian package (`make deb`, lintian included), then installs it
# into a fresh debootstrap'ed Debian bookworm chroot and checks it there:
#   - apt installs it and its dependencies (libc-ares2) with PID 1 not being systemd;
#   - ldd: every library the binaries need is found, and none of them is a Swift runtime;
#   - resolvd --version, resolvdctl --help, man -w for the three pages, the completions;
#   - the postinst enabled resolvd.socket (not resolvd.service);
#   - systemd-analyze verify of the installed units prints nothing;
#   - the installed resolvd, started with --dns on an unbound that this script runs on the
#     host's loopback (the chroot shares the network namespace), answers resolvdctl;
#   - libresolvd-dev: a C program built with `pkg-config --cflags --libs resolvd` links the
#     installed libresolvd.so.0 and gets its answers (and a cancel's truth) from that daemon;
#     python3-resolvd's getaddrinfo too;
#     and it starts with the shipped /etc/resolvd/resolvd.conf;
#   - apt remove keeps the conffile; purge leaves nothing behind (file list and /etc compared
#     with the chroot before the install).
# Needs root. DNS goes only to 127.0.0.1; packages come from the Debian mirror of this
# machine's apt configuration (read at run time). The bootstrapped chroot is cached as a tar
# in $RESOLVD_DEB_TEST_CACHE (default /var/cache/resolvd-deb-test) and rebuilt only when its
# recipe (suite, architecture, mirror, packages) changes.
#
# usage: scripts/deb-test.sh [--no-build] [--prepare-chroot]
#   --no-build        test the .deb already built
#   --prepare-chroot  only bootstrap (or check) the cached chroot, then stop
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
ARCH=$(dpkg --print-architecture)
CACHE=${RESOLVD_DEB_TEST_CACHE:-/var/cache/resolvd-deb-test}
# Bump when the chroot recipe below changes in a way the recipe string does not show.
CACHE_FORMAT=4
# netbase and procps are of priority important (on every Debian but a minbase chroot), and
# resolvd depends on them; with them in the base, purge --autoremove takes away only what the
# package alone brought (netbase's postinst would otherwise leave an /etc/hosts behind).
CHROOT_PACKAGES=man-db,systemd,netbase,procps
# Fetched into the cached chroot's apt cache, so that installing the package needs no network.
# The client packages' test also needs a compiler, pkg-config, jansson's headers and python3.
PREFETCH_PACKAGES="libc-ares2 gcc libc6-dev pkg-config libjansson-dev python3"
CLIENT_TOOLS="gcc libc6-dev pkg-config"

started=$(date +%s)
passed=0
failed=0
say() { printf 'deb-test: %s\n' "$*"; }
pass() { passed=$((passed + 1)); say "ok   $*"; }
fail() { failed=$((failed + 1)); say "FAIL $*"; }
check() { # check "description" command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"

# Everything below runs in a private mount namespace: the chroot's mounts disappear with it.
if [ -z "${RESOLVD_DEB_TEST_IN_NAMESPACE:-}" ]; then
  export RESOLVD_DEB_TEST_IN_NAMESPACE=1
  exec unshare --mount --propagation private "$0" "$@"
fi

build=yes
prepare_only=no
for arg in "$@"; do
  case $arg in
    --no-build) build=no ;;
    --prepare-chroot) prepare_only=yes; build=no ;;
    *) die "unknown argument $arg" ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# The Debian mirror this machine's apt uses for $SUITE: one-line sources (sources.list, *.list)
# and deb822 (*.sources) are both read; no host name is written into any file of the project.
apt_mirror() {
  local suite=$1 file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v suite="$suite" '
      /^[[:space:]]*(#|$)/ { next }
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$file"
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$suite" '
      function flush() {
        if (!found && index(" " types " ", " deb ") && index(" " suites " ", " " suite " ") && enabled != "no" && uris != "") {
          split(uris, u, " "); print u[1]; found = 1
        }
        types = ""; suites = ""; uris = ""; enabled = ""; last = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      /^[A-Za-z0-9-]+:/ {
        key = tolower(substr($0, 1, index($0, ":") - 1)); value = substr($0, index($0, ":") + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", value); last = key
        if (key == "types") types = value; else if (key == "suites") suites = value
        else if (key == "uris") uris = value; else if (key == "enabled") enabled = tolower(value)
        next
      }
      /^[ \t]/ {
        value = $0; gsub(/^[ \t]+|[ \t]+$/, "", value)
        if (last == "types") types = types " " value; else if (last == "suites") suites = suites " " value
        else if (last == "uris") uris = uris " " value
      }
      END { flush() }' "$file"
  done
}

MIRROR=$(apt_mirror "$SUITE" | head -n 1)
[ -n "$MIRROR" ] || die "no '$SUITE' source in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"

# ---------------------------------------------------------------------------------------------
# 1. The package.
if [ "$build" = yes ]; then
  say "building the package (make deb, lintian --fail-on error,warning)"
  make --no-print-directory deb
fi
version=$(dpkg-parsechangelog -S Version)
deb=$PWD/resolvd_${version}_${ARCH}.deb
client_debs="$PWD/libresolvd0_${version}_${ARCH}.deb $PWD/libresolvd-dev_${version}_${ARCH}.deb $PWD/python3-resolvd_${version}_all.deb"
if [ "$prepare_only" = no ]; then
  for file in "$deb" $client_debs; do [ -f "$file" ] || die "$file is missing (make deb)"; done
  if [ "$build" = yes ]; then
    pass "built $(basename "$deb") ($(du -h "$deb" | cut -f1)); lintian passed"
  else
    say "testing the .deb built before: $(basename "$deb")"
  fi
fi

# ---------------------------------------------------------------------------------------------
# 2. The chroot: from the cache, else debootstrap (then cached).
mkdir -p "$CACHE"
recipe="format=$CACHE_FORMAT suite=$SUITE arch=$ARCH variant=minbase include=$CHROOT_PACKAGES prefetch=${PREFETCH_PACKAGES// /,} mirror=$MIRROR"
tarball=$CACHE/$SUITE-$ARCH.tar
if [ ! -f "$tarball" ] || [ "$(cat "$tarball.recipe" 2>/dev/null)" != "$recipe" ]; then
  say "bootstrapping a $SUITE chroot (cached afterwards in $CACHE)"
  staging=$(mktemp -d /var/tmp/resolvd-deb-test-bootstrap.XXXXXX)
  mkdir -p "$CACHE/debs"
  if ! debootstrap --variant=minbase --arch="$ARCH" --include="$CHROOT_PACKAGES" --cache-dir="$CACHE/debs" \
      "$SUITE" "$staging" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1; then
    tail -30 "$CACHE/debootstrap.log"
    rm -rf --one-file-system "$staging"
    die "debootstrap failed (log: $CACHE/debootstrap.log)"
  fi
  # apt's lists and the dependencies' .debs, so that the test itself needs no network.
  if ! chroot "$staging" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      sh -c "apt-get clean && apt-get update -qq && apt-get install -y -qq --download-only $PREFETCH_PACKAGES" >> "$CACHE/debootstrap.log" 2>&1; then
    tail -30 "$CACHE/debootstrap.log"
    rm -rf --one-file-system "$staging"
    die "apt-get in the new chroot failed (log: $CACHE/debootstrap.log)"
  fi
  tar -C "$staging" --numeric-owner -cf "$tarball.new" .
  mv "$tarball.new" "$tarball"
  echo "$recipe" > "$tarball.recipe"
  rm -rf --one-file-system "$staging"
  pass "bootstrapped $SUITE and cached it ($(du -h "$tarball" | cut -f1))"
else
  say "using the cached $SUITE chroot $tarball"
fi
if [ "$prepare_only" = yes ]; then
  say "$passed passed, $failed failed"
  exit 0
fi

root=$(mktemp -d /var/tmp/resolvd-deb-test.XXXXXX)
work=$(mktemp -d /tmp/resolvd-deb-test-host.XXXXXX)
unbound_pid=
daemon_pid=
cleanup() {
  set +e
  [ -z "$daemon_pid" ] || { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; }
  [ -z "$unbound_pid" ] || { kill "$unbound_pid" 2>/dev/null; wait "$unbound_pid" 2>/dev/null; }
  for mount in run tmp dev/pts dev sys proc; do
    mountpoint -q "$root/$mount" && umount -l "$root/$mount"
  done
  rm -rf --one-file-system "$root" "$work"
}
trap cleanup EXIT
tar -C "$root" --numeric-owner -xf "$tarball"
chmod 0755 "$root"   # mktemp made it 0700: the chroot's / must be open to its users (man-db's mandb runs as man)
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
# No /run/systemd/system: as on this machine, PID 1 is not systemd, and the maintainer
# scripts' systemctl calls must be skipped, not fail.
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs tmpfs "$root/tmp"
in_chroot() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
    DEBIAN_FRONTEND=noninteractive "$@"
}
# Paths (not under volatile or bookkeeping directories) and the contents of /etc, to compare
# before the install and after the purge.
snapshot() {
  in_chroot sh -c '
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
        -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache/apt -o -path /var/log \
        -o -path /var/cache/man -o -path /var/cache/debconf -o -path /var/cache/ldconfig \) -prune \
        -o -printf "%y %p\n" | sort
    find /etc -xdev -type f ! -name ld.so.cache -exec md5sum {} + | sort -k2'
}
snapshot > "$work/before"

# ---------------------------------------------------------------------------------------------
# 3. Install.
cp "$deb" $client_debs "$root/tmp/"
debname=$(basename "$deb")
client_paths=$(for file in $client_debs; do printf '/tmp/%s ' "$(basename "$file")"; done)
say "apt-get install ./$debname and the client packages in the chroot"
# The client tools are marked automatically installed, so that purge --autoremove takes them.
# No Recommends (the compiler's manual pages, python3's certificates): purge --autoremove
# must be able to take away everything the install brought.
install_all() {
  in_chroot apt-get install -y -q --no-install-recommends "/tmp/$debname" $client_paths $CLIENT_TOOLS \
    && in_chroot apt-mark auto $CLIENT_TOOLS
}
if ! install_all > "$work/install.log" 2>&1; then
  # The cached lists or .debs are out of date: fetch them (from the Debian mirror) and retry.
  say "cached apt data out of date; apt-get update in the chroot"
  in_chroot apt-get update -qq >> "$work/install.log" 2>&1 || true
  install_all >> "$work/install.log" 2>&1 || { cat "$work/install.log"; die "install failed"; }
fi
pass "installed: $(in_chroot dpkg-query -W -f '${Package} ${Version} ${Status}' resolvd)"
if grep -E '^(E|W): |^dpkg: (error|warning)|[Ee]rror:|[Ww]arning:|[Ee]rror while' "$work/install.log" \
    | grep -v -e '^W: Download is performed unsandboxed' > "$work/install-problems"; then
  fail "apt/dpkg output during install has errors or warnings:"; cat "$work/install-problems"
else
  pass "install printed no errors or warnings (systemctl calls skipped without systemd as PID 1)"
fi
installed() { in_chroot dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
check "libc-ares2 was installed as a dependency" installed libc-ares2
depends=$(dpkg-deb -f "$deb" Depends)
for dependency in libc-ares2 netbase procps; do
  check "the package depends on $dependency ($depends)" grep -q "\b$dependency\b" <<< "$depends"
done

# ldd: every library found, no Swift runtime library.
in_chroot ldd /usr/bin/resolvd /usr/bin/resolvdctl > "$work/ldd" 2>&1 || true
sed 's/^/  /' "$work/ldd"
check "ldd finds every library of resolvd and resolvdctl" bash -c "! grep -q 'not found' '$work/ldd'"
check "no Swift runtime library is needed (static stdlib)" bash -c "! grep -q -i swift '$work/ldd'"
check "resolvd links libcares.so.2" grep -q 'libcares.so.2 => /' "$work/ldd"

# Programs, manual pages, completions, conffile.
v=$(in_chroot resolvd --version 2>&1) || true
check "resolvd --version prints $version's upstream version (${v})" test "$v" = "${version%-*}"
v=$(in_chroot resolvdctl --version 2>&1) || true
check "resolvdctl --version prints ${version%-*}" test "$v" = "${version%-*}"
check "resolvdctl --help works" bash -c "chroot '$root' /usr/bin/resolvdctl --help | grep -q 'SUBCOMMANDS:'"
for page in resolvd resolvdctl resolvd.conf; do
  where=$(in_chroot man -w "$page" 2>&1) || true
  check "man -w $page: $where" test -f "$root$where"
done
check "man resolvd renders without warnings" bash -c "out=\$(chroot '$root' /usr/bin/env MANWIDTH=80 LANG=C.UTF-8 man --warnings resolvd 2>&1 >/dev/null); [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
for program in resolvd resolvdctl; do
  check "bash completion for $program" bash -n "$root/usr/share/bash-completion/completions/$program"
  check "zsh completion for $program" test -s "$root/usr/share/zsh/vendor-completions/_$program"
  check "fish completion for $program" test -s "$root/usr/share/fish/vendor_completions.d/$program.fish"
done
# `resolvdctl <TAB>` and `resolvdctl getaddrinfo --fa<TAB>` with the installed bash completion.
complete_words() { # words... (the last one is being completed) → the completions, one line
  in_chroot bash -c 'shopt -s extglob; source /usr/share/bash-completion/completions/resolvdctl
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _resolvdctl resolvdctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"; echo "${COMPREPLY[*]}"' _ "$@"
}
words=$(complete_words resolvdctl "" 2>&1) || true
check "bash: resolvdctl <TAB> offers the subcommands ($words)" grep -q -w -e getaddrinfo -e flush-caches <<< "$words"
words=$(complete_words resolvdctl getaddrinfo --fa 2>&1) || true
check "bash: resolvdctl getaddrinfo --fa<TAB> → $words" test "$words" = "--family"
check "/etc/resolvd/resolvd.conf is a conffile" bash -c "chroot '$root' dpkg-query -W -f '\${Conffiles}' resolvd | grep -q ' /etc/resolvd/resolvd.conf '"
check "the docs are in /usr/share/doc/resolvd" test -f "$root/usr/share/doc/resolvd/systemd.md" -a -f "$root/usr/share/doc/resolvd/copyright"

# Units: ExecStart at /usr/bin, socket enabled by the postinst, service not.
check "resolvd.service runs /usr/bin/resolvd" grep -q '^ExecStart=/usr/bin/resolvd ' "$root/lib/systemd/system/resolvd.service"
check "postinst enabled resolvd.socket" test -L "$root/etc/systemd/system/sockets.target.wants/resolvd.socket"
check "postinst did not enable resolvd.service" test ! -e "$root/etc/systemd/system/multi-user.target.wants/resolvd.service"
check "resolvd-resolve.socket is installed, not enabled" test -f "$root/lib/systemd/system/resolvd-resolve.socket" \
  -a ! -e "$root/etc/systemd/system/sockets.target.wants/resolvd-resolve.socket"
check "the Varlink docs are in /usr/share/doc/resolvd" test -f "$root/usr/share/doc/resolvd/varlink.md"
check "the packaged configuration serves DNS on 127.0.0.53:53" grep -q '^dns_listen = 127.0.0.53:53$' "$root/etc/resolvd/resolvd.conf"
check "the unit drop-in grants CAP_NET_BIND_SERVICE and conflicts with systemd-resolved" bash -c \
  "grep -q '^AmbientCapabilities=CAP_NET_BIND_SERVICE$' '$root/lib/systemd/system/resolvd.service.d/dns-stub.conf' && grep -q '^Conflicts=systemd-resolved.service$' '$root/lib/systemd/system/resolvd.service.d/dns-stub.conf'"
check "the stub's docs are in /usr/share/doc/resolvd" test -f "$root/usr/share/doc/resolvd/stub.md"
check "resolvd-dns.socket is installed, not enabled" test -f "$root/lib/systemd/system/resolvd-dns.socket" \
  -a ! -e "$root/etc/systemd/system/sockets.target.wants/resolvd-dns.socket"
mkdir -p "$root/run/systemd"
if in_chroot systemd-analyze verify /lib/systemd/system/resolvd.socket /lib/systemd/system/resolvd-resolve.socket /lib/systemd/system/resolvd-dns.socket \
    /lib/systemd/system/resolvd.service > "$work/verify" 2>&1 \
    && [ ! -s "$work/verify" ]; then
  pass "systemd-analyze verify of the installed units: no output"
else
  fail "systemd-analyze verify:"; cat "$work/verify"
fi
rm -rf "$root/run/systemd"

# ---------------------------------------------------------------------------------------------
# 4. The installed resolvd resolves through an unbound on the host's loopback.
port_in_use() { # port → 0 when some socket on this machine has it as its local port
  local hex
  hex=$(printf ':%04X ' "$1")
  cat /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6 2>/dev/null | awk '{print $2}' | grep -q -- "${hex% }$"
}
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" || { echo "$port"; return; }
  done
  die "no free port"
}
cat > "$work/example.test.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 300
@    300 IN SOA  ns.example.test. hostmaster.example.test. 2026112901 3600 600 86400 60
@    300 IN NS   ns.example.test.
ns   300 IN A    127.0.0.1
www  300 IN A    192.0.2.10
www  300 IN AAAA 2001:db8::10
ZONE
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  closed_port=$(free_port)
  # As Sources/ResolverTesting/UnboundServer.swift: an auth-zone, no built-in test. zone, and
  # "." forwarded to a closed loopback port that do-not-query-localhost keeps unused.
  cat > "$work/unbound.conf" <<CONF
server:
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: ""
  do-daemonize: no
  interface: 127.0.0.1
  port: $port
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  num-threads: 1
  verbosity: 1
  module-config: "iterator"
  qname-minimisation: no
  do-not-query-localhost: yes
  local-zone: "test." nodefault
auth-zone:
  name: "example.test."
  zonefile: "$work/example.test.zone"
  for-downstream: yes
  for-upstream: yes
  fallback-enabled: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$closed_port
CONF
  : > "$work/unbound.log"
  /usr/sbin/unbound -d -c "$work/unbound.conf" > "$work/unbound.log" 2>&1 &
  unbound_pid=$!
  for _ in $(seq 1 100); do
    grep -q 'start of service' "$work/unbound.log" && break
    kill -0 "$unbound_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q 'start of service' "$work/unbound.log"; then break; fi
  kill "$unbound_pid" 2>/dev/null; wait "$unbound_pid" 2>/dev/null || true
  unbound_pid=
  grep -q -i -e bind -e 'in use' "$work/unbound.log" || { cat "$work/unbound.log"; die "unbound did not start"; }
done
[ -n "$unbound_pid" ] || die "unbound did not start on a free port"
say "unbound serves example.test on 127.0.0.1:$port"

# libresolvd-dev: a C program built with pkg-config, run against the installed daemon (a
# blocking lookup, then a lookup cancelled in flight or answered first: either is a truth);
# python3-resolvd: the asyncio client's getaddrinfo.
client_packages_test() {
  cat > "$root/tmp/lookup.c" <<'C'
#define _POSIX_C_SOURCE 200809L /* struct addrinfo under -std=c11 */
#include <resolvd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
static void done(int status, const struct hostent *host, void *context) {
    (void)host;
    *(int *)context = status;
}
int main(void) {
    int error;
    resolvd *r = resolvd_open("/tmp/resolvd.sock", &error);
    if (!r) return 2;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *list;
    int status = resolvd_getaddrinfo(r, "www.example.test", "443", &hints, 0, &list);
    char text[INET_ADDRSTRLEN] = "";
    if (status == RESOLVD_NO_ERROR) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)list->ai_addr)->sin_addr, text, sizeof text);
        resolvd_freeaddrinfo(list);
    }
    int cancelled = -1;
    uint64_t handle = resolvd_async_gethostbyname(r, "www.example.test", done, &cancelled);
    int cancel = resolvd_cancel_async_request(r, handle);
    while (cancelled == -1 && resolvd_dispatch(r, -1) >= 0) {}
    printf("%s %s cancel %s lookup %s\n", resolvd_strerror(status), text, resolvd_strerror(cancel), resolvd_strerror(cancelled));
    resolvd_close(r);
    return !(status == RESOLVD_NO_ERROR && ((cancel == RESOLVD_NO_ERROR && cancelled == RESOLVD_WSA_E_CANCELLED) ||
                                            (cancel == RESOLVD_WSAEALREADY && cancelled == RESOLVD_NO_ERROR)));
}
C
  local flags output
  flags=$(in_chroot pkg-config --cflags --libs resolvd 2>&1) || true
  check "pkg-config --cflags --libs resolvd: $flags" grep -q -- '-lresolvd' <<< "$flags"
  if in_chroot sh -c 'cc -std=c11 -Wall -Werror /tmp/lookup.c $(pkg-config --cflags --libs resolvd) -o /tmp/lookup' > "$work/cc.log" 2>&1; then
    pass "a C program builds against libresolvd-dev with pkg-config"
    check "it links the installed libresolvd.so.0" bash -c "chroot '$root' ldd /tmp/lookup | grep -q 'libresolvd.so.0 => /'"
    output=$(in_chroot /tmp/lookup 2>&1) && pass "the C program against the installed daemon: $output" \
      || fail "the C program against the installed daemon: $output"
  else
    cat "$work/cc.log"; fail "a C program builds against libresolvd-dev with pkg-config"
  fi
  check "man -w 3 resolvd (libresolvd-dev)" bash -c "chroot '$root' man -w 3 resolvd | grep -q resolvd.3"
  local function missing=""
  for function in $(nm -D --defined-only "$root"/usr/lib/*/libresolvd.so.0 | awk '$3 ~ /^resolvd_/ { sub(/@.*/, "", $3); print $3 }'); do
    in_chroot man -w 3 "$function" > /dev/null 2>&1 || missing="$missing $function"
  done
  check "every function libresolvd.so.0 exports has its manual page (missing:${missing:- none})" test -z "$missing"
  output=$(in_chroot env PYTHONDONTWRITEBYTECODE=1 python3 -c '
import asyncio, resolvd, socket
async def main():
    async with resolvd.Client("/tmp/resolvd.sock") as client:
        print(await client.getaddrinfo("www.example.test", 443, family=socket.AF_INET, type=socket.SOCK_STREAM))
asyncio.run(main())' 2>&1) || true
  check "python3-resolvd: getaddrinfo through the installed daemon ($output)" grep -q "('192.0.2.10', 443)" <<< "$output"
}

start_daemon() { # config-file log → starts resolvd in the chroot, waits for its socket
  rm -f "$root/tmp/resolvd.sock"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    /usr/bin/resolvd --config "$1" --dns "127.0.0.1:$port" --hosts-file none --socket /tmp/resolvd.sock \
    > "$2" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 100); do
    [ -S "$root/tmp/resolvd.sock" ] && grep -q 'listening on' "$2" && return 0
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$2"
  return 1
}
stop_daemon() { # → resolvd's exit status after SIGTERM
  local status=0
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || status=$?
  daemon_pid=
  return "$status"
}
: > "$root/tmp/empty.conf"
if start_daemon /tmp/empty.conf "$work/resolvd.log"; then
  pass "the installed resolvd listens (--dns 127.0.0.1:$port --hosts-file none, empty --config)"
  answer=$(in_chroot resolvdctl --socket /tmp/resolvd.sock getaddrinfo www.example.test --family inet 2>&1) || true
  echo "$answer" | sed 's/^/  /'
  check "resolvdctl getaddrinfo www.example.test → 192.0.2.10" grep -q '192\.0\.2\.10' <<< "$answer"
  answer=$(in_chroot resolvdctl --socket /tmp/resolvd.sock query AAAA www.example.test 2>&1) || true
  check "resolvdctl query AAAA www.example.test → 2001:db8::10" grep -q '2001:db8::10' <<< "$answer"
  answer=$(in_chroot resolvdctl --socket /tmp/resolvd.sock hello 2>&1) || true
  check "resolvdctl hello reports ${version%-*}" grep -q "${version%-*}" <<< "$answer"
  client_packages_test
  check "resolvd exits 0 on SIGTERM" stop_daemon
else
  fail "the installed resolvd did not start"
  daemon_pid=
fi
if start_daemon /etc/resolvd/resolvd.conf "$work/resolvd-conffile.log"; then
  pass "the installed resolvd starts with the shipped /etc/resolvd/resolvd.conf"
  check "resolvd (shipped conffile) exits 0 on SIGTERM" stop_daemon
else
  fail "the installed resolvd did not start with the shipped /etc/resolvd/resolvd.conf"
  daemon_pid=
fi
kill "$unbound_pid" 2>/dev/null; wait "$unbound_pid" 2>/dev/null || true
unbound_pid=

# The upgrade path of the maintainer scripts (preinst upgrade, postinst configure OLD).
if in_chroot apt-get install -y -q --reinstall "/tmp/$debname" > "$work/reinstall.log" 2>&1; then
  pass "apt-get install --reinstall (the upgrade path of the maintainer scripts)"
else
  cat "$work/reinstall.log"; fail "apt-get install --reinstall"
fi
check "after the reinstall resolvd.socket is still enabled" test -L "$root/etc/systemd/system/sockets.target.wants/resolvd.socket"

# ---------------------------------------------------------------------------------------------
# 5. Remove keeps the conffile; purge (with the now unneeded libc-ares2) leaves nothing.
echo "# changed by deb-test" >> "$root/etc/resolvd/resolvd.conf"
if in_chroot apt-get remove -y -q resolvd > "$work/remove.log" 2>&1; then
  pass "apt-get remove resolvd"
else
  cat "$work/remove.log"; fail "apt-get remove resolvd"
fi
check "remove: the programs are gone" test ! -e "$root/usr/bin/resolvd" -a ! -e "$root/usr/bin/resolvdctl"
check "remove: the units are gone" test ! -e "$root/lib/systemd/system/resolvd.service" -a ! -e "$root/lib/systemd/system/resolvd.socket"
check "remove: the (changed) conffile is kept" grep -q 'changed by deb-test' "$root/etc/resolvd/resolvd.conf"
check "remove: dpkg says config-files" bash -c "chroot '$root' dpkg-query -W -f '\${Status}' resolvd | grep -q 'config-files'"
if in_chroot apt-get purge -y -q --autoremove resolvd libresolvd0 libresolvd-dev python3-resolvd > "$work/purge.log" 2>&1; then
  pass "apt-get purge --autoremove resolvd and the client packages"
else
  cat "$work/purge.log"; fail "apt-get purge resolvd"
fi
check "purge: /etc/resolvd is gone" test ! -e "$root/etc/resolvd"
check "purge: dpkg no longer knows resolvd" bash -c "! chroot '$root' dpkg-query -W -f '\${Status}' resolvd 2>/dev/null | grep -q installed"
snapshot > "$work/after"
if diff -u "$work/before" "$work/after" > "$work/leftovers"; then
  pass "purge: nothing left behind (every path and /etc's contents as before the install)"
else
  fail "purge: the chroot differs from before the install:"; sed -n '3,$p' "$work/leftovers" | grep '^[-+]' | head -40
fi

say "took $(( $(date +%s) - started )) s"
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
