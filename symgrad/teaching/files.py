"""The files of a grading run: inputs read with a bound, outputs written so none is ever lost.

Inputs (the key, the answers, the teacher's overrides) are regular files read up to a
size limit as UTF-8. Outputs (the graded rows, the report, the gradebook, the feedback
files) are checked before any work starts, and refused with one line when

- the target is an input of the same run, or another output of it (resolved paths and
  the file's identity are compared, so a symbolic or hard link is caught);
- it exists and is not a regular file (a folder, a FIFO, a device);
- its folder does not exist, is a file, or does not let a file be created in it (a
  temporary file is created and removed there to find out, before any work);
- it exists and is not a file symgrad wrote as that kind of output, so a teacher's own
  file is never replaced. What proves it is exactly what symgrad writes first and a
  teacher's file does not hold by accident: a first line ``<!-- symgrad class report -->``
  (Markdown report) or ``<!-- symgrad feedback -->`` (Markdown feedback), the HTML start
  with ``<meta name='generator' content='symgrad ...'>`` right after the charset, a PNG
  whose ``Software`` text is ``symgrad class report histogram``, and for CSV (which Moodle
  and Canvas import, so no marker column) the exact header symgrad writes for the same
  questions (:func:`exact_header`).

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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from symgrad.errors import DatasetError, ProblemError, SymgradError

INPUT_LIMIT = 20 * 2**20
#: what marks a file symgrad wrote, so that it may be replaced by a later run
REPORT_MARK = b"symgrad class report"
FEEDBACK_MARK = b"symgrad feedback"
_HTML_HEAD = "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
#: the exact first bytes of each kind of output symgrad writes
HTML_REPORT_START = f"{_HTML_HEAD}<meta name='generator' content='{REPORT_MARK.decode()}'>"
HTML_FEEDBACK_START = f"{_HTML_HEAD}<meta name='generator' content='{FEEDBACK_MARK.decode()}'>"
MARKDOWN_REPORT_START = f"<!-- {REPORT_MARK.decode()} -->\n"
MARKDOWN_FEEDBACK_START = f"<!-- {FEEDBACK_MARK.decode()} -->\n"
HISTOGRAM_SOFTWARE = "symgrad class report histogram"
_PNG = b"\x89PNG\r\n\x1a\n"
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
    #: what symgrad's own file of this kind starts with, for the refusal (may be empty)
    looks: str = ""


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
    parent = _folder_of(path)
    if not parent.is_dir():
        what = _why_not_a_folder(parent)
        raise ProblemError(f"{output.option} {quote(path)}: the folder {quote(parent)} {what}")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        _check_writable(output, parent)
        return
    except (OSError, ValueError) as problem:
        reason = getattr(problem, "strerror", None) or problem
        raise ProblemError(f"{output.option} {quote(path)}: {reason}") from None
    if output.folder:
        if not stat.S_ISDIR(info.st_mode):
            raise ProblemError(f"{output.option} {quote(path)} exists and is not a folder")
        _check_writable(output, path)
        return
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ProblemError(f"{output.option} {quote(path)} is {kind}: give a file name")
    if info.st_size and not output.ours(path):
        looks = f" ({output.looks})" if output.looks else ""
        raise ProblemError(
            f"{output.option} {quote(path)} exists and was not written by symgrad as this "
            f"output{looks}: choose another name or delete it first (it was left as it is)"
        )
    _check_writable(output, parent)


def _why_not_a_folder(folder: Path) -> str:
    """Why ``folder`` (which is not a folder) cannot hold the output."""
    if folder.exists():
        return "is a file, not a folder"
    for ancestor in folder.parents:
        if ancestor.exists() and not ancestor.is_dir():
            return f"does not exist ({quote(ancestor)} is a file, not a folder)"
    return "does not exist"


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _check_writable(output: Output, folder: Path) -> None:
    """Refuse now, not after the grading, a folder where no file can be created (a file
    is created and removed there: permissions, a read-only or pseudo file system)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".symgrad-probe.", suffix=".tmp", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as problem:
        raise ProblemError(
            f"{output.option} {quote(output.path)}: cannot write in the folder {quote(folder)} "
            f"({problem.strerror or problem}); nothing was graded"
        ) from None
    if not output.folder and output.path.exists() and not os.access(output.path, os.W_OK):
        raise ProblemError(
            f"{output.option} {quote(output.path)} is not writable; nothing was graded"
        )


