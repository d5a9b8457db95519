"""The one line a command prints for a failure it cannot go on from, chosen by the exception's type.

Each failure names the file or setting at fault and what to do about it; `pressqa` prints it on stderr and
exits non-zero instead of showing a traceback. Anything not listed here is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno

# What to do, by the errno an OSError carries; the rest get the last, general advice.
_OS_ADVICE = {
    errno.EACCES: "check its permissions, or use another folder",
    errno.EPERM: "check its permissions, or use another folder",
    errno.EROFS: "the file system is read-only: use another folder",
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EDQUOT: "the disk quota is used up: free some space and try again",
    errno.ENOENT: "check the path",
    errno.EEXIST: "a file stands where a folder should be: check the path",
    errno.ENOTDIR: "a file stands where a folder should be: check the path",
    errno.EISDIR: "a folder stands where a file should be: check the path",
    errno.ENAMETOOLONG: "the path is too long: use a shorter one",
}


def os_error_line(exc: OSError) -> str:
    what = exc.strerror or str(exc) or type(exc).__name__
    where = f" {exc.filename}" if exc.filename else ""
    advice = _OS_ADVICE.get(exc.errno or 0, "check the path, the disk and its free space, then try again")
    return f"cannot use{where}: {what}; {advice}."


def error_line(exc: BaseException) -> tuple[int, str] | None:
    """(exit status, the line after "error: ") for a failure worded for the user; None for anything else."""
    from embeddings.index import IndexStoreError
    from embeddings.settings import SettingsError
    from qa.models import ModelError

    if isinstance(exc, SettingsError):
        return 2, str(exc)  # like a bad option
    if isinstance(exc, IndexStoreError):
        return 1, str(exc)
    if isinstance(exc, ModelError):
        return 1, f"the language model is not available: {exc}"
    if isinstance(exc, OSError):
        return 1, os_error_line(exc)
    return None
