"""POST a signed body to an endpoint with the standard library's http.client: short timeouts, no redirects, and
only to public addresses unless the settings allow private ones.

The host is resolved once, every address it gives is checked, and the connection goes to an address that was
checked (so a name that resolves to a public address for the check and a private one for the connection, DNS
rebinding, cannot reach the internal network). TLS still verifies the certificate against the host's name.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

SCHEMES = ("http", "https")
MAX_URL = 2000


class UrlRefused(ValueError):
    """A URL Primo does not send to; `code` says why (length, scheme, host, credentials, port, private, resolve)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool) -> SplitResult:
    """Refuse what is not an http(s) URL with a host, carries credentials, or names a private address."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise UrlRefused("length", f"a URL of at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise UrlRefused("scheme", "only http:// and https:// URLs")
    if not parts.hostname:
        raise UrlRefused("host", "the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("credentials", "no user name or password in the URL: receivers check the signature")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        raise UrlRefused("port", "the URL's port is not a number from 1 to 65535") from None
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not allow_private and not _public(str(literal)):
        raise UrlRefused(
            "private", "a private, loopback or link-local address (PRIMO_WEBHOOK_ALLOW_PRIVATE allows them)"
        )
    return parts


def _address(host: str, port: int, allow_private: bool) -> tuple[int, str]:
    """The address to connect to: the first the host resolves to, once every one of them is allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused("resolve", f"cannot resolve {host}: {exc}") from None
    if not found:
        raise UrlRefused("resolve", f"cannot resolve {host}")
    if not allow_private:
        for _family, _type, _proto, _name, sockaddr in found:
            if not _public(sockaddr[0]):
                raise UrlRefused("private", f"{host} resolves to a private address {sockaddr[0]}")
    family, _type, _proto, _name, sockaddr = found[0]
    return family, sockaddr[0]


class _Pinned(http.client.HTTPConnection):
    """A connection to an address checked beforehand, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Outcome:
    """Send one POST; a redirect is an answer like any other (not followed), a 2xx is a delivery."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        parts = check_url(url, allow_private)
        https = parts.scheme.lower() == "https"
        port = parts.port or (443 if https else 80)
        host = parts.hostname or ""
        _family, address = _address(host, port, allow_private)
        connection = (_PinnedTLS if https else _Pinned)(host, port, address, timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)  # what the receiver says is not kept; reading lets it finish cleanly
            return Outcome(response.status, None, elapsed())
        finally:
            connection.close()
    except UrlRefused as exc:
        return Outcome(None, f"refused: {exc}", elapsed())
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refused connections, TLS, bad answers
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
