"""The asyncio client against real resolvd daemons (run by PythonClientTests, see
run-in-namespace.sh): RESOLVD_TEST_SOCKET answers from a hosts file and a loopback upstream,
the same ones this process's glibc uses (so socket.getaddrinfo is the reference);
RESOLVD_TEST_SILENT_SOCKET's upstream never answers, so its lookups stay in flight."""

import asyncio
import os
import socket
import unittest

import resolvd

ANSWERING = os.environ["RESOLVD_TEST_SOCKET"]
SILENT = os.environ["RESOLVD_TEST_SILENT_SOCKET"]

# Names from the test hosts file and from the upstream's zone (example.test), and literals.
HOSTS_NAMES = ["hosts-v4.example.test", "hosts-dual.example.test", "hosts-alias.example.test", "hosts-v6.example.test"]
DNS_NAMES = ["www.example.test", "multi.example.test", "v4only.example.test", "v6only.example.test",
             "alias.example.test", "chain.example.test", "nxdomain.example.test"]
LITERALS = ["192.0.2.1", "2001:db8::1"]
PORTS = [None, 80, "443", "http", "domain", b"25"]
ARGUMENTS = [
    dict(),
    dict(family=socket.AF_INET),
    dict(family=socket.AF_INET6),
    dict(type=socket.SOCK_STREAM),
    dict(type=socket.SOCK_DGRAM, family=socket.AF_INET),
    dict(proto=socket.IPPROTO_TCP),
    dict(flags=socket.AI_CANONNAME),
    dict(family=socket.AF_INET6, flags=socket.AI_V4MAPPED),
    dict(family=socket.AF_INET6, flags=socket.AI_V4MAPPED | socket.AI_ALL),
    dict(flags=socket.AI_NUMERICHOST),
]


def reference(host, port, arguments):
    """What socket.getaddrinfo gives: the list, or the gaierror's errno."""
    try:
        return socket.getaddrinfo(host, port, **arguments)
    except socket.gaierror as error:
        return error.errno


async def resolved(client, host, port, arguments):
    try:
        return await client.getaddrinfo(host, port, **arguments)
    except resolvd.ResolverError as error:
        return error.errno


async def wait_for_stat(client, key, value):
    """Asks stats until key is value (5 s at most); the last stats."""
    for _ in range(500):
        stats = await client.stats()
        if stats[key] == value:
            break
        await asyncio.sleep(0.01)
    return stats


class GetaddrinfoMatchesGlibc(unittest.IsolatedAsyncioTestCase):
    async def test_every_name_port_and_hint_gives_what_socket_getaddrinfo_gives(self):
        differences, compared = [], 0
        async with resolvd.Client(ANSWERING) as client:
            for host in HOSTS_NAMES + DNS_NAMES + LITERALS:
                for port in PORTS:
                    for arguments in ARGUMENTS:
                        expected = reference(host, port, arguments)
                        got = await resolved(client, host, port, arguments)
                        compared += 1
                        if got != expected:
                            differences.append(f"{host!r} {port!r} {arguments}: resolvd {got} glibc {expected}")
        print(f"compared {compared} calls with socket.getaddrinfo")
        self.assertEqual(differences, [], "\n".join(differences[:30]))

    async def test_enums_and_tuples_are_those_of_loop_getaddrinfo(self):
        async with resolvd.Client(ANSWERING) as client:
            got = await client.getaddrinfo("www.example.test", 443, type=socket.SOCK_STREAM)
            expected = await asyncio.get_running_loop().getaddrinfo("www.example.test", 443, type=socket.SOCK_STREAM)
            self.assertEqual(got, expected)
            for family, kind, proto, canonname, sockaddr in got:
                self.assertIsInstance(family, socket.AddressFamily)
                self.assertIsInstance(kind, socket.SocketKind)


class Lookups(unittest.IsolatedAsyncioTestCase):
    async def test_getnameinfo_query_and_errors(self):
        async with resolvd.Client(ANSWERING) as client:
            self.assertEqual(await client.getnameinfo(("192.0.2.10", 80)), ("www.example.test", "http"))
            records = await client.query("mail.example.test", "MX")
            self.assertEqual(sorted((r["preference"], r["exchange"]) for r in records),
                             [(10, "mx1.example.test"), (20, "mx2.example.test")])
            with self.assertRaises(resolvd.ResolverError) as caught:
                await client.getaddrinfo("nxdomain.example.test", 80)
            error = caught.exception
            self.assertIsInstance(error, socket.gaierror)
            self.assertEqual((error.code, error.symbol, error.errno), (11001, "WSAHOST_NOT_FOUND", socket.EAI_NONAME))
            with self.assertRaises(resolvd.ResolverError) as caught:
                await client.getaddrinfo("www.example.test", 80, family=socket.AF_UNIX)
            self.assertEqual((caught.exception.code, caught.exception.errno), (10047, socket.EAI_FAMILY))
            with self.assertRaises(resolvd.ResolverError) as caught:
                await client.query("www.example.test", "BOGUS")
            self.assertEqual(caught.exception.code, 10022)

    async def test_a_thousand_concurrent_calls_on_one_client(self):
        async with resolvd.Client(ANSWERING) as client:
            names = [f"n{i}.wild.example.test" if i % 2 else "www.example.test" for i in range(1000)]
            results = await asyncio.gather(*(client.getaddrinfo(name, 80, family=socket.AF_INET,
                                                                type=socket.SOCK_STREAM) for name in names))
            for name, result in zip(names, results):
                address = "192.0.2.99" if "wild" in name else "192.0.2.10"
                self.assertEqual(result, [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, 80))])
            stats = await client.stats()
            self.assertEqual(stats["in_flight"], 0)
            self.assertGreaterEqual(stats["lookups"], 1000)


class Cancellation(unittest.IsolatedAsyncioTestCase):
    async def test_a_cancelled_task_cancels_the_daemons_lookup(self):
        async with resolvd.Client(SILENT) as client, resolvd.Client(SILENT) as observer:
            before = await observer.stats()
            task = asyncio.create_task(client.getaddrinfo("held.example.test", 80))
            # In flight in the daemon: its upstream never answers.
            self.assertEqual((await wait_for_stat(observer, "in_flight", 1))["in_flight"], 1)
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            after = await wait_for_stat(observer, "in_flight", 0)
            self.assertEqual(after["in_flight"], 0)
            # The daemon answered the lookup 10111 WSA_E_CANCELLED (counted as cancelled),
            # not 995 (aborted): the client sent `cancel`, it did not hang up.
            self.assertEqual(after["cancelled"], before["cancelled"] + 1)
            self.assertEqual(after["aborted"], before["aborted"])
            # The connection still works after the dropped replies.
            self.assertEqual((await client.stats())["in_flight"], 0)

    async def test_timeout_and_close(self):
        client = resolvd.Client(SILENT)
        await client.connect()
        with self.assertRaises(resolvd.ResolverError) as caught:
            await client.getaddrinfo("held-timeout.example.test", 80, timeout=0.2)
        self.assertEqual(caught.exception.code, 10060)
        pending = asyncio.create_task(client.getaddrinfo("held-close.example.test", 80))
        await asyncio.sleep(0)  # the request is written
        await client.close()
        with self.assertRaises(resolvd.ResolverError) as caught:
            await pending
        self.assertEqual(caught.exception.code, 995)


if __name__ == "__main__":
    unittest.main()
