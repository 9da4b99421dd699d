"""Memory bombs among the fuzz inputs, each checked against what it would cost if loaded."""

from __future__ import annotations

import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from hostile_inputs import zeros_npz

from twinloc.mitigation.datasets import MAX_SAMPLES
from twinloc.mitigation.files import DatasetError, load_dataset


def test_a_zip_bomb_of_training_data_is_refused_from_its_headers(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    path.write_bytes(zeros_npz(15))
    samples = 15 * 2**20
    # Loaded it would be 128 + 16 + 1 + 8 bytes a sample: 2.4 GB from a file of 2.4 MB.
    assert samples * (16 * 8 + 2 * 8 + 1 + 8) > 2.4e9 and path.stat().st_size < 2.5e6
    assert _expanded_size(path, "nlos.npy") == 128 + samples  # it really expands

    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=f"{samples:,} samples, more than the {MAX_SAMPLES:,}"):
            load_dataset(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # headers only: no array of the 2.4 GB was allocated


def _expanded_size(path: Path, name: str) -> int:
    """Bytes the deflated member ``name`` expands to, counted by zlib (the bomb's crc32 is 0,
    so zipfile would refuse to read it to the end)."""
    content = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo(name)
    start = member.header_offset + 30 + len(member.filename.encode())  # the local header has no extra field
    inflater, size = zlib.decompressobj(-15), 0
    for offset in range(start, start + member.compress_size, 2**16):
        size += len(inflater.decompress(content[offset:min(offset + 2**16, start + member.compress_size)]))
    return size + len(inflater.flush())
