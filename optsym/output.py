r"""Writing a user's files: nothing replaced without ``force``, no symbolic link followed,
nothing half-written.

A command claims its targets before it works (:meth:`Output.file` for one file,
:meth:`Output.folder` for a folder of them).  An empty name, a symbolic link, a folder where a
file goes (or the reverse) and, without ``force``, a file that exists already are refused there,
as a :class:`OutputRefused` (a usage error).  What the command writes goes to staging names in
the target's own folder (the same file system, so each move is one atomic ``os.replace``) and
:meth:`Output.commit` moves it into place only once the whole command has succeeded; on a
failure :meth:`Output.discard` removes the staged files, so the folder is left as it was.

Used as a context manager, an :class:`Output` commits when its block ends normally and
discards when it raises.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from optsym.spec import SpecError

#: the prefix of a staging folder (removed when the command ends, committed or not)
STAGING = ".optsym-staging-"


class OutputRefused(SpecError):
    """A target optsym will not write: one line, exit 2."""


def _named(target: str | Path, option: str) -> Path:
    if not str(target).strip():
        raise OutputRefused(f"{option} needs a name (an empty path is not a place to write)")
    return Path(target)


def _check(path: Path, force: bool, option: str, label: str | None = None) -> None:
    """``path`` may be written: not a link, not a folder, absent unless ``force``."""
    name = label or str(path)
    if path.is_symlink():
        raise OutputRefused(f"{option} {name}: is a symbolic link; optsym does not write "
                            "through links (remove it, or name the file it points to)")
    if path.is_dir():
        raise OutputRefused(f"{option} {name}: is a directory, not a file")
    if path.exists() and not force:
        raise OutputRefused(f"{option} {name}: exists already; pass --force to replace it")


def _no_linked_folder(root: Path, relative: Path, option: str) -> None:
    """No folder between ``root`` and ``root / relative`` is a symbolic link (a link there
    would carry the file out of the folder asked for)."""
    here = root
    for part in relative.parts[:-1]:
        here = here / part
        if here.is_symlink():
            raise OutputRefused(f"{option} {root}: {here} is a symbolic link; optsym does not "
                                "write through links")
        if here.exists() and not here.is_dir():
            raise OutputRefused(f"{option} {root}: {here} is a file, not a folder")


def _existing_ancestor(path: Path) -> Path:
    here = path.absolute()
    while not here.exists():
        here = here.parent
    return here


@dataclass
class Output:
    """One command's files, staged until :meth:`commit`."""

    force: bool = False
    _files: list[tuple[Path, Path, str]] = field(default_factory=list)
    _folders: list[tuple[Path, Path, str]] = field(default_factory=list)

    def file(self, target: str | Path, option: str = "--out") -> Path:
        """Claim the file ``target``; returns the staging path to write it to (with the same
        suffix, so a writer that reads the format from the name still can)."""
        path = _named(target, option)
        _check(path, self.force, option)
        if not path.parent.is_dir():
            raise OutputRefused(f"{option} {target}: cannot write there, the folder "
                                f"{path.parent} does not exist")
        if not os.access(path.parent, os.W_OK):
            raise OutputRefused(f"{option} {target}: cannot write in {path.parent}")
        staged = path.parent / f".{path.stem}.{secrets.token_hex(4)}.optsym{path.suffix}"
        self._files.append((staged, path, option))
        return staged

    def folder(self, target: str | Path, names: tuple[str, ...] = (),
               option: str = "--out") -> Path:
        """Claim the folder ``target`` (created at commit if missing) and, now, the ``names``
        known to go in it; returns the staging folder to write into."""
        path = _named(target, option)
        if path.is_symlink() and not path.is_dir():
            raise OutputRefused(f"{option} {target}: is a symbolic link to no folder")
        if path.exists() and not path.is_dir():
            raise OutputRefused(f"{option} {target}: exists and is not a directory")
        for name in names:
            _no_linked_folder(path, Path(name), option)
            _check(path / name, self.force, option)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=_existing_ancestor(path)))
        except OSError as exc:
            raise OutputRefused(f"{option} {target}: cannot write there "
                                f"({exc.strerror or exc})") from None
        self._folders.append((staging, path, option))
        return staging

    def target(self, staged: str | Path) -> Path:
        """Where the staged ``staged`` (a claimed file or a path under a staging folder) goes."""
        staged = Path(staged)
        for s, t, _ in self._files:
            if staged == s:
                return t
        for s, t, _ in self._folders:
            if staged == s or s in staged.parents:
                return t / staged.relative_to(s)
        raise ValueError(f"{staged} is not staged here")

    def _moves(self) -> list[tuple[Path, Path, str, Path | None]]:
        """(staged, target, option, the claimed folder or None) for each file written."""
        moves = [(s, t, o, None) for s, t, o in self._files if s.exists()]
        for s, t, o in self._folders:
            moves += [(f, t / f.relative_to(s), o, t) for f in sorted(s.rglob("*"))
                      if f.is_file() and not f.is_symlink()]
        return moves

    def commit(self) -> list[Path]:
        """Check every target again (the names a folder got are known only now), then move
        each staged file into place; returns the targets."""
        try:
            moves = self._moves()
            for _, t, o, root in moves:
                if root is not None:
                    _no_linked_folder(root, t.relative_to(root), o)
                _check(t, self.force, o)
            for s, t, _, _ in moves:
                t.parent.mkdir(parents=True, exist_ok=True)
                os.replace(s, t)
        except OSError as exc:
            raise OutputRefused(f"cannot write {exc.filename or 'the output'}: "
                                f"{exc.strerror or exc}") from None
        finally:
            self.discard()
        return [t for _, t, _, _ in moves]

    def discard(self) -> None:
        """Remove whatever is still staged."""
        for s, _, _ in self._files:
            try:
                s.unlink()
            except OSError:
                pass  # never written, or already moved into place
        for s, _, _ in self._folders:
            shutil.rmtree(s, ignore_errors=True)
        self._files.clear()
        self._folders.clear()

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is None or (getattr(exc, "exit_code", None) == 0):
            self.commit()
        else:
            self.discard()
        return False
