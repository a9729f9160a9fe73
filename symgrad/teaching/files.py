"""The files of a grading run: inputs read with a bound, outputs written so none is ever lost.

Inputs (the key, the answers, the teacher's overrides) are regular files read up to a
size limit as UTF-8. Outputs (the graded rows, the report, the gradebook, the feedback
files) are checked before any work starts, and refused with one line when

- the target is an input of the same run, or another output of it (resolved paths and
  the file's identity are compared, so a symbolic or hard link is caught);
- it exists and is not a regular file (a folder, a FIFO, a device);
- its folder does not exist;
- it exists and is not a file symgrad wrote (:func:`symgrad_wrote`), so a teacher's own
  file is never replaced.

Every output is written to a temporary file in the same folder and renamed into place:
a reader sees the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from symgrad.errors import DatasetError, ProblemError, SymgradError

INPUT_LIMIT = 20 * 2**20
#: what marks a file symgrad wrote, so that it may be replaced by a later run
REPORT_MARK = b"symgrad class report"
FEEDBACK_MARK = b"symgrad feedback"
MARKDOWN_REPORT_START = b"# Class report"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def quote(value: object) -> str:
    """A file name or value for a message: repr'd, cut to 80 characters."""
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


# ---------------------------------------------------------------- inputs
def read_text(
    path: str | Path, what: str, error: type[SymgradError] = DatasetError, limit: int = INPUT_LIMIT
) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; anything else ``error``."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as problem:
        reason = getattr(problem, "strerror", None) or problem
        raise error(f"cannot read the {what} {quote(path)}: {reason}") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"the {what} {quote(path)} is not a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as problem:
        raise error(
            f"cannot read the {what} {quote(path)}: {problem.strerror or problem}"
        ) from None
    if len(data) > limit:
        raise error(f"the {what} {quote(path)} exceeds {limit} bytes")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise error(f"the {what} {quote(path)} is not UTF-8 text") from None


# ---------------------------------------------------------------- outputs
@dataclass(frozen=True)
class Output:
    """One output of a run: its option name, its path, and how to recognise symgrad's own."""

    option: str
    path: Path
    ours: Callable[[Path], bool]
    folder: bool = False


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


def check_outputs(outputs: Iterable[Output], inputs: Iterable[tuple[str, Path]]) -> None:
    """Refuse, before any work, every output that could lose or corrupt a file (see above)."""
    seen: list[tuple[str, Path, tuple[int, int] | None]] = [
        (name, _resolved(Path(path)), _identity(Path(path))) for name, path in inputs
    ]
    for output in outputs:
        target = _resolved(output.path)
        identity = _identity(output.path)
        for name, other, other_identity in seen:
            if target == other or (identity is not None and identity == other_identity):
                raise ProblemError(
                    f"{output.option} {quote(output.path)} is the same file as {name}: "
                    "choose another name (nothing was written)"
                )
        _check_target(output)
        seen.append((output.option, target, identity))


def _check_target(output: Output) -> None:
    path = output.path
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ProblemError(
            f"{output.option} {quote(path)}: the folder {quote(parent)} does not exist"
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as problem:
        reason = getattr(problem, "strerror", None) or problem
        raise ProblemError(f"{output.option} {quote(path)}: {reason}") from None
    if output.folder:
        if not stat.S_ISDIR(info.st_mode):
            raise ProblemError(f"{output.option} {quote(path)} exists and is not a folder")
        return
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ProblemError(f"{output.option} {quote(path)} is {kind}: give a file name")
    if info.st_size and not output.ours(path):
        raise ProblemError(
            f"{output.option} {quote(path)} exists and was not written by symgrad: "
            "choose another name or remove it (it was left as it is)"
        )


def head(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file (empty when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def symgrad_wrote(marker: bytes) -> Callable[[Path], bool]:
    """A test for outputs whose first bytes hold ``marker``."""
    return lambda path: marker in head(path)


def safe_file_names(ids: Iterable[str], suffix: str) -> dict[str, str]:
    """A file name per id, safe on every file system whatever the id holds: letters, digits,
    ``.``, ``_`` and ``-`` only, at most 60 characters before a short hash of the id, which
    is added whenever the id had to change or two ids would meet (``Ann`` and ``ann``)."""
    bases = {}
    for identifier in ids:
        ascii_text = unicodedata.normalize("NFKD", identifier).encode("ascii", "ignore").decode()
        base = _UNSAFE.sub("_", ascii_text).strip("._-")[:60] or "student"
        bases[identifier] = base
    folded: dict[str, int] = {}
    for base in bases.values():
        folded[base.casefold()] = folded.get(base.casefold(), 0) + 1
    names = {}
    for identifier, base in bases.items():
        if base != identifier or folded[base.casefold()] > 1 or base.upper() in _RESERVED:
            digest = hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:10]
            base = f"{base}-{digest}"
        names[identifier] = base + suffix
    return names


def write_atomically(path: str | Path, data: str | bytes, option: str = "output") -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name[:80]}.", suffix=".tmp", dir=folder
        )
    except OSError as problem:
        raise ProblemError(
            f"cannot write {option} {quote(path)}: {problem.strerror or problem}"
        ) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):
            os.chmod(temporary, 0o644 & ~_umask())
        os.replace(temporary, target)
    except OSError as problem:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ProblemError(
            f"cannot write {option} {quote(path)}: {problem.strerror or problem}"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def locked(path: Path, option: str) -> Iterator[int]:
    """An open descriptor of ``path`` (created when absent, never truncated) holding an
    exclusive lock: a second run writing the same file is refused at once."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as problem:
        raise ProblemError(
            f"cannot open {option} {quote(path)}: {problem.strerror or problem}"
        ) from None
    try:
        _lock(descriptor, path, option)
        yield descriptor
    finally:
        os.close(descriptor)


def _lock(descriptor: int, path: Path, option: str) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks; renames stay atomic
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise ProblemError(
            f"{option} {quote(path)} is being written by another symgrad grade: wait for it "
            "to finish, or choose another file"
        ) from None


__all__ = [
    "FEEDBACK_MARK",
    "REPORT_MARK",
    "Output",
    "check_outputs",
    "locked",
    "read_text",
    "safe_file_names",
    "symgrad_wrote",
    "write_atomically",
]
