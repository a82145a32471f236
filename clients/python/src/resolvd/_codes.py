"""The result codes resolvd reports (the Windows ones) and the exception that carries them."""

import socket

#: code -> symbol: resolvd's status table (docs/error-codes.md).
CODES = {
    0: "NO_ERROR",
    6: "WSA_INVALID_HANDLE",
    8: "WSA_NOT_ENOUGH_MEMORY",
    995: "ERROR_OPERATION_ABORTED",
    1168: "ERROR_NOT_FOUND",
    10013: "WSAEACCES",
    10022: "WSAEINVAL",
    10037: "WSAEALREADY",
    10044: "WSAESOCKTNOSUPPORT",
    10047: "WSAEAFNOSUPPORT",
    10055: "WSAENOBUFS",
    10060: "WSAETIMEDOUT",
    10109: "WSATYPE_NOT_FOUND",
    10111: "WSA_E_CANCELLED",
    11001: "WSAHOST_NOT_FOUND",
    11002: "WSATRY_AGAIN",
    11003: "WSANO_RECOVERY",
    11004: "WSANO_DATA",
}

# The EAI_* code a getaddrinfo failure would have had, for socket.gaierror's errno.
_EAI = {
    8: socket.EAI_MEMORY,
    10022: socket.EAI_BADFLAGS,
    10044: socket.EAI_SOCKTYPE,
    10047: socket.EAI_FAMILY,
    10109: socket.EAI_SERVICE,
    11001: socket.EAI_NONAME,
    11002: socket.EAI_AGAIN,
    11003: socket.EAI_FAIL,
    11004: getattr(socket, "EAI_NODATA", socket.EAI_NONAME),
}


class ResolverError(socket.gaierror):
    """A lookup that resolvd answered with a failure.

    A ``socket.gaierror`` (its ``errno`` the matching ``EAI_*`` code, ``EAI_SYSTEM`` when there
    is none), with ``code``, the result code (11001), and ``symbol`` (``"WSAHOST_NOT_FOUND"``).
    """

    def __init__(self, code: int, message: str = "", eai: int | None = None):
        self.code = code
        self.symbol = CODES.get(code, f"UNKNOWN_{code}")
        errno = eai if eai is not None else _EAI.get(code, socket.EAI_SYSTEM)
        super().__init__(errno, f"{self.symbol} ({code}): {message}".rstrip(": "))
