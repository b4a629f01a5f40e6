"""The upload size limit bounds all that one upload unpacks to, before any job is queued."""

from __future__ import annotations

import random
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.index import LIVE_ALIAS
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

TIMEOUT = 60
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
MIB = 1 << 20


@pytest.fixture
def limited(make_settings: Callable[..., Settings]) -> Iterator[Services]:
    """Services with MEXMA_MAX_UPLOAD_MB=1 and nothing running their jobs."""
    services = open_services(make_settings(max_upload_mb=1))
    yield services
    services.runtime.close()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def _stored(services: Services) -> list[Path]:
    assert services.settings.uploads_dir is not None
    return sorted(services.settings.uploads_dir.iterdir())


def _refused_whole(services: Services, paths: list[Path]) -> str:
    """Ingest ``paths``, which must queue nothing and store nothing: the one job's error."""
    with mock.patch.object(services.queue, "enqueue") as enqueue:
        [job_id] = services.ingest_paths(paths, caller=OPERATOR)
    enqueue.assert_not_called()
    assert _stored(services) == []
    job = services.get_job(job_id)
    assert job is not None and job.status == "failed"
    return job.error or ""


def test_two_hundred_members_of_one_mib_queue_nothing(limited: Services, tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {f"m{i:03}.txt": b"\0" * MIB for i in range(200)})
    assert bomb.stat().st_size < MIB
    error = _refused_whole(limited, [bomb])
    assert error.startswith("bomb.zip: ") and "compression ratio" in error


def test_members_that_do_not_compress_are_bounded_in_total(
    limited: Services, tmp_path: Path
) -> None:
    archive = _zip(
        tmp_path / "big.zip", {f"m{i}.txt": random.randbytes(MIB // 2) for i in range(3)}
    )
    error = _refused_whole(limited, [archive])
    assert error == (
        "big.zip: unpacks to 1.5 MB or more; the limit is 1 MB per upload (MEXMA_MAX_UPLOAD_MB); "
        "nothing of it was stored"
    )


def test_a_directory_past_the_limit_keeps_none_of_the_files_already_stored(
    limited: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a" * (MIB // 2))
    _zip(folder / "b.zip", {"b.txt": random.randbytes(MIB // 4)})
    (folder / "c.txt").write_bytes(b"c" * (MIB // 2))
    error = _refused_whole(limited, [folder])
    assert error.startswith("folder: unpacks to 1.2 MB or more; the limit is 1 MB per upload")


def test_a_member_lying_about_its_size_is_refused_alone(limited: Services, tmp_path: Path) -> None:
    archive = _zip(tmp_path / "lie.zip", {"a.txt": random.randbytes(2 * MIB), "ok.txt": b"ok"})
    data = bytearray(archive.read_bytes())
    # both headers of the first member declare 100 bytes
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at : at + 4] = (100).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    with mock.patch.object(limited.queue, "enqueue") as enqueue:
        lie, ok = (limited.get_job(i) for i in limited.ingest_paths([archive], caller=OPERATOR))
    assert lie is not None and "lie.zip/a.txt: cannot be unpacked" in (lie.error or "")
    assert ok is not None and ok.status == "queued"
    enqueue.assert_called_once()
    assert [path.stat().st_size for path in _stored(limited)] == [2]


def test_a_legitimate_zip_ingests_and_a_later_bomb_leaves_it_indexed(
    limited: Services, tmp_path: Path
) -> None:
    good = _zip(
        tmp_path / "good.zip",
        {name: (DOCS / name).read_bytes() for name in ("river_en.txt", "train_de.txt")},
    )
    bomb = _zip(tmp_path / "bomb.zip", {f"m{i}.txt": random.randbytes(MIB // 2) for i in range(3)})
    with InProcessWorker(limited):
        jobs = limited.wait_for_jobs(limited.ingest_paths([good], caller=OPERATOR), TIMEOUT)
    assert [job.status for job in jobs] == ["succeeded", "succeeded"]
    stored = _stored(limited)
    points = limited.runtime.index.count(LIVE_ALIAS)
    assert len(stored) == 2 and points > 0
    with mock.patch.object(limited.queue, "enqueue") as enqueue:
        [job_id] = limited.ingest_paths([bomb], caller=OPERATOR)
    enqueue.assert_not_called()
    refused = limited.get_job(job_id)
    assert refused is not None and "bomb.zip: unpacks to 1.5 MB" in (refused.error or "")
    assert _stored(limited) == stored
    assert limited.runtime.index.count(LIVE_ALIAS) == points
    assert [doc.status for doc in limited.list_documents(caller=OPERATOR)] == ["indexed", "indexed"]
