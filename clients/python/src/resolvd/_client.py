"""One connection to resolvd, many concurrent lookups over it."""

import asyncio
import itertools
import json
import os
import socket

from ._codes import ResolverError
from . import _convert

DEFAULT_SOCKET = "/run/resolvd/resolvd.sock"
_LINE_LIMIT = 16 * 1024 * 1024  # the longest reply line read (a query answer can be long)


class Client:
    """A connection to resolvd, used as ``async with resolvd.Client() as client:``.

    Every call is one request; replies are matched by id, so any number of calls may be in
    flight at once from any number of tasks of one event loop. Cancelling a task that awaits
    a call sends ``cancel`` for its lookup: the daemon stops it and answers it 10111
    WSA_E_CANCELLED, a reply this client reads and drops. It does not resolve by itself,
    retry, or reconnect.
    """

    def __init__(self, path=None):
        self.path = path or os.environ.get("RESOLVD_SOCKET") or DEFAULT_SOCKET
        self._reader = None
        self._writer = None
        self._ids = itertools.count(1)
        self._waiting = {}  # id -> future of its reply (done or cancelled: the reply is dropped)
        self._reading = None
        self._failure = None

    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, *exc_info):
        await self.close()

    async def connect(self):
        self._reader, self._writer = await asyncio.open_unix_connection(self.path, limit=_LINE_LIMIT)
        self._reading = asyncio.get_running_loop().create_task(self._read_replies())

    async def close(self):
        """Closes the connection: the daemon aborts what is in flight; waiting calls raise 995."""
        if self._writer is None:
            return
        self._writer.close()
        self._fail(ResolverError(995, "the client closed the connection"))
        self._reading.cancel()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass
        self._writer = None

    async def _read_replies(self):
        try:
            while line := await self._reader.readline():
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue
                if "status" not in reply:
                    continue  # a monitor event, not a reply
                if reply.get("id") is None:
                    # The daemon refused the connection (a limit) or the last line.
                    self._failure = ResolverError(reply["status"], reply.get("message", ""))
                    continue
                future = self._waiting.pop(reply["id"], None)
                if future is not None and not future.done():
                    future.set_result(reply)
            self._fail(self._failure or ResolverError(995, "resolvd closed the connection"))
        except (ConnectionError, OSError) as error:
            self._fail(ResolverError(995, f"the connection to resolvd failed: {error}"))

    def _fail(self, error):
        self._failure = error
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)

    def _send(self, op, parameters):
        if self._writer is None or self._failure is not None:
            raise self._failure or ResolverError(995, "not connected")
        request_id = next(self._ids)
        self._writer.write(json.dumps({"id": request_id, "op": op, **parameters}, separators=(",", ":")).encode() + b"\n")
        return request_id

    async def call(self, op, **parameters):
        """Sends one request and returns its ``result``; a failure raises ResolverError."""
        request_id = self._send(op, parameters)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            reply = await future
        except asyncio.CancelledError:
            # The task was cancelled before the reply came: the lookup must not go on in the
            # daemon. The cancelled future stays in _waiting until the lookup's reply (10111, or
            # its answer if that won) arrives and is dropped; the cancel's own reply is too.
            if future.cancelled() and self._writer is not None and self._failure is None:
                self._send("cancel", {"handle": request_id})
            raise
        if reply["status"] != 0:
            raise ResolverError(reply["status"], reply.get("message", ""))
        return reply.get("result", {})

    async def _lookup(self, op, timeout, parameters):
        if timeout is not None:
            parameters["timeout_ms"] = max(1, round(timeout * 1000))
        return await self.call(op, **parameters)

    async def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0, timeout=None):
        """What ``loop.getaddrinfo`` returns for the same arguments; timeout in seconds."""
        hosts = _convert.unnamed_hosts(family, flags) if host is None else [_convert.host_text(host)]
        entries = []
        for name in hosts:
            parameters = _convert.addrinfo_parameters(name, port, family, type, proto, flags)
            try:
                result = await self._lookup("getaddrinfo", timeout, parameters)
            except ResolverError as error:
                raise _convert.addrinfo_error(error, name, family) from None
            found = _convert.addrinfo_tuples(result, flags)
            if port is not None and type == 0 and proto == 0 and _convert.numeric_port(port):
                found = _convert.with_raw_entries(found)
            entries += found
        return entries

    async def getnameinfo(self, sockaddr, flags=0, timeout=None):
        """(host, service), as ``loop.getnameinfo``."""
        result = await self._lookup("getnameinfo", timeout, _convert.nameinfo_parameters(sockaddr, flags))
        return result["host"], result["service"]

    async def query(self, name, type, timeout=None):
        """The records of ``name`` of ``type`` ("MX"), as protocol v1's dicts."""
        result = await self._lookup("query", timeout, {"name": _convert.host_text(name), "type": type})
        return result["records"]

    async def gethostbyname(self, name, timeout=None):
        """The IPv4 addresses of name, as ``socket.gethostbyname_ex``: (name, aliases, addresses)."""
        result = await self._lookup("gethostbyname", timeout, {"name": _convert.host_text(name)})
        return result["name"], result["aliases"], result["addresses"]

    async def stats(self):
        """The daemon's counters (``stats``)."""
        return await self.call("stats")

    async def cancel_all(self):
        """Cancels every lookup of this connection in flight (each raises 995); how many."""
        try:
            return (await self.call("cancel_all"))["cancelled"]
        except ResolverError as error:
            if error.code == 1168:
                return 0
            raise