def head(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file (empty when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def symgrad_wrote(marker: bytes) -> Callable[[Path], bool]:
    """A test for outputs whose first bytes hold ``marker`` (anywhere in them)."""
    return lambda path: marker in head(path)


def starts_with(start: str | bytes) -> Callable[[Path], bool]:
    """A test for outputs whose bytes (after a byte-order mark) begin exactly with ``start``."""
    prefix = start.encode("utf-8") if isinstance(start, str) else start
    return lambda path: head(path, len(prefix) + 3).removeprefix(b"\xef\xbb\xbf").startswith(prefix)


def exact_header(header: str) -> Callable[[Path], bool]:
    """A test for CSV outputs whose first line is exactly ``header`` (a line of its own)."""
    return starts_with(header.rstrip("\n") + "\n")


def is_histogram(path: Path) -> bool:
    """A PNG that symgrad's report wrote (its ``Software`` text says so)."""
    start = head(path)
    return start.startswith(_PNG) and b"tEXtSoftware\x00" + HISTOGRAM_SOFTWARE.encode() in start


def safe_file_names(ids: Iterable[str], suffix: str) -> dict[str, str]:
    """A file name per id, safe on every file system whatever the id holds: letters, digits,
    ``.``, ``_`` and ``-`` only, at most 60 characters before a short hash of the id, which
    is added whenever the id had to change, is a reserved device name, or would meet
    another id's name.

    The names are distinct by construction, also on file systems that ignore case: a
    name that meets another (``Zoë Lee`` cleaned and hashed as ``Zoe_Lee-377deefbbc``,
    next to a student whose id is that text) gets a longer hash, until none meet. The
    result does not depend on the order of the ids.
    """
    unique = list(dict.fromkeys(ids))
    bases = {identifier: _clean_name(identifier) for identifier in unique}
    folded = Counter(base.casefold() for base in bases.values())
    plain = {
        identifier
        for identifier, base in bases.items()
        if base == identifier and folded[base.casefold()] == 1 and not _reserved(base)
    }
    digits = dict.fromkeys(unique, 10)
    for _ in range(10):
        names = {
            identifier: (
                base if identifier in plain else f"{base}-{_digest(identifier, digits[identifier])}"
            )
            + suffix
            for identifier, base in bases.items()
        }
        meeting: dict[str, list[str]] = {}
        for identifier, name in names.items():
            meeting.setdefault(name.casefold(), []).append(identifier)
        clashes = [
            i for group in meeting.values() if len(group) > 1 for i in group if i not in plain
        ]
        if not clashes:
            return names
        for identifier in clashes:
            digits[identifier] += 6  # sha256 has 64 digits: distinct ids part long before
    raise ProblemError("two student ids give the same feedback file name")  # pragma: no cover


def _clean_name(identifier: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", identifier).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("_", ascii_text).strip("._-")[:60] or "student"


def _reserved(base: str) -> bool:
    """A Windows device name, with or without an extension (``con``, ``NUL.txt``)."""
    return base.split(".")[0].upper() in _RESERVED


def _digest(identifier: str, digits: int) -> str:
    return hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:digits]


def write_atomically(path: str | Path, data: str | bytes, option: str = "output") -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    target = Path(path)
    folder = _folder_of(target)
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
    "HTML_FEEDBACK_START",
    "HTML_REPORT_START",
    "MARKDOWN_FEEDBACK_START",
    "MARKDOWN_REPORT_START",
    "REPORT_MARK",
    "Output",
    "check_outputs",
    "exact_header",
    "is_histogram",
    "locked",
    "read_text",
    "safe_file_names",
    "starts_with",
    "symgrad_wrote",
    "write_atomically",
]
