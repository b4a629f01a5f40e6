"""Zip archives and directory walks: bounds, hostile names, and failures that stay local."""

from __future__ import annotations

import io
import random
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mexma_search.documents import (
    ByteBudget,
    IngestError,
    OverBudgetError,
    ParsedDocument,
    ZipLimits,
    iter_documents,
)
from mexma_search.documents.archive import read_zip_members

ZipMaker = Callable[..., Path]

RIVER = b"The river flows through the old town."
BAKERY = "La boulangerie ouvre à six heures.".encode()


def _declaring(archive: Path, size: int) -> Path:
    """The one-member ``archive`` with its headers lying that the member unpacks to ``size``."""
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at : at + 4] = struct.pack("<I", size)
    archive.write_bytes(bytes(data))
    return archive


class _Endless(io.RawIOBase):
    """A member that unpacks forever, counting the bytes it served."""

    def __init__(self) -> None:
        super().__init__()
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        assert size >= 0, "an unbounded read would never end"
        self.served += size
        return b"x" * size


def outcomes(path: Path, **options: object) -> dict[str, ParsedDocument | IngestError]:
    return dict(iter_documents(path, **options))


class TestZipBounds:
    def test_too_many_files(self, make_zip: ZipMaker) -> None:
        archive = make_zip({f"doc{i}.txt": RIVER for i in range(4)})
        with pytest.raises(IngestError, match=r"holds 4 files; at most 3 are accepted"):
            list(read_zip_members(archive, "a.zip", ZipLimits(max_files=3)))

    def test_too_large_unpacked(self, make_zip: ZipMaker) -> None:
        archive = make_zip({"a.txt": RIVER * 10, "b.txt": RIVER * 10})
        with pytest.raises(IngestError, match=r"unpacks to at least 740 bytes; at most 500"):
            list(read_zip_members(archive, "a.zip", ZipLimits(max_total_bytes=500)))

    def test_compression_ratio_bomb(self, make_zip: ZipMaker) -> None:
        archive = make_zip({"zeros.txt": b"\0" * 2_000_000})
        with pytest.raises(IngestError, match=r"'zeros\.txt' has a compression ratio of \d+"):
            list(read_zip_members(archive, "bomb.zip"))

    def test_a_member_of_one_mib_that_compresses_too_well_is_a_bomb(
        self, make_zip: ZipMaker
    ) -> None:
        archive = make_zip({"ok.txt": RIVER, "zeros.txt": b"\0" * (1 << 20)})
        with pytest.raises(IngestError, match=r"member 'zeros\.txt' has a compression ratio"):
            list(read_zip_members(archive, "bomb.zip"))

    def test_many_small_members_that_compress_too_well_are_a_bomb(self, make_zip: ZipMaker) -> None:
        archive = make_zip({f"z{i}.txt": b"\0" * 60_000 for i in range(20)})
        with pytest.raises(
            IngestError, match=r"the archive as a whole has a compression ratio of \d+"
        ):
            list(read_zip_members(archive, "bomb.zip"))

    def test_archives_sharing_a_budget_are_bounded_together(self, make_zip: ZipMaker) -> None:
        budget = ByteBudget(1000)
        first = make_zip({"a.txt": RIVER * 10, "b.txt": RIVER * 10}, name="first.zip")
        second = make_zip({"c.txt": RIVER * 10}, name="second.zip")
        assert len(list(read_zip_members(first, "first.zip", budget=budget))) == 2
        assert budget.spent == 740
        with pytest.raises(OverBudgetError, match=r"at least 1110 bytes; at most 1000") as error:
            list(read_zip_members(second, "second.zip", budget=budget))
        assert error.value.unpacked == 1110 and budget.spent == 740

    def test_a_header_declaring_less_than_its_data_yields_no_more_than_declared(
        self, make_zip: ZipMaker
    ) -> None:
        archive = _declaring(make_zip({"a.txt": random.randbytes(300_000)}), 100)
        budget = ByteBudget(1000)
        [(name, error)] = read_zip_members(archive, "lie.zip", budget=budget)
        assert name == "lie.zip/a.txt"
        assert isinstance(error, IngestError) and "cannot be unpacked (Bad CRC-32" in str(error)
        assert budget.spent <= 100

    def test_the_bounded_read_stops_a_member_larger_than_its_header_says(
        self, make_zip: ZipMaker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        archive = make_zip({"a.txt": RIVER})
        # a zip reader that believes the lie and keeps on unpacking
        endless = _Endless()
        monkeypatch.setattr(zipfile.ZipFile, "open", lambda *args, **kwargs: endless)
        with pytest.raises(OverBudgetError, match=r"lie\.zip/a\.txt: unpacks to at least 1001"):
            list(read_zip_members(archive, "lie.zip", budget=ByteBudget(1000)))
        assert endless.served == 1001

    def test_small_well_compressed_text_is_fine(self, make_zip: ZipMaker) -> None:
        archive = make_zip({"spaces.txt": b"river " + b" " * 50_000})
        [(name, content)] = read_zip_members(archive, "a.zip")
        assert name == "a.zip/spaces.txt"
        assert isinstance(content, bytes) and len(content) == 50_006

    def test_not_a_zip(self, tmp_path: Path) -> None:
        fake = tmp_path / "fake.zip"
        fake.write_bytes(b"PK but not really")
        with pytest.raises(IngestError, match=r"fake\.zip: is not a valid zip archive"):
            list(read_zip_members(fake, "fake.zip"))

    def test_reads_from_bytes(self, make_zip: ZipMaker) -> None:
        data = make_zip({"a.txt": RIVER}).read_bytes()
        assert list(read_zip_members(data, "up.zip")) == [("up.zip/a.txt", RIVER)]


class TestZipMembers:
    def test_zip_slip_names_fail_alone_and_nothing_is_written(
        self, make_zip: ZipMaker, tmp_path: Path
    ) -> None:
        archive = make_zip(
            {"../evil.txt": RIVER, "/etc/evil.txt": RIVER, "C:/evil.txt": RIVER, "ok.txt": RIVER}
        )
        result = outcomes(archive)
        for hostile in ("../evil.txt", "/etc/evil.txt", "C:/evil.txt"):
            error = result[f"archive.zip/{hostile}"]
            assert isinstance(error, IngestError)
            assert "unsafe path" in str(error)
        assert isinstance(result["archive.zip/ok.txt"], ParsedDocument)
        assert not (tmp_path.parent / "evil.txt").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.zip"]

    def test_nested_archive_is_not_opened(self, make_zip: ZipMaker) -> None:
        inner = make_zip({"inner.txt": RIVER}, name="inner.zip").read_bytes()
        result = outcomes(make_zip({"inner.zip": inner, "a.txt": RIVER}, name="outer.zip"))
        assert "nested archives are not opened" in str(result["outer.zip/inner.zip"])
        assert "outer.zip/inner.zip/inner.txt" not in result
        assert isinstance(result["outer.zip/a.txt"], ParsedDocument)

    def test_directories_and_metadata_are_skipped(self, make_zip: ZipMaker) -> None:
        archive = make_zip(
            {
                "docs/": b"",
                "docs/a.txt": RIVER,
                "__MACOSX/docs/._a.txt": b"x",
                "docs/.DS_Store": b"",
            }
        )
        assert list(outcomes(archive)) == ["archive.zip/docs/a.txt"]

    def test_encrypted_member(self, make_zip: ZipMaker) -> None:
        archive = make_zip({"a.txt": RIVER})
        data = bytearray(archive.read_bytes())
        # set the "encrypted" flag in the local header (offset 6) and the central directory
        data[6] |= 1
        central = data.rindex(b"PK\x01\x02")
        data[central + 8] |= 1
        [(_, error)] = read_zip_members(bytes(data), "a.zip")
        assert isinstance(error, IngestError)
        assert "is encrypted" in str(error)


class TestWalk:
    def test_directory_walk_broken_file_fails_alone(self, docs: Path, tmp_path: Path) -> None:
        root = tmp_path / "upload"
        (root / "sub").mkdir(parents=True)
        for name in ("river_en.txt", "broken.pdf", "river_en_fr.pdf"):
            shutil.copy(docs / name, root / name)
        shutil.copy(docs / "train_ja.txt", root / "sub" / "train_ja.txt")
        (root / "video.mp4").write_bytes(b"\0\0")
        (root / ".hidden.txt").write_text("secret")
        (root / ".git").mkdir()
        (root / ".git" / "config.txt").write_text("x")

        result = outcomes(root)
        assert list(result) == [
            "broken.pdf",
            "river_en.txt",
            "river_en_fr.pdf",
            "video.mp4",
            "sub/train_ja.txt",
        ]
        assert str(result["broken.pdf"]) == "broken.pdf: is not a PDF file (no %PDF header)"
        assert "'.mp4', which is not supported" in str(result["video.mp4"])
        assert str(result["video.mp4"]).startswith("video.mp4: ")
        for good in ("river_en.txt", "river_en_fr.pdf", "sub/train_ja.txt"):
            assert isinstance(result[good], ParsedDocument)

    def test_relative_names_label_errors_in_subfolders(self, tmp_path: Path) -> None:
        (tmp_path / "a" / "b").mkdir(parents=True)
        (tmp_path / "a" / "b" / "empty.txt").write_bytes(b"")
        [(name, error)] = iter_documents(tmp_path)
        assert name == "a/b/empty.txt"
        assert str(error) == "a/b/empty.txt: contains no text"

    def test_zip_in_directory_and_zip_path(
        self, docs: Path, make_zip: ZipMaker, tmp_path: Path
    ) -> None:
        archive = make_zip(
            {
                "bakery.jsonl": (docs / "bakery.jsonl").read_bytes(),
                "broken.pdf": (docs / "broken.pdf").read_bytes(),
                "notes/bakery_fr.txt": BAKERY,
            },
            name="batch.zip",
        )
        result = outcomes(archive)
        assert set(result) == {
            "batch.zip/bakery.jsonl",
            "batch.zip/broken.pdf",
            "batch.zip/notes/bakery_fr.txt",
        }
        assert str(result["batch.zip/broken.pdf"]).startswith("batch.zip/broken.pdf: is not a PDF")
        assert len(result["batch.zip/bakery.jsonl"].units) == 4

        assert outcomes(tmp_path).keys() == result.keys()  # the same zip found in a folder

    def test_archive_failing_its_bounds_is_one_error(self, make_zip: ZipMaker) -> None:
        archive = make_zip({f"d{i}.txt": RIVER for i in range(3)})
        [(name, error)] = iter_documents(archive, limits=ZipLimits(max_files=2))
        assert name == "archive.zip"
        assert isinstance(error, IngestError) and "at most 2" in str(error)

    def test_text_column_reaches_every_file(self, docs: Path, make_zip: ZipMaker) -> None:
        archive = make_zip({"b.jsonl": (docs / "bakery.jsonl").read_bytes()})
        [(_, doc)] = iter_documents(archive, text_column="lang")
        assert doc.text.split("\n\n") == ["en", "fr", "es", "de"]

    def test_single_file_and_missing_path(self, docs: Path, tmp_path: Path) -> None:
        [(name, doc)] = iter_documents(docs / "river_fr.md")
        assert name == "river_fr.md" and isinstance(doc, ParsedDocument)
        with pytest.raises(IngestError, match="does not exist"):
            list(iter_documents(tmp_path / "nope"))


def test_stored_members_are_read_too(make_zip: ZipMaker) -> None:
    archive = make_zip({"a.txt": RIVER}, compression=zipfile.ZIP_STORED)
    assert list(read_zip_members(archive, "a.zip")) == [("a.zip/a.txt", RIVER)]
