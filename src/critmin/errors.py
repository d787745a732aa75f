"""One error hierarchy for critmin.

Every error derives from :class:`CritminError` *and* from the builtin exception that best
describes it, so callers can catch either. Messages say what happened, the offending values and
the fix; the CLI prints them as one line and exits non-zero (``exit_code``).
"""

from __future__ import annotations

from collections.abc import Iterable


class CritminError(Exception):
    """Base class of every error critmin raises on purpose."""

    exit_code: int = 1


class ConfigError(CritminError, ValueError):
    """A setting, flag or environment variable has an unusable value."""

    exit_code = 2


class RegistryError(CritminError, ValueError):
    """A source registry file or a reference table is malformed."""


class SourceUnavailableError(CritminError, FileNotFoundError):
    """A snapshot is missing locally and could not be fetched."""


class ChecksumMismatchError(CritminError, ValueError):
    """A file's sha256 differs from the one the registry records."""

    def __init__(self, path: str, expected: str, actual: str, fix: str) -> None:
        self.path, self.expected, self.actual = path, expected, actual
        super().__init__(
            f"checksum mismatch for {path}: expected sha256 {expected}, got {actual}; "
            f"the file was removed. Fix: {fix}"
        )


class UnmappedValueError(CritminError, LookupError):
    """A provider value (country spelling, commodity label, unit, code) has no mapping."""

    def __init__(self, kind: str, values: Iterable[tuple[str, str]], fix: str) -> None:
        self.kind = kind
        self.values = sorted(set(values))
        shown = "; ".join(f"{v!r} in {where}" for v, where in self.values[:10])
        more = f" (+{len(self.values) - 10} more)" if len(self.values) > 10 else ""
        super().__init__(f"unmapped {kind}: {shown}{more}. Fix: {fix}")


class BuildError(CritminError, RuntimeError):
    """The warehouse build failed; the previous warehouse is untouched."""


class WarehouseMissingError(CritminError, FileNotFoundError):
    """No warehouse file exists where one was expected."""


class QueryError(CritminError, ValueError):
    """A read-only query was rejected or failed."""


class NotFoundError(CritminError, LookupError):
    """A record asked for by id (e.g. an agreement) is not there."""

    exit_code = 2
