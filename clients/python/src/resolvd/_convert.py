"""socket-module arguments to protocol v1 parameters, and replies back to socket's tuples."""

import socket

from ._codes import ResolverError

_FAMILIES = {socket.AF_UNSPEC: None, socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
_SOCKTYPES = {0: None, socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", socket.SOCK_RAW: "raw"}
_PROTOCOLS = {0: None, socket.IPPROTO_TCP: "tcp", socket.IPPROTO_UDP: "udp"}
_ADDRESS_FLAGS = {
    socket.AI_CANONNAME: "canonname", socket.AI_NUMERICHOST: "numerichost",
    socket.AI_NUMERICSERV: "numericserv", socket.AI_ADDRCONFIG: "addrconfig",
    socket.AI_V4MAPPED: "v4mapped", socket.AI_ALL: "all",
}
_NAME_FLAGS = {
    socket.NI_NAMEREQD: "namereqd", socket.NI_NUMERICHOST: "numerichost",
    socket.NI_NUMERICSERV: "numericserv", socket.NI_NOFQDN: "nofqdn", socket.NI_DGRAM: "dgram",
}
_FROM_SOCKTYPE = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "raw": socket.SOCK_RAW}
_FROM_PROTOCOL = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, None: 0}
_FROM_FAMILY = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}


def flag_names(flags: int, table: dict, ignored: int = 0) -> list:
    names = [name for bit, name in table.items() if flags & bit]
    rest = flags & ~ignored
    for bit in table:
        rest &= ~bit
    if rest:
        raise ResolverError(10022, f"unsupported flags {rest:#x}")
    return names


def host_text(host) -> str:
    """What socket.getaddrinfo sends for host: bytes as they are, str IDNA-encoded."""
    if isinstance(host, (bytes, bytearray)):
        return bytes(host).decode("ascii")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ResolverError(10022, f"cannot encode {host!r}: {error}") from None


def unnamed_hosts(family: int, flags: int) -> list:
    """The literals glibc uses for a None host: the wildcard (AI_PASSIVE) or loopback, IPv6 first."""
    passive = flags & socket.AI_PASSIVE
    v6, v4 = ("::", "0.0.0.0") if passive else ("::1", "127.0.0.1")
    return {socket.AF_INET: [v4], socket.AF_INET6: [v6]}.get(family, [v6, v4])


def literal_family(host: str):
    """AF_INET or AF_INET6 for an IP literal, else None."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host.partition("%")[0])
            return family
        except OSError:
            pass
    return None


def addrinfo_error(error: ResolverError, host: str, family: int) -> ResolverError:
    """glibc's EAI_ADDRFAMILY for an IP literal of the other family than the one asked."""
    found = literal_family(host)
    if error.code == 11001 and family and found and found != family and hasattr(socket, "EAI_ADDRFAMILY"):
        return ResolverError(error.code, str(error.args[1]), eai=socket.EAI_ADDRFAMILY)
    return error


def addrinfo_parameters(host: str, port, family: int, type: int, proto: int, flags: int) -> dict:
    if family not in _FAMILIES:
        raise ResolverError(10047, f"address family {family} not supported")
    if type not in _SOCKTYPES:
        raise ResolverError(10044, f"socket type {type} not supported")
    if proto not in _PROTOCOLS:
        raise ResolverError(10022, f"protocol {proto} not supported")
    parameters = {"name": host, "flags": flag_names(flags, _ADDRESS_FLAGS, ignored=socket.AI_PASSIVE)}
    if port is not None:
        parameters["service"] = bytes(port).decode("ascii") if isinstance(port, (bytes, bytearray)) else str(port)
    for key, value in (("family", _FAMILIES[family]), ("socktype", _SOCKTYPES[type]), ("protocol", _PROTOCOLS[proto])):
        if value is not None:
            parameters[key] = value
    return parameters


def numeric_port(port) -> bool:
    if isinstance(port, int):
        return True
    text = bytes(port).decode("ascii", "replace") if isinstance(port, (bytes, bytearray)) else str(port or "")
    return text.isdigit()


def with_raw_entries(entries: list) -> list:
    """glibc's extra SOCK_RAW entry (protocol 0) after each address's entries, which it adds
    for a numeric port when neither type nor proto is given; resolvd lists a port's
    protocols only."""
    result = []
    for index, entry in enumerate(entries):
        result.append(entry)
        last_of_address = index + 1 == len(entries) or entries[index + 1][4] != entry[4]
        if last_of_address and not any(e[1] == socket.SOCK_RAW and e[4] == entry[4] for e in entries):
            result.append((entry[0], socket.SocketKind.SOCK_RAW, 0, "", entry[4]))
    return result


def addrinfo_tuples(result: dict, flags: int) -> list:
    """The reply as loop.getaddrinfo's list: (family, type, proto, canonname, sockaddr)."""
    entries = []
    canonical = result.get("canonical_name") if flags & socket.AI_CANONNAME else None
    for index, entry in enumerate(result["addresses"]):
        family = socket.AddressFamily(_FROM_FAMILY[entry["family"]])
        address, port = entry["address"], entry["port"]
        if family == socket.AF_INET6:
            address, _, scope = address.partition("%")
            scope_id = (socket.if_nametoindex(scope) if not scope.isdigit() else int(scope)) if scope else 0
            sockaddr = (address, port, 0, scope_id)
        else:
            sockaddr = (address, port)
        entries.append((family, socket.SocketKind(_FROM_SOCKTYPE[entry["socktype"]]),
                        _FROM_PROTOCOL[entry.get("protocol")], (canonical or "") if index == 0 else "", sockaddr))
    return entries


def nameinfo_parameters(sockaddr: tuple, flags: int) -> dict:
    if not isinstance(sockaddr, tuple) or len(sockaddr) not in (2, 4):
        raise TypeError("getnameinfo() argument 1 must be a tuple of 2 or 4 items")
    return {"address": sockaddr[0], "port": int(sockaddr[1]), "flags": flag_names(flags, _NAME_FLAGS)}
