#ifndef RESOLVD_CARES_SHIM_H
#define RESOLVD_CARES_SHIM_H

// c-ares as Debian ships it (libc-ares-dev 1.18.1), plus the system headers
// the engine drives it with: epoll for readiness, eventfd for wake-ups and a timerfd
// for a sleeping loop that must wake sooner.
#include <ares.h>
#include <ares_version.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <ifaddrs.h>

#endif
