"""An asyncio client of resolvd: cancellable lookups over one multiplexed connection.

>>> async with resolvd.Client() as client:
...     await client.getaddrinfo("www.example.com", 443)
"""

from ._client import Client, DEFAULT_SOCKET
from ._codes import CODES, ResolverError

__all__ = ["Client", "ResolverError", "CODES", "DEFAULT_SOCKET"]
