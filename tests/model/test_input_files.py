import os

import pytest

from twinloc.model.input_files import InputFileError, checked_input_file, read_input_bytes, read_input_text


def test_reads_a_regular_file_within_its_limit(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("{\"é\": 1}", encoding="utf-8")
    assert read_input_text(path, 100) == "{\"é\": 1}"
    assert read_input_bytes(path, 10) == "{\"é\": 1}".encode()  # 9 bytes


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2049)
    with pytest.raises(InputFileError, match="larger than"):
        read_input_bytes(path, 2048)


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "scene.json"
    os.mkfifo(fifo)  # opening it for reading would block forever
    with pytest.raises(InputFileError, match="not a regular file"):
        read_input_text(fifo, 1024)


def test_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="folder"):
        checked_input_file(tmp_path, 1024)
    with pytest.raises(FileNotFoundError):
        checked_input_file(tmp_path / "missing.json", 1024)
    assert isinstance(InputFileError("x"), OSError) and str(InputFileError("why")) == "why"


def test_a_path_with_a_nul_character_is_an_input_file_error(tmp_path):
    with pytest.raises(InputFileError, match="NUL character") as caught:
        read_input_text(str(tmp_path / "scene\x00.json"), 1024)
    assert caught.value.filename == str(tmp_path / "scene\x00.json")
