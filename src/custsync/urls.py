"""URLs and hosts, the few rules every part of custsync applies to them alike.

:func:`safe_url` is how a URL may appear in a report, a manifest, a log or a saved probe (never with a credential
in it); :func:`is_loopback` is what counts as this machine (plain http is allowed there, and the sandbox binds
nothing else unless told).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit


def safe_url(url: str) -> str:
    """``url`` without user info, query and fragment: the parts that could carry a credential.

    An IPv6 host keeps its brackets (``http://[::1]:9000``), so the result is still a URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def is_loopback(host: str | None) -> bool:
    """``localhost`` or a loopback address (IPv6 with or without brackets)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
