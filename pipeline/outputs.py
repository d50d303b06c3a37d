"""The output policy: every command that writes (``run``, ``scrub``, ``check --junit/--report``) goes through it.

- **Never onto an input.** An output that is an input (the same path, through a symbolic link, or the same file
  through a hard link), or an output folder that holds an input, is refused.
- **Never over a file cleanse did not write.** cleanse lists what it writes, with each file's size and
  modification time: in ``.cleanse-output`` inside a ``run`` folder, in ``.cleanse-files`` beside single files.
  A file is cleanse's only while it is listed and unchanged; a listed file a person has since edited (a
  filled-in ``review.xlsx``) is theirs again. Only ``--force`` lets cleanse replace a file that is not its own.
- **Never deletes a file it did not write.** A ``run`` folder is replaced whole, but every entry in it that is
  not cleanse's (``notes.txt``) is carried into the new folder as it is (a hard link: the same file, not a copy).
  A non-empty folder with no ``.cleanse-output`` is refused unless ``--force``.
- **Checked before the work starts** (``check_folder``, ``check_file``), and again when the files are put in
  place, so a library caller gets the same protection.
- **Atomic.** Files are written under temporary names beside their destination and renamed into place when
  complete. The temporary names carry the host and process that own them
  (``.NAME.cleanse-HOST-PID-XXXX.partial``, ``.cleanse-spill-HOST-PID-XXXX``): SIGTERM is turned into an
  exception so they are removed on the way out (``terminate_as_exception``), and what a killed process (SIGKILL)
  left behind is removed by the next run writing into the same folder (``sweep``), which says so.

Every refusal is an ``OutputError``: one line, exit code 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError
from pipeline.leftovers import owner_prefix

MARKER = ".cleanse-output"  # in a run's output folder: the files that run wrote
FILES = ".cleanse-files"  # beside single files cleanse wrote (send lists, JUnit XML, check reports)
# --- what cleanse wrote ----------------------------------------------------------------------------------------


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _listed(listing: Path) -> dict[str, list[int]] | None:
    """The files a listing names, with the size and time each had; None when it is not one of ours (or an older
    cleanse's marker, which listed nothing)."""
    try:
        data = json.loads(listing.read_text(encoding="utf-8"))
        files = data["files"]
        return {str(k): [int(v[0]), int(v[1])] for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _unchanged(path: Path, stamp: list[int] | None) -> bool:
    try:
        return stamp is not None and path.is_file() and not path.is_symlink() and _stamp(path) == stamp
    except OSError:
        return False


def written_by_cleanse(path: Path | str) -> bool:
    """Whether the single file ``path`` is cleanse's: listed beside it in ``.cleanse-files`` and unchanged."""
    path = Path(path)
    return _unchanged(path, (_listed(path.parent / FILES) or {}).get(path.name))


def _listing(files: dict[str, list[int]], *, note: str) -> str:
    """A listing as JSON a person can read: one file (size in bytes, modification time in ns) a line."""
    lines = [f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(stamp)}" for name, stamp in sorted(files.items())]
    body = ",\n".join(lines)
    return f'{{\n "written_by": "cleanse",\n "note": {json.dumps(note)},\n "files": {{\n{body}\n }}\n}}\n'


def _record(path: Path) -> None:
    """List ``path`` (just written) in ``.cleanse-files`` beside it."""
    listing = path.parent / FILES
    files = _listed(listing) or {}
    files[path.name] = _stamp(path)
    text = _listing(files, note="files cleanse wrote here; it replaces them only while they are unchanged")
    fd, tmp = tempfile.mkstemp(prefix=owner_prefix(FILES), suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, listing)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class _Folder:
    """An existing output folder, sorted into what cleanse may replace and what it must keep."""

    marked: bool  # it holds a .cleanse-output (written by cleanse)
    ours: frozenset[str]  # entries cleanse wrote and nobody changed since: replaced or dropped
    foreign: tuple[str, ...]  # every other entry: carried into the new folder
    changed: frozenset[str]  # foreign entries cleanse listed but a person has changed since


def _survey(dest: Path, names: Collection[str]) -> _Folder:
    entries = {p.name: p for p in dest.iterdir()} if dest.is_dir() else {}
    marked = MARKER in entries
    listed = _listed(dest / MARKER) if marked else None
    if listed is None and marked:  # an older cleanse's marker: it replaced the folder whole, listing nothing
        ours = {n for n in entries if n in names and entries[n].is_file()}
    else:
        ours = {n for n, stamp in (listed or {}).items() if n in entries and _unchanged(entries[n], stamp)}
    if marked:
        ours.add(MARKER)
    foreign = tuple(sorted(n for n in entries if n not in ours))
    changed = frozenset(n for n in foreign if listed and n in listed)
    return _Folder(marked, frozenset(ours), foreign, changed)


# --- checks before the work ---------------------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def same_place(a: Path | str, b: Path | str) -> bool:
    """``a`` and ``b`` name the same file: the same path once links are resolved, or one file under two names."""
    return os.path.realpath(a) == os.path.realpath(b) or _same_file(Path(a), Path(b))


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies under it (both resolved through links)."""
    p, f = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return p == f or f in p.parents


def nearest_folder(path: Path | str) -> Path:
    """The folder ``path`` would be created in, or the nearest one above it that exists: where a run spills and
    where ``sweep`` looks."""
    parent = Path(path).parent
    while not os.path.lexists(parent) and parent != parent.parent:
        parent = parent.parent
    return parent


def _writable_place(path: Path) -> None:
    """``path`` can be created: its nearest existing ancestor is a folder we may write in."""
    parent = nearest_folder(path)
    if parent.is_symlink() and not parent.exists():
        raise OutputError(f"cannot write here: {parent} is a broken link", path=path)
    if not parent.is_dir():
        raise OutputError(f"cannot write here: {parent} is a file, not a folder", path=path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write here: the folder {parent} is not writable", path=path)
    _probe(parent, path)


def _probe(folder: Path, path: Path) -> None:
    """A file can be made in ``folder``: one is made and removed at once. ``os.access`` says yes to root for
    /proc, /sys and other places no file can be made in, and a refusal found only when the outputs are written
    comes after all the work (an audit's ``--out /proc/x`` ran the whole pipeline first)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".cleanse-probe-", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", path=path) from exc
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def _not_regular(path: Path) -> bool:
    """``path`` is a device, a pipe or a socket: replacing it, even with --force, would take it away (an audit's
    ``--junit /dev/full --force`` left a regular file where the device was). A link is replaced as a link."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode))


def _inputs(inputs: Iterable[Path | str | None]) -> list[Path]:
    return [Path(p) for p in inputs if p is not None and os.path.lexists(p)]


def check_file(dest: Path | str, *, inputs: Iterable[Path | str | None] = (), force: bool = False) -> None:
    """Refuse, before any work, to write the single file ``dest`` onto an input, over a file cleanse did not
    write (unless ``force``), or where it cannot be written.

    >>> check_file("m.csv", inputs=["m.csv"])  # doctest: +SKIP
    OutputError: m.csv: is an input of this command; cleanse never writes onto its input, choose another name
    """
    dest = Path(dest)
    for source in _inputs(inputs):
        if same_place(dest, source):
            raise OutputError(
                f"is an input of this command ({source}); cleanse never writes onto an input: choose another name",
                path=dest,
            )
    if dest.is_dir():
        raise OutputError("is a folder; give a file name", path=dest)
    if _not_regular(dest):
        raise OutputError("is a device, a pipe or a socket, not a file; cleanse writes only files", path=dest)
    _writable_place(dest)
    if os.path.lexists(dest) and not force and not written_by_cleanse(dest):
        raise OutputError(
            "exists and was not written by cleanse (or was changed since); cleanse replaces it only with --force",
            path=dest,
        )


def check_folder(
    dest: Path | str,
    *,
    names: Collection[str],
    inputs: Iterable[Path | str | None] = (),
    force: bool = False,
) -> tuple[str, ...]:
    """Refuse, before any work, to write the output folder ``dest`` (which will hold files named among ``names``)
    when it holds an input, is a file, or would replace a file cleanse did not write (unless ``force``).

    Returns the entries that are not cleanse's: they will be kept as they are."""
    dest = Path(dest)
    if os.path.lexists(dest) and not dest.is_dir():
        raise OutputError("output path exists and is not a folder", path=dest)
    sources = _inputs(inputs)
    for source in sources:
        if _inside(source, dest) or _same_file(source, dest):
            raise OutputError(
                f"holds an input of this run ({source}), which the new output could replace; choose another --out",
                path=dest,
            )
    if not dest.exists():
        _writable_place(dest)
        return ()
    # an input hard-linked into the folder is the same file under another name
    identities = {(s.st_dev, s.st_ino): p for p in sources if p.is_file() for s in [p.stat()]}
    for root, _, files in os.walk(dest):
        for name in files:
            with contextlib.suppress(OSError):
                s = os.stat(os.path.join(root, name), follow_symlinks=False)
                if (s.st_dev, s.st_ino) in identities:
                    raise OutputError(
                        f"holds {os.path.join(root, name)}, the same file as the input "
                        f"{identities[(s.st_dev, s.st_ino)]} (a hard link); choose another --out",
                        path=dest,
                    )
    if not os.access(dest, os.W_OK | os.X_OK) or not os.access(dest.parent, os.W_OK | os.X_OK):
        raise OutputError("cannot write here: the folder or the one it is in is not writable", path=dest)
    _probe(dest.parent, dest)  # the new folder is made beside the old one and renamed into its place
    survey = _survey(dest, names)
    if not force:
        _refuse_foreign(dest, survey, names)
    return survey.foreign


def _refuse_foreign(dest: Path, survey: _Folder, names: Collection[str]) -> None:
    if not survey.marked and survey.foreign:
        raise OutputError(
            "output folder exists, is not empty and was not written by cleanse; choose another --out "
            "(--force writes into it, keeping every file in it but the ones cleanse writes)",
            path=dest,
        )
    clash = [n for n in survey.foreign if n in names]
    if clash:
        why = [f"{n} (changed since cleanse wrote it)" if n in survey.changed else n for n in clash]
        raise OutputError(
            f"would replace {', '.join(why)}, which cleanse did not write; move them away or choose another --out "
            "(--force replaces them)",
            path=dest,
        )


# --- atomic writers ----------------------------------------------------------------------------------------------


def _link_tree(src: Path, dst: Path) -> None:
    """``src`` carried to ``dst`` unchanged: hard links (the same files), a copy only where the file system has
    none; symbolic links stay links."""

    def link(a: str, b: str) -> None:
        try:
            os.link(a, b, follow_symlinks=False)
        except OSError:
            shutil.copy2(a, b, follow_symlinks=False)

    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=link)
    else:
        link(str(src), str(dst))


@contextlib.contextmanager
def atomic_folder(dest: Path | str, *, names: Collection[str] = (), force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``dest``; on success it replaces ``dest``, on failure it is removed.

    What was in ``dest`` and is not cleanse's (see ``check_folder``) is carried into the new folder as it is;
    cleanse's own files from the last run are dropped. ``names``: the files this kind of output may hold (those
    an older cleanse's marker, which listed nothing, is taken to have written)."""
    dest = Path(dest)
    if dest.is_symlink():  # the folder the link points to is the output, not the link
        dest = Path(os.path.realpath(dest))
    check_folder(dest, names=names, force=force)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=owner_prefix(dest.name), suffix=".partial", dir=dest.parent))
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", path=dest) from exc
    old: Path | None = None
    try:
        yield tmp
        written = sorted(p.name for p in tmp.iterdir())
        survey = _survey(dest, {*names, *written})  # again: a person may have added a file while we worked
        if not force:
            _refuse_foreign(dest, survey, written)
        for name in survey.foreign:
            if name not in written:
                _link_tree(dest / name, tmp / name)
        listing = {n: _stamp(tmp / n) for n in written}
        note = "cleanse's next run replaces the files listed here while they are unchanged, and keeps all others"
        (tmp / MARKER).write_text(_listing(listing, note=note), encoding="utf-8")
        if dest.exists():
            # a kill between these two renames leaves the previous output aside under a name ``sweep`` puts back
            old = Path(tempfile.mkdtemp(prefix=owner_prefix(dest.name), suffix=".old", dir=dest.parent))
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except OSError as exc:
        _undo(tmp, old, dest)
        raise OutputError(f"cannot write the output ({exc.strerror or exc})", path=exc.filename or dest) from exc
    except BaseException:
        _undo(tmp, old, dest)
        raise


def _undo(tmp: Path, old: Path | None, dest: Path) -> None:
    """A failed or stopped ``atomic_folder``: the previous output back in place (if it was set aside), the new one
    gone."""
    if old is not None and old.exists() and not dest.exists():
        os.replace(old, dest)
    shutil.rmtree(tmp, ignore_errors=True)


def atomic_write(path: Path | str, writer: Callable[[Path], object], *, force: bool = False) -> None:
    """Run ``writer`` on a temporary path beside ``path``, then rename: a whole file or none. Listed in
    ``.cleanse-files`` so the next run may replace it; an existing file that is not cleanse's is refused unless
    ``force`` (see ``check_file``)."""
    path = Path(path)
    check_file(path, force=force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=owner_prefix(path.name), suffix=".partial" + path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", path=path) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        os.replace(tmp, path)
        _record(path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise OutputError(f"cannot write the file ({exc.strerror or exc})", path=path) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_file(path: Path | str, text: str, *, force: bool = False) -> None:
    """Write a text file whole or not at all (see ``atomic_write``)."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)
