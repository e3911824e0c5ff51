"""systemd's notification protocol (sd_notify(3)), written with the standard library.

A unit with `Type=notify` (and `WatchdogSec=`) gives the service `NOTIFY_SOCKET` (and
`WATCHDOG_USEC`); the service sends datagrams of `KEY=value` lines to that socket: `READY=1`
once it is up, `STATUS=…` for `systemctl status`, `WATCHDOG=1` at least every half of
`WatchdogSec` while it is alive (systemd restarts it otherwise), `STOPPING=1` at the end.
"""

from __future__ import annotations

import os
import socket
import sys


class SystemdNotifier:
    """Datagrams to systemd's notification socket; a failure is said once on stderr."""

    def __init__(self, address: str):
        # "@name" is a socket in the abstract namespace, written with a leading NUL
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._failed = False

    @classmethod
    def from_environment(cls) -> SystemdNotifier | None:
        """The notifier systemd asked for (NOTIFY_SOCKET), or None when it did not."""
        address = os.environ.get("NOTIFY_SOCKET", "")
        return cls(address) if address.startswith(("/", "@")) else None

    def send(self, **fields: str | int) -> None:
        """One datagram: send(READY=1, STATUS="…"). Values are made one line each, so text
        from outside (a stream's name) cannot add a field of its own."""
        message = "\n".join(f"{key}={_one_line(str(value))}" for key, value in fields.items())
        try:
            self._socket.sendto(message.encode(), self.address)
        except OSError as exc:
            if not self._failed:
                self._failed = True
                print(f"fer-desktop: cannot notify systemd: {exc}", file=sys.stderr, flush=True)

    def close(self) -> None:
        self._socket.close()


def watchdog_seconds() -> float | None:
    """systemd's WatchdogSec for this process (WATCHDOG_USEC, when WATCHDOG_PID, if given, is
    ours), or None."""
    pid = os.environ.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1e6 if usec > 0 else None


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())
