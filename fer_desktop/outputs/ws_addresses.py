"""Addresses for the WebSocket server: its ws:// URL, loopback hosts and allowed origins."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from fer_desktop.outputs import OutputError


def parse_ws_url(url: str) -> tuple[str, int]:
    """'ws://HOST:PORT' -> (host, port); a missing host means 127.0.0.1."""
    parts = urlsplit(url if "://" in url else f"ws://{url}")
    if parts.scheme != "ws":
        raise OutputError(f"--serve {url}: use ws://HOST:PORT (TLS is not offered)")
    try:
        port = parts.port
    except ValueError as exc:
        raise OutputError(f"--serve {url}: the port must be a number 0-65535") from exc
    if port is None:
        raise OutputError(f"--serve {url}: name a port, e.g. ws://127.0.0.1:8765")
    return parts.hostname or "127.0.0.1", port


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1; any other name or address is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def normalize_origin(origin: str) -> str:
    """'HTTPS://Example.org:443/' -> 'https://example.org', as browsers send it."""
    if origin == "null":  # pages from file:// and sandboxed frames
        return origin
    parts = urlsplit(origin.strip())
    try:
        port = parts.port
    except ValueError as exc:
        raise OutputError(f"--allow-origin {origin}: the port must be a number") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutputError(f"--allow-origin {origin}: use http(s)://HOST[:PORT]")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")
