"""Zip archives read safely in memory: bounded in size, count and ratio, never extracted."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mexma_search.documents.budget import ByteBudget
from mexma_search.documents.errors import IngestError
from mexma_search.documents.registry import ARCHIVE_EXTENSIONS

# what zipfile raises, besides BadZipFile, on a damaged archive (bad offsets and sizes,
# unknown compression, a truncated stream)
_DAMAGED = (ValueError, EOFError, NotImplementedError, OverflowError, struct.error, zlib.error)
_ENCRYPTED_FLAG = 0x1
_DRIVE = re.compile(r"^[A-Za-z]:")
_MAC_METADATA = "__MACOSX"


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds that keep a hostile archive (zip bomb, millions of entries) from hurting us.

    ``max_ratio`` applies to the archive as a whole and to each member, when what they unpack
    to exceeds ``ratio_min_bytes``: small text files legitimately compress very well.
    ``max_total_bytes`` is the budget of an archive read on its own.
    """

    max_files: int = 10_000
    max_total_bytes: int = 1 << 30
    max_ratio: float = 200.0
    ratio_min_bytes: int = 64 << 10


DEFAULT_LIMITS = ZipLimits()


def read_zip_members(
    archive: Path | bytes,
    name: str,
    limits: ZipLimits = DEFAULT_LIMITS,
    budget: ByteBudget | None = None,
) -> Iterator[tuple[str, bytes | IngestError]]:
    """``(name/member, content or error)`` for every file in the archive, in archive order.

    Nothing touches the disk, so hostile member names (``../x``, ``/etc/x``) cannot escape
    anywhere; they are reported as errors all the same. Directories, macOS metadata and hidden
    files are skipped; nested archives are reported, not opened. What the members unpack to is
    spent from ``budget`` (shared with the rest of an upload; by default
    ``limits.max_total_bytes`` for this archive alone), checked against the sizes the archive
    declares before anything is read and again while each member is read.

    Raises:
        OverBudgetError: the members unpack to more than the budget left.
        IngestError: not a zip file, or the archive as a whole exceeds ``limits``.
    """
    budget = budget if budget is not None else ByteBudget(limits.max_total_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(archive) if isinstance(archive, bytes) else archive) as zf:
            members = [info for info in zf.infolist() if _is_content(info)]
            _check_limits(members, name, limits)
            budget.reserve(name, sum(info.file_size for info in members))
            for info in members:
                label = f"{name}/{info.filename}"
                yield label, _read_member(zf, info, label, budget)
    except zipfile.BadZipFile as exc:
        raise IngestError(name, f"is not a valid zip archive ({exc})") from exc
    except IngestError:
        raise
    except _DAMAGED as exc:
        raise IngestError(name, f"is a damaged zip archive ({type(exc).__name__}: {exc})") from exc


def _is_content(info: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    return (
        not info.is_dir()
        and bool(parts)
        and parts[0] != _MAC_METADATA
        and not parts[-1].startswith(".")
    )


def _check_limits(members: list[zipfile.ZipInfo], name: str, limits: ZipLimits) -> None:
    if len(members) > limits.max_files:
        raise IngestError(
            name, f"holds {len(members)} files; at most {limits.max_files} are accepted"
        )
    for info in members:
        _check_ratio(info.file_size, info.compress_size, name, f"member {info.filename!r}", limits)
    unpacked = sum(info.file_size for info in members)
    packed = sum(info.compress_size for info in members)
    _check_ratio(unpacked, packed, name, "the archive as a whole", limits)


def _check_ratio(unpacked: int, packed: int, name: str, what: str, limits: ZipLimits) -> None:
    ratio = unpacked / max(packed, 1)
    if unpacked > limits.ratio_min_bytes and ratio > limits.max_ratio:
        raise IngestError(
            name,
            f"{what} has a compression ratio of {ratio:.0f} "
            f"(limit {limits.max_ratio:.0f}): a zip bomb?",
        )


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, budget: ByteBudget
) -> bytes | IngestError:
    if not _is_safe_name(info.filename):
        return IngestError(label, "has an unsafe path (absolute or with '..'); skipped")
    if PurePosixPath(info.filename).suffix.lower() in ARCHIVE_EXTENSIONS:
        return IngestError(label, "is an archive inside an archive; nested archives are not opened")
    if info.flag_bits & _ENCRYPTED_FLAG:
        return IngestError(label, "is encrypted; password-protected archives are not supported")
    try:
        # zipfile stops at the declared size and checks the CRC; the budget bounds the read
        # whatever the header says
        with zf.open(info) as member:
            return b"".join(budget.read(member, label))
    except IngestError:
        raise
    except (zipfile.BadZipFile, *_DAMAGED) as exc:
        return IngestError(label, f"cannot be unpacked ({exc})")


def _is_safe_name(filename: str) -> bool:
    normalised = filename.replace("\\", "/")
    path = PurePosixPath(normalised)
    return not (path.is_absolute() or _DRIVE.match(normalised) or ".." in path.parts)
