"""What a run leaves if it is stopped, and how it is stopped cleanly (part of the output policy,
``pipeline.outputs``).

Temporary names carry the host and process that own them (``.NAME.cleanse-HOST-PID-XXXX.partial``,
``.cleanse-spill-HOST-PID-XXXX``). SIGTERM is turned into an exception so they are removed on the way out
(``terminate_as_exception``); what a killed process (SIGKILL) left behind is removed by the next run writing into the
same folder (``sweep``), which says so. Leftovers of an older cleanse (no owner in the name) are only named.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM

_OURS = re.compile(
    r"^\.(?:(?P<dest>.+)\.cleanse|cleanse-spill)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[a-z0-9_]+"
    r"(?:\.(?P<kind>partial|old)(?:\.[^.]+)?)?$"
)
# what cleanse before this policy left behind: no owner in the name, so never removed, only mentioned
_LEGACY = re.compile(r"^\.(?:.+\.[a-z0-9_]{8}\.partial|.+\.old-\d+|cleanse-spill-[a-z0-9_]{8})$")


def _host() -> str:
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def owner_prefix(name: str) -> str:
    """The start of a temporary name for ``name``, owned by this process: ``.NAME.cleanse-HOST-PID-``."""
    return f".{name}.cleanse-{_host()}-{os.getpid()}-"


def spill_prefix() -> str:
    """The start of a spill folder's name, owned by this process (see ``runner._Spill``)."""
    return f".cleanse-spill-{_host()}-{os.getpid()}-"


# --- SIGTERM -----------------------------------------------------------------------------------------------------


class Terminated(BaseException):  # like KeyboardInterrupt: not an Exception, so nothing swallows it
    """SIGTERM arrived: raised in the main thread so every ``finally`` and cleanup on the way out runs."""


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """While inside, SIGTERM raises ``Terminated`` (once; a second SIGTERM during the cleanup is ignored).

    A no-op outside the main thread, where Python cannot install signal handlers."""
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- leftovers of killed runs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Swept:
    folder: Path
    removed: tuple[str, ...] = ()  # stale leftovers of a killed cleanse, removed
    restored: tuple[str, ...] = ()  # output folders put back from a swap a kill interrupted
    legacy: tuple[str, ...] = ()  # leftovers of an older cleanse that names no owner: left alone, mentioned

    def line(self) -> str | None:
        """One line for the user, or None when there was nothing."""
        parts = []
        if self.removed:
            parts.append(f"removed {len(self.removed)} leftover(s) of a killed cleanse run: {', '.join(self.removed)}")
        if self.restored:
            parts.append(f"put back the previous output interrupted by a killed run: {', '.join(self.restored)}")
        if self.legacy:
            parts.append(
                f"left {len(self.legacy)} leftover(s) of an older cleanse that may hold personal data: "
                f"{', '.join(self.legacy)} (delete them if no cleanse is running)"
            )
        return f"{self.folder}: {'; '.join(parts)}" if parts else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sweep(folder: Path | str) -> Swept:
    """Remove what killed cleanse processes left in ``folder``: temporary files and folders, spill folders.

    Only what is provably ours and stale: the name carries this host and a process id that is no longer alive.
    An output folder whose swap was cut short between its two renames (the previous output renamed aside, the new
    one not yet in place) is put back rather than removed."""
    folder = Path(folder)
    removed: list[str] = []
    restored: list[str] = []
    legacy: list[str] = []
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return Swept(folder)
    host = _host()
    # the aside-renamed outputs first: one of them may have to be put back before its new copy is judged
    for path in sorted(entries, key=lambda p: not p.name.endswith(".old")):
        m = _OURS.match(path.name)
        if m is None:
            if _LEGACY.match(path.name):
                legacy.append(path.name)
            continue
        if m["host"] != host or _alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and m["dest"] and not (folder / m["dest"]).exists():
            os.replace(path, folder / m["dest"])
            restored.append(m["dest"])
            continue
        _remove(path)
        removed.append(path.name)
    return Swept(folder, tuple(removed), tuple(restored), tuple(legacy))
