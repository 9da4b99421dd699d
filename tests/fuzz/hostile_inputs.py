"""The fuzz corpus: broken and hostile inputs of every kind a user can give TwinLoc.

Nothing here is checked in as a binary blob: :func:`build_corpus` writes every input into a
folder, deterministically (fixed seeds), in a few seconds. Run it by hand to look at them::

    PYTHONPATH=app python tests/fuzz/hostile_inputs.py /tmp/corpus

Each :class:`Case` names one input and the entry point a user reaches it through: the CLI
(``twinloc.cli.main`` in-process, which must exit with status 2) or the Qt-free loader that a
GUI dialog calls (which must raise its one error type). Hand-written cases reproduce what
the fuzzing of issue 10 found (memory and time bombs, pipes, escapes, internal errors,
misleading successes); seeded random mutations of a valid file of each kind add breadth
and may still be valid, so they may be accepted but never crash.
"""

from __future__ import annotations

import copy
import io
import json
import os
import random
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: The input classes, in the order they are run and reported.
INPUT_CLASSES = ("project", "autosave", "measured_csv", "checkpoint", "training_data",
                 "scene_json", "mesh", "mitsuba", "cli_options")

# A process id no Linux system hands out (pid_max is at most 2**22): a crashed session's.
DEAD_PID = 2**22 + 12345


@dataclass(frozen=True)
class Case:
    """One input tried through one entry point.

    input_class : one of INPUT_CLASSES.
    name : what is hostile about it (unique within the class and entry point).
    via : "cli", or the loader the GUI calls: "open_source", "load_measured_csv",
        "load_measurements", "load_mitigation_model", "load_dataset", "autosave".
    argv : the CLI arguments (via "cli"); path : the file or folder (loaders).
    must_refuse : False for random mutations, which may still be valid.
    """

    input_class: str
    name: str
    via: str
    argv: tuple[str, ...] = ()
    path: str = ""
    must_refuse: bool = True


def build_corpus(folder: Path) -> list[Case]:
    """Write every input under ``folder`` (created) and return the cases that use them."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    for input_class in INPUT_CLASSES:
        target = folder / input_class
        target.mkdir(exist_ok=True)
        cases += _BUILDERS[input_class](target, random.Random(f"twinloc-fuzz-{input_class}"))
    return cases


# ----------------------------------------------------------------------------- shared pieces

# Values a mutation puts where a file had something sensible. Strings in angle brackets are
# spliced into the JSON text as written (they are not valid Python values).
_PALETTE: list[Any] = [
    None, True, False, "false", "", "x" * 5000, "\u202e\u0000", -1, 0, 1, 2**63, -(2**63) - 1, 0.5, -0.0,
    1e308, -1e308, 5e-324, [], {}, [1, 2], [[1, 2, 3]] * 3, {"a": 1}, "<1" + "0" * 400 + ">", "<NaN>",
    "<Infinity>", "<-Infinity>", "<1e999>", "<" + "[" * 5000 + "]" * 5000 + ">",
]


def _json_text(data: Any) -> str:
    """JSON of ``data``, with "<...>" strings spliced in raw (big numbers, NaN, deep nesting)."""
    text = json.dumps(data)
    return text.replace('"<', "").replace('>"', "")


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) to a value inside ``data``."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _json_mutants(data: Any, rng: random.Random, count: int) -> list[str]:
    """``count`` JSON texts of ``data`` with one value replaced, removed or duplicated."""
    mutants = []
    for _ in range(count):
        mutated = copy.deepcopy(data)
        path = rng.choice(_paths(mutated)[1:])
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        action = rng.random()
        if action < 0.7:
            parent[path[-1]] = copy.deepcopy(rng.choice(_PALETTE))
        elif action < 0.85:
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.extend([parent[path[-1]]] * rng.choice((1, 2, 1000)))
        else:
            parent[path[-1]] = [parent[path[-1]]] * 3
        mutants.append(_json_text(mutated))
    return mutants


def _byte_mutants(content: bytes, rng: random.Random, count: int) -> list[bytes]:
    """``count`` copies of ``content`` truncated, with bytes changed, or with a slice repeated."""
    mutants = []
    for _ in range(count):
        data = bytearray(content)
        action = rng.random()
        if action < 0.3:
            del data[rng.randrange(len(data)):]
        elif action < 0.8:
            for _ in range(rng.choice((1, 4, 32))):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            start = rng.randrange(len(data))
            piece = data[start:start + rng.choice((1, 16, 256))]
            data[start:start] = piece * rng.choice((2, 100))
        mutants.append(bytes(data))
    return mutants


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def _fifo(folder: Path, name: str) -> Path:
    """A named pipe: opening it for reading waits for a writer forever."""
    path = folder / name
    os.mkfifo(path)
    return path


def _sparse(folder: Path, name: str, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (over a loader's size limit)."""
    path = folder / name
    with path.open("wb") as stream:
        stream.truncate(size)
    return path


def zip_archive(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from (name, raw deflate data, uncompressed size, crc32) members, written by
    hand so that a member can claim any size; sizes below 4 GiB (no zip64)."""
    body, directory = io.BytesIO(), io.BytesIO()
    for name, data, size, crc in members:
        encoded = name.encode()
        offset = body.tell()
        body.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0))
        body.write(encoded + data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                                    len(encoded), 0, 0, 0, 0, 0, offset))
        directory.write(encoded)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), directory.tell(), body.tell(), 0)
    return body.getvalue() + directory.getvalue() + end


def deflated_zeros(prefix: bytes, zero_mib: int) -> bytes:
    """Raw deflate data of ``prefix`` and ``zero_mib`` MiB of zeros, made from one compressed
    MiB repeated (a full flush makes each block independent), so a gigabyte costs a millisecond."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(2**20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + block * zero_mib + compressor.flush(zlib.Z_FINISH)


def zeros_npz(mebisamples: int) -> bytes:
    """A training data file of ``mebisamples`` × 2**20 samples of zeros: 153 bytes a sample when
    loaded (2.4 GB for 15 × 2**20), about 150 kB on disk per 2**20 samples. The crc32 fields
    are 0: a reader that checks them has read everything first."""
    samples = mebisamples * 2**20
    members = []
    for name, dtype, shape in (("inputs", "<f8", (samples, 16)), ("true", "<f8", (samples, 2)),
                               ("nlos", "|b1", (samples,)), ("point", "<i8", (samples,))):
        header = _npy_header(dtype, shape)
        size = np.dtype(dtype).itemsize * samples * (shape[1] if len(shape) > 1 else 1)
        members.append((f"{name}.npy", deflated_zeros(header, size // 2**20), len(header) + size, 0))
    text = _npy_header("<U2", ()) + "{}".encode("utf-32-le")
    members.append(("provenance.npy", zlib.compress(text)[2:-4], len(text), zlib.crc32(text)))
    return zip_archive(members)


def _npy_header(dtype: str, shape: tuple[int, ...]) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": dtype, "fortran_order": False, "shape": shape})
    return stream.getvalue()


def _cli_and_loader(cases: list[Case], input_class: str, name: str, path: Path, loader: str,
                    cli: tuple[str, ...] | None, must_refuse: bool = True) -> None:
    """Add ``path`` through the GUI's loader and, when ``cli`` is given, through ``cli + (path,)``."""
    cases.append(Case(input_class, name, loader, path=str(path), must_refuse=must_refuse))
    if cli is not None:
        cases.append(Case(input_class, name, "cli", argv=(*cli, str(path)), must_refuse=must_refuse))


def _file_cases(folder: Path, input_class: str, suffix: str, loader: str, cli: tuple[str, ...] | None,
                hand: dict[str, str | bytes], special: dict[str, Path], mutants: list[str] | list[bytes],
                may_pass: tuple[str, ...] = ()) -> list[Case]:
    """Cases of one file type: the hand-written files (named 000.SUFFIX, 001.SUFFIX, ... in
    order) and ``special`` ones (pipes, sparse files) through the loader and the CLI; the
    random ``mutants`` through the loader only. Names in ``may_pass`` may be accepted."""
    cases: list[Case] = []
    for index, (name, content) in enumerate(hand.items()):
        path = _write(folder, f"{index:03d}.{suffix}", content)
        _cli_and_loader(cases, input_class, name, path, loader, cli, must_refuse=name not in may_pass)
    for name, path in special.items():
        _cli_and_loader(cases, input_class, name, path, loader, cli)
    for index, content in enumerate(mutants):
        path = _write(folder, f"mutant-{index:03d}.{suffix}", content)
        _cli_and_loader(cases, input_class, f"mutant {index}", path, loader, None, must_refuse=False)
    return cases


# ----------------------------------------------------------------------------- project files

def _valid_project() -> dict:
    from twinloc.model.devices import Anchor, BaseStation
    from twinloc.model.project import MaterialOverride, Project, ResultRecord, SceneRef
    from twinloc.model.project_file import project_to_dict

    project = Project(scene=SceneRef("uwb_hall"),
                      anchors=(Anchor("A1", (3.8, 0.0, 2.0)), Anchor("A2", (9.4, 7.2, 2.0), False), Anchor("A3", (14.4, 0.1, 2.0))),
                      base_stations=(BaseStation("BS1", (0.1, 0.1, 2.4)),),
                      material_overrides={"concrete": MaterialOverride(relative_permittivity=6.0)},
                      results=(ResultRecord("los_map", "2024-01-01T00:00:00+00:00", {"cells": 10}),))
    return project_to_dict(project)


def _projects(folder: Path, rng: random.Random) -> list[Case]:
    valid = _valid_project()

    def variant(**changes) -> str:
        return _json_text({**valid, **changes})

    anchors = valid["anchors"]
    hand = {
        "scene path to itself": variant(scene={"name": "x", "path": "000.twinloc"}),
        "enabled the text false": variant(anchors=[{**anchors[0], "enabled": "false"}]),
        "an anchor name twice": variant(anchors=[anchors[0], {**anchors[2], "name": "A1"}]),
        "integer of 400 digits": variant(anchors=[{**anchors[0], "position": ["<1" + "0" * 400 + ">", 0, 2]}]),
        "version of 5000 digits": variant(version="<1" + "0" * 5000 + ">"),
        "nested 200,000 deep": variant(results=[{"kind": "k", "created": "c",
                                                 "summary": {"x": "<" + "[" * 200_000 + "]" * 200_000 + ">"}}]),
        "coordinate 1e300": variant(anchors=[{**anchors[0], "position": [1e300, 0, 2]}]),
        "coordinate 1e308 squared overflows": variant(anchors=[{**anchors[0], "position": [1.7e308, 1.7e308, 2]}]),
        "seed -1": variant(error_map={"seed": -1}),
        "seed 2**80": variant(error_map={"seed": 2**80}),
        "monte carlo 10**9": variant(error_map={"monte_carlo_draws": 10**9}),
        "resolution 1e-9": variant(settings={"grid_resolution_m": 1e-9}),
        "1001 anchors": variant(anchors=[{"name": f"A{i}", "position": [1, 1, 2]} for i in range(1001)]),
        "name of 100,000 characters": variant(anchors=[{**anchors[0], "name": "A" * 100_000}]),
        "unknown material override": variant(material_overrides={"unobtainium": {"relative_permittivity": 2.0}}),
        "scene path to the password file": variant(scene={"name": "x", "path": "../../../../../../etc/passwd"}),
        "scene path to /dev/zero": variant(scene={"name": "x", "path": "/dev/zero"}),
        "scene path to /dev/zero as json": variant(scene={"name": "x", "path": "/dev/zero/x.json"}),
        "scene path to a folder": variant(scene={"name": "x", "path": "."}),
        "scene path to a pipe": variant(scene={"name": "x", "path": "pipe-scene.json"}),
        "scene name unknown": variant(scene={"name": "nowhere", "path": None}),
        "format missing": _json_text({k: v for k, v in valid.items() if k != "format"}),
        "newer version": variant(version=99),
        "a list": "[]",
        "empty": "",
        "NaN": variant(settings={"tag_height_m": "<NaN>"}),
        "byte order mark": "\ufeff" + _json_text(valid),
        "truncated": _json_text(valid)[:100],
        "mounting region of 20,000 points": variant(mounting_regions=[
            {"name": "r", "polygon": [[i % 7, i % 5] for i in range(20_000)], "z_range_m": [0, 2]}]),
    }
    _fifo(folder, "pipe-scene.json")
    special = {"UTF-16 text": _write(folder, "utf16.twinloc", _json_text(valid).encode("utf-16")),
               "random bytes": _write(folder, "junk.twinloc", bytes(rng.randrange(256) for _ in range(4096))),
               "a pipe named x.twinloc": _fifo(folder, "x.twinloc"),
               "16 MiB + 1 byte": _sparse(folder, "huge.twinloc", 16 * 2**20 + 1)}
    return _file_cases(folder, "project", "twinloc", "open_source", ("scene", "info"), hand, special,
                       _json_mutants(valid, rng, 60))


# ----------------------------------------------------------------------------- autosave folders

def _autosave(folder: Path, rng: random.Random) -> list[Case]:
    """Each case is an autosave folder as a crashed or foreign TwinLoc might leave it."""
    project_text = _json_text(_valid_project())
    layouts: dict[str, dict[str, Any]] = {
        "marker of 20 digits": {"session-99999999999999999999.json": "{}"},
        "marker of 300 digits": {f"session-{'9' * 240}.json": "{}"},
        "marker of pid 0": {"session-0.json": "{}"},
        "marker with leading zeros": {"session-0042.json": "{}"},
        "marker in Arabic-Indic digits": {"session-\u0661\u0662.json": "{}"},
        "marker is a folder": {f"session-{DEAD_PID}.json": "<folder>"},
        "marker is a pipe": {f"session-{DEAD_PID}.json": "<fifo>"},
        "snapshot is a pipe": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": "<fifo>"},
        "snapshot is a folder": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": "<folder>"},
        "snapshot is /dev/zero": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": "<link:/dev/zero>"},
        "snapshot is damaged": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": "{broken"},
        "snapshot of 17 MiB": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": "<sparse>"},
        "metadata is a pipe": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": project_text,
                               f"autosave-{DEAD_PID}.json": "<fifo>"},
        "metadata of the wrong types": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": project_text,
                                        f"autosave-{DEAD_PID}.json": json.dumps({"original_path": [1], "saved": {"a": 1}})},
        "metadata nested 100,000 deep": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": project_text,
                                         f"autosave-{DEAD_PID}.json": "[" * 100_000 + "]" * 100_000},
        "metadata of 1 MB": {f"session-{DEAD_PID}.json": "{}", f"autosave-{DEAD_PID}.twinloc": project_text,
                             f"autosave-{DEAD_PID}.json": json.dumps({"saved": "9" * 2**20})},
        "500 dead sessions": {f"session-{DEAD_PID + i}.json": "{}" for i in range(500)},
        "random file names": {"".join(rng.choice("session-0123456789.json") for _ in range(20)): "{}" for _ in range(50)},
    }
    cases = []
    for index, (name, files) in enumerate(layouts.items()):
        store = folder / f"{index:02d}"
        store.mkdir()
        for file_name, content in files.items():
            path = store / file_name
            if content == "<folder>":
                path.mkdir()
            elif content == "<fifo>":
                os.mkfifo(path)
            elif content == "<sparse>":
                _sparse(store, file_name, 17 * 2**20)
            elif content.startswith("<link:"):
                path.symlink_to(content[len("<link:"):-1])
            else:
                path.write_text(content, encoding="utf-8")
        cases.append(Case("autosave", name, "autosave", path=str(store)))
    return cases


# ----------------------------------------------------------------------------- measured CSVs

def _measured(folder: Path, rng: random.Random) -> list[Case]:
    header = "true_x,true_y,measured_x,measured_y\n"
    rows = [[x, y, x + 0.01 * k, y - 0.01 * k] for x, y in ((2.0, 2.0), (9.0, 4.0), (15.0, 6.0)) for k in range(8)]
    valid = header + "".join(",".join(map(str, row)) + "\n" for row in rows)
    train = ("train-mitigation", "uwb_hall", "--resolution", "2", "--groups", "1", "--epochs", "1",
             "--fine-tune-epochs", "1", "--measured")
    hand = {
        "a field over 131,072 characters": header + "1,2," + "1" * 131_073 + ",4\n",
        "measured value 1e300": valid + "2,2,1e300,2\n",
        "true value -1e300": valid + "-1e300,2,2,2\n",
        "NaN": valid + "2,2,nan,2\n",
        "infinity": valid + "2,2,inf,2\n",
        "empty": "",
        "header only": header,
        "wrong header": valid.replace("true_x", "x"),
        "byte order mark": "\ufeff" + valid,
        "three values": valid + "1,2,3\n",
        "odd header": "true_x,true_y,x1\n1,2,3\n",
        "a NUL byte": valid + "2,2,\x00,2\n",
        "quoted newline": valid + '2,2,"1\n2",2\n',
        "hexadecimal": valid + "2,2,0x10,2\n",
        "a million columns": "true_x,true_y," + ",".join(f"x{i},y{i}" for i in range(100_000)) + "\n",
    }
    special = {"UTF-16 text": _write(folder, "utf16.csv", valid.encode("utf-16")),
               "a pipe named plan.csv": _fifo(folder, "plan.csv"),
               "16 MiB + 1 byte": _sparse(folder, "huge.csv", 16 * 2**20 + 1)}
    palette = ["", "nan", "inf", "1e300", "-1e300", "1_000", "\uff11\uff12", " 1 ", "1e-400", '"', "\x00", "abc", "1" * 200]
    mutants = []
    for _ in range(40):
        table = [list(map(str, row)) for row in rows]
        row = rng.choice(table)
        action = rng.random()
        if action < 0.7:
            row[rng.randrange(4)] = rng.choice(palette)
        elif action < 0.85:
            row.append(rng.choice(palette))
        else:
            row.pop()
        mutants.append(header + "".join(",".join(cells) + "\n" for cells in table))
    cases = _file_cases(folder, "measured_csv", "csv", "load_measured_csv", train, hand, special, mutants)
    # A readable file, but too few fixes to train: the loader accepts it, the CLI must refuse it.
    path = _write(folder, "seven-fixes.csv", header + "1,1,1,1\n" * 7)
    cases += [Case("measured_csv", "seven fixes of one point", "load_measured_csv", path=str(path), must_refuse=False),
              Case("measured_csv", "seven fixes of one point", "cli", argv=(*train, str(path)))]
    # Ranges per anchor, read by material calibration.
    range_header = "true_x,true_y,range_1,range_2,range_3\n"
    range_valid = range_header + "2,2,2.9,7.9,12.6\n9,4,6.4,3.4,6.8\n15,6,11.8,5.7,6.0\n"
    calibrate = ("calibrate", "uwb_hall", "--measured")
    ranges = {
        "ranges: a negative range": range_valid + "4,4,-1,2,3\n",
        "ranges: columns out of order": range_valid.replace("range_2,range_3", "range_3,range_2"),
        "ranges: 101 columns": "true_x,true_y," + ",".join(f"range_{k}" for k in range(1, 102)) + "\n",
        "ranges: four anchors' ranges for three anchors": "true_x,true_y,range_1,range_2,range_3,range_4\n2,2,3,8,12,5\n",
        "ranges: infinity": range_valid + "4,4,inf,2,3\n",
        "ranges: an empty true position": range_valid + ",4,1,2,3\n",
        "ranges: a point 100 km away": range_valid + "1e5,1e5,1,2,3\n",
        "ranges: nothing measured at all": range_header + "2,2,,,\n",
    }
    # Well-formed files the loader reads: only the calibration can tell they do not fit the scene.
    readable = {"ranges: four anchors' ranges for three anchors", "ranges: a point 100 km away",
                "ranges: nothing measured at all"}
    for index, (name, text) in enumerate(ranges.items()):
        path = _write(folder, f"ranges-{index:03d}.csv", text)
        cases += [Case("measured_csv", name, "cli", argv=(*calibrate, str(path))),
                  Case("measured_csv", name, "load_measurements", path=str(path), must_refuse=name not in readable)]
    # The as-built check reads an installation sheet and an as-built file the same way.
    sheet_header = "name,x_m,y_m,z_m\n"
    good_built = _write(folder, "built.csv", sheet_header + "A1,3.8,0.1,2\nA2,9.4,7.1,2\nA3,14.4,0.2,2\n")
    plans = {
        "plan: header only": sheet_header,
        "plan: a pipe": None,
        "plan: a field over 131,072 characters": sheet_header + "A1,1,2," + "3" * 131_073 + "\n",
        "plan: coincident anchors": sheet_header + "A1,3,3,2\nA2,3,3,2\nA3,3,3,2\n",
        "plan: an anchor at y = 1e9": sheet_header + "A1,3.8,1e9,2\nA2,9.4,7.2,2\nA3,14.4,0.1,2\n",
        "plan: coordinate 1e308": sheet_header + "A1,1e308,0,2\nA2,9.4,7.2,2\nA3,14.4,0.1,2\n",
        "plan: not UTF-8": b"name,x_m,y_m,z_m\n\xff\xfe,1,2,3\n",
    }
    for index, (name, text) in enumerate(plans.items()):
        path = _fifo(folder, "plan-pipe.csv") if text is None else _write(folder, f"plan-{index}.csv", text)
        cases.append(Case("measured_csv", name, "cli",
                          argv=("as-built", "uwb_hall", "--resolution", "2", "--plan", str(path), "--as-built", str(good_built))))
    return cases


# ----------------------------------------------------------------------------- checkpoints

def _checkpoints(folder: Path, rng: random.Random) -> list[Case]:
    import torch

    from twinloc.learn.models import create_model
    from twinloc.learn.trainer import save_checkpoint

    good = folder / "good.pt"
    save_checkpoint(good, create_model("mitigation_net"), provenance={"measured": {"kind": "measured"}, "virtual": {}},
                    extra={"errors": {"los": {"raw": 0.1, "nn": 0.05}}, "samples": {"virtual": 10},
                           "history": {"pretrain": {"train_loss": [1.0], "validation_loss": [1.1]}}})
    payload = torch.load(good, weights_only=True)
    state = payload["state_dict"]
    unfolding: Any = [0]
    for _ in range(40):
        unfolding = [unfolding, unfolding]

    def kwargs(**changes) -> dict:
        return {**payload, "kwargs": {**payload["kwargs"], **changes}}

    objects = {
        "hidden [30000, 30000, 16]": kwargs(hidden=[30000, 30000, 16]),
        "side 1,000,000": kwargs(side=1_000_000),
        "channels of a billion": kwargs(channels=[10**9, 1, 1]),
        "side -2": kwargs(side=-2),
        "hidden as text": kwargs(hidden="64,32,16"),
        "an unknown setting": kwargs(depth=3),
        "settings a list": {**payload, "kwargs": [16, 2]},
        "no settings": {k: v for k, v in payload.items() if k != "kwargs"},
        "no weights": {k: v for k, v in payload.items() if k != "state_dict"},
        "weights a list": {**payload, "state_dict": list(state.values())},
        "a weight renamed": {**payload, "state_dict": {f"x{k}": v for k, v in state.items()}},
        "whole-number weights": {**payload, "state_dict": {k: v.to(torch.int64) for k, v in state.items()}},
        "NaN weights": {**payload, "state_dict": {k: v * float("nan") for k, v in state.items()}},
        "a weight of a number": {**payload, "state_dict": {**state, "expand.0.weight": 1.5}},
        "unknown architecture": {**payload, "architecture": "transformer"},
        "architecture a number": {**payload, "architecture": 7},
        "version 2": {**payload, "version": 2},
        "provenance a list": {**payload, "provenance": [1, 2]},
        "metadata unfolding to 2**40 values": {**payload, "extra": {"history": unfolding}},
        "errors as text": {**payload, "extra": {"errors": {"los": {"raw": "10 cm"}}}},
        "history a list": {**payload, "extra": {"history": {"pretrain": [1, 2]}}},
        "sample count as text": {**payload, "extra": {"samples": {"virtual": "many"}}},
        "measured kind a number": {**payload, "provenance": {"measured": {"kind": 3}}},
        "three outputs": None,
        "a list": [payload],
        "a tensor": torch.zeros(3),
    }
    cases: list[Case] = []
    for index, (name, content) in enumerate(objects.items()):
        path = folder / f"{index:03d}.pt"
        if content is None:
            save_checkpoint(path, create_model("linear", inputs=16, outputs=3))
        else:
            torch.save(content, path)
        cases.append(Case("checkpoint", name, "load_mitigation_model", path=str(path)))
    torch.save({"format": "twinloc-model", "code": zipfile.ZipInfo("x")}, folder / "pickled-object.pt")
    torch.save(payload, folder / "legacy.pt", _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(folder / "compressed.pt", "w", zipfile.ZIP_DEFLATED) as target:
        for record in source.infolist():
            target.writestr(record.filename, source.read(record))
    content = good.read_bytes()
    files = {
        "a pickled Python object": folder / "pickled-object.pt",
        "the legacy (non-zip) format": folder / "legacy.pt",
        "compressed records": folder / "compressed.pt",
        "truncated to half": _write(folder, "half.pt", content[: len(content) // 2]),
        "truncated to 100 bytes": _write(folder, "head.pt", content[:100]),
        "empty": _write(folder, "empty.pt", b""),
        "text": _write(folder, "text.pt", "not a model"),
        "a pipe": _fifo(folder, "pipe.pt"),
        "33 MiB": _sparse(folder, "huge.pt", 33 * 2**20),
    }
    cases += [Case("checkpoint", name, "load_mitigation_model", path=str(path)) for name, path in files.items()]
    for index, mutant in enumerate(_byte_mutants(content, rng, 25)):
        path = _write(folder, f"mutant-{index:03d}.pt", mutant)
        cases.append(Case("checkpoint", f"byte mutant {index}", "load_mitigation_model", path=str(path), must_refuse=False))
    return cases


# ----------------------------------------------------------------------------- training data

def _training_data(folder: Path, rng: random.Random) -> list[Case]:
    provenance = {"kind": "virtual", "scene": "uwb_hall", "scene_hash": "0" * 64, "anchors": [[3.8, 0.0, 2.0], [9.4, 7.2, 2.0]],
                  "tag_height_m": 1.0, "resolution_m": 0.5, "groups": 2, "seed": 0,
                  "ranging": {"los_mean_m": 0.02, "los_std_m": 0.03, "nlos_mean_m": 0.1, "nlos_std_m": 0.15,
                              "incidence_correction": False}}
    count = 6
    arrays = {"inputs": np.linspace(0, 1, count * 16).reshape(count, 16), "true": np.ones((count, 2)),
              "nlos": np.arange(count) % 2 == 0, "point": np.arange(count, dtype=np.int64) // 2,
              "provenance": np.array(json.dumps(provenance))}

    def file(name: str, **changes) -> Path:
        path = folder / name
        np.savez_compressed(path, **{k: v for k, v in {**arrays, **changes}.items() if v is not None})
        return path

    def with_provenance(**changes) -> np.ndarray:
        return np.array(json.dumps({**provenance, **changes}))

    bomb = _write(folder, "bomb.npz", zeros_npz(15))
    # A header that claims 10**12 samples in front of six real ones.
    lie = io.BytesIO()
    with zipfile.ZipFile(lie, "w") as archive:
        for name, value in arrays.items():
            data = io.BytesIO()
            np.save(data, value)
            if name == "inputs":
                data = io.BytesIO(_npy_header("<f8", (10**12, 16)) + value.tobytes())
            archive.writestr(f"{name}.npy", data.getvalue())
    cases = [Case("training_data", "2.4 GB of compressed zeros", "load_dataset", path=str(bomb)),
             Case("training_data", "a header claiming 10**12 samples", "load_dataset",
                  path=str(_write(folder, "lying-header.npz", lie.getvalue())))]
    hand = {
        "no inputs": file("no-inputs.npz", inputs=None),
        "15 numbers a sample": file("narrow.npz", inputs=np.zeros((count, 15))),
        "counts differ": file("counts.npz", true=np.zeros((count - 1, 2))),
        "object arrays (a pickle)": None,
        "float cell numbers": file("float-points.npz", point=np.zeros(count)),
        "negative cell number": file("negative.npz", point=-np.ones(count, dtype=np.int64)),
        "cell number 2**62": file("far-cell.npz", point=np.full(count, 2**62, dtype=np.int64)),
        "NaN inputs": file("nan.npz", inputs=np.full((count, 16), np.nan)),
        "provenance not JSON": file("prov-text.npz", provenance=np.array("{")),
        "provenance nested 100,000 deep": file("prov-deep.npz", provenance=np.array("[" * 100_000 + "]" * 100_000)),
        "provenance with a 5000-digit number": file("prov-bigint.npz", provenance=np.array('{"seed": 1' + "0" * 5000 + "}")),
        "provenance of 5 million characters": file("prov-long.npz", provenance=np.array('"' + "x" * 5_000_000 + '"')),
        "provenance numbers": file("prov-numbers.npz", provenance=np.zeros(3)),
        "anchors as text": file("anchors-text.npz", provenance=with_provenance(anchors="A1")),
        "anchors a dict": file("anchors-dict.npz", provenance=with_provenance(anchors={"A1": [1, 2, 3]})),
        "a million groups": file("groups.npz", provenance=with_provenance(groups=10**6)),
        "resolution 1e-9": file("resolution.npz", provenance=with_provenance(resolution_m=1e-9)),
        "ranging as text": file("ranging.npz", provenance=with_provenance(ranging="default")),
        "ranging with text": file("ranging-text.npz", provenance=with_provenance(ranging={"los_std_m": "x"})),
    }
    np.savez(folder / "objects.npz", **{**arrays, "nlos": np.array([None] * count, dtype=object)})
    hand["object arrays (a pickle)"] = folder / "objects.npz"
    content = file("good.npz").read_bytes()
    npy = io.BytesIO()
    np.save(npy, np.zeros(4))
    hand.update({
        "truncated": _write(folder, "half.npz", content[: len(content) // 2]),
        "empty": _write(folder, "empty.npz", b""),
        "a .npy, not a .npz": _write(folder, "array.npz", npy.getvalue()),
        "a pipe": _fifo(folder, "pipe.npz"),
        "1 GiB + 1 byte": _sparse(folder, "huge.npz", 2**30 + 1),
    })
    cases += [Case("training_data", name, "load_dataset", path=str(path)) for name, path in hand.items()]
    for name, path in (("Fortran order", file("fortran.npz", inputs=np.asfortranarray(arrays["inputs"]))),
                       ("float32 inputs", file("float32.npz", inputs=arrays["inputs"].astype(np.float32))),
                       ("big-endian inputs", file("big-endian.npz", inputs=arrays["inputs"].astype(">f8")))):
        cases.append(Case("training_data", name, "load_dataset", path=str(path), must_refuse=False))
    for index, mutant in enumerate(_byte_mutants(content, rng, 20)):
        path = _write(folder, f"mutant-{index:03d}.npz", mutant)
        cases.append(Case("training_data", f"byte mutant {index}", "load_dataset", path=str(path), must_refuse=False))
    for index, text in enumerate(_json_mutants(provenance, rng, 15)):
        path = file(f"prov-mutant-{index:03d}.npz", provenance=np.array(text))
        cases.append(Case("training_data", f"provenance mutant {index}", "load_dataset", path=str(path), must_refuse=False))
    return cases


# ----------------------------------------------------------------------------- scene descriptors

def _valid_scene() -> dict:
    return {
        "format": "twinloc-scene", "version": 1, "name": "fuzz room", "units": "m",
        "materials": {"concrete": {"preset": "concrete"}, "foam": {"relative_permittivity": 1.1, "thickness_m": 0.05}},
        "objects": [
            {"name": "floor", "kind": "surface", "material": "concrete", "primitive": {"type": "plane", "size": [6, 4]},
             "transform": {"translation": [3, 2, 0]}},
            {"name": "wall", "kind": "surface", "material": "foam",
             "primitive": {"type": "wall", "start": [0, 0], "end": [6, 0], "height": 2.5}},
            {"name": "cabinet", "kind": "solid", "material": "metal", "primitive": {"type": "box", "size": [1, 0.6, 1.8]},
             "transform": {"translation": [4, 3, 0.9], "rotation_deg": [0, 0, 30]}},
            {"name": "pillar", "kind": "solid", "material": "concrete",
             "primitive": {"type": "cylinder", "radius": 0.2, "height": 2.5, "sections": 12},
             "transform": {"translation": [1, 3, 1.25]}},
        ],
        "regions": [{"name": "room", "type": "evaluation", "polygon": [[0, 0], [6, 0], [6, 4], [0, 4]]},
                    {"name": "band", "type": "mounting", "polyline": [[0, 0], [6, 0]], "z_range_m": [2, 2.4]}],
        "tag_height_m": 1.0,
        "anchors": [{"name": "A1", "position": [0.1, 0.1, 2.2]}, {"name": "A2", "position": [5.9, 0.1, 2.2]},
                    {"name": "A3", "position": [3, 3.9, 2.2]}],
    }


def _scene_json(folder: Path, rng: random.Random) -> list[Case]:
    valid = _valid_scene()

    def with_object(**changes) -> str:
        scene = copy.deepcopy(valid)
        scene["objects"][3] = {**scene["objects"][3], **changes}
        return _json_text(scene)

    def with_primitive(**changes) -> str:
        return with_object(primitive={**valid["objects"][3]["primitive"], **changes})

    _fifo(folder, "pipe.obj")
    many = copy.deepcopy(valid)
    many["objects"] = [{"name": f"panel {i}", "kind": "surface", "material": "concrete",
                        "primitive": {"type": "plane", "size": [0.1, 0.1]},
                        "transform": {"translation": [0.1 * (i % 60), 0.1 * (i // 60) % 4, 0]}} for i in range(30_000)]
    hand = {
        "cylinder of 1e8 sections": with_primitive(sections=10**8),
        "cylinder of 3.5 sections": with_primitive(sections=3.5),
        "cylinder of -1 sections": with_primitive(sections=-1),
        "box of 1e308": with_object(primitive={"type": "box", "size": [1e308, 1, 1]}),
        "translation 1e308": with_object(transform={"translation": [1e308, 0, 0]}),
        "scale 0": with_object(transform={"scale": 0}),
        "scale 1e-308": with_object(transform={"scale": 1e-308}),
        "rotation NaN": with_object(transform={"rotation_deg": ["<NaN>", 0, 0]}),
        "anchor at 1e308": _json_text({**valid, "anchors": [{"name": "A", "position": [1e308, 0, 1]}]}),
        "anchor enabled the text false": _json_text({**valid, "anchors": [{"name": "A", "position": [1, 1, 2],
                                                                           "enabled": "false"}]}),
        "an anchor name twice": _json_text({**valid, "anchors": [{"name": "A", "position": [1, 1, 2]},
                                                                 {"name": "A", "position": [2, 1, 2]}]}),
        "anchor name of 100,000 characters": _json_text({**valid, "anchors": [{"name": "A" * 100_000, "position": [1, 1, 2]}]}),
        "tag height 1e308": _json_text({**valid, "tag_height_m": 1e308}),
        "30,000 objects": json.dumps(many),
        "mesh path to the password file": with_object(primitive=None, mesh="../../../../../../etc/passwd"),
        "mesh path to /dev/zero as .stl": with_object(primitive=None, mesh="/dev/zero/x.stl"),
        "mesh path to a pipe": with_object(primitive=None, mesh="pipe.obj"),
        "mesh path to a folder": with_object(primitive=None, mesh="."),
        "mesh path missing": with_object(primitive=None, mesh="nowhere.obj"),
        "duplicate object names": with_object(name="floor"),
        "unknown preset": _json_text({**valid, "materials": {"x": {"preset": "unobtainium"}}}),
        "permittivity as text": _json_text({**valid, "materials": {"foam": {"relative_permittivity": "high"}}}),
        "thickness -1": _json_text({**valid, "materials": {"foam": {"relative_permittivity": 2, "thickness_m": -1}}}),
        "version of 400 digits": _json_text({**valid, "version": "<1" + "0" * 400 + ">"}),
        "nested 200,000 deep": _json_text({**valid, "description": "<" + "[" * 200_000 + "]" * 200_000 + ">"}),
        "newer version": _json_text({**valid, "version": 2}),
        "no objects": _json_text({**valid, "objects": []}),
        "region of one point": _json_text({**valid, "regions": [{"name": "r", "type": "evaluation", "polygon": [[0, 0]]}]}),
        "empty": "",
        "a list": "[]",
    }
    special = {"a pipe named x.json": _fifo(folder, "x.json"),
               "UTF-16 text": _write(folder, "utf16.json", _json_text(valid).encode("utf-16"))}
    return _file_cases(folder, "scene_json", "json", "open_source", ("scene", "info"), hand, special,
                       _json_mutants(valid, rng, 50), may_pass=("30,000 objects",))


# ----------------------------------------------------------------------------- meshes

def _meshes(folder: Path, rng: random.Random) -> list[Case]:
    import trimesh

    cases: list[Case] = []
    scene_info = ("scene", "info")
    box = trimesh.creation.box((2.0, 1.0, 0.5))
    valid = {suffix: box.export(file_type=suffix) for suffix in ("obj", "ply", "stl", "glb")}
    valid = {suffix: content.encode() if isinstance(content, str) else content for suffix, content in valid.items()}
    triangle = "v 0 0 0\nv 1 0 0\nv 0 1 0\n"
    glb_json = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"children": [0]}]}
    hand: dict[str, tuple[str, bytes | str]] = {
        "OBJ: empty": ("obj", ""),
        "OBJ: comments only": ("obj", "# nothing\n"),
        "OBJ: two coordinates": ("obj", "v 1 2\nv 1 2\nv 1 2\nf 1 2 3\n"),
        "OBJ: NaN vertices": ("obj", "v nan nan nan\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"),
        "OBJ: vertex at 1e308": ("obj", "v 1e308 1e308 0\nv -1e308 0 0\nv 0 1e308 0\nf 1 2 3\n"),
        "OBJ: face index 99,999,999": ("obj", triangle + "f 1 2 99999999\n"),
        "OBJ: face index 0": ("obj", triangle + "f 0 0 0\n"),
        "OBJ: negative face index beyond": ("obj", triangle + "f -5 -6 -7\n"),
        "OBJ: material library outside": ("obj", "mtllib ../../../../etc/passwd\n" + triangle + "f 1 2 3\n"),
        "OBJ: 20,000 groups": ("obj", "".join(f"o part{i}\nv {i} 0 0\nv {i} 1 0\nv {i} 0 1\nf -3 -2 -1\n" for i in range(20_000))),
        "PLY: claims 10**9 vertices (ascii)": ("ply", "ply\nformat ascii 1.0\nelement vertex 1000000000\nproperty float x\n"
                                                      "property float y\nproperty float z\nend_header\n0 0 0\n"),
        "PLY: claims 10**9 vertices (binary)": ("ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 1000000000\n"
                                                       b"property float x\nproperty float y\nproperty float z\nend_header\n"
                                                       + bytes(12)),
        "PLY: claims 4e9 faces": ("ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
                                         b"property float y\nproperty float z\nelement face 4000000000\n"
                                         b"property list uchar int vertex_indices\nend_header\n" + bytes(36) + b"\x03" + bytes(12)),
        "PLY: header only": ("ply", "ply\nformat ascii 1.0\nend_header\n"),
        "STL: claims 4e9 triangles": ("stl", bytes(80) + struct.pack("<I", 4_000_000_000) + bytes(50)),
        "STL: header only": ("stl", bytes(84)),
        "STL: ascii with NaN": ("stl", "solid x\nfacet normal 0 0 1\nouter loop\nvertex nan 0 0\nvertex 1 0 0\n"
                                       "vertex 0 1 0\nendloop\nendfacet\nendsolid x\n"),
        "STL: ascii garbage": ("stl", "solid x\n" + "garbage\n" * 100),
        "GLB: bad magic": ("glb", b"glTX" + bytes(20)),
        "GLB: JSON chunk claims 4 GB": ("glb", b"glTF" + struct.pack("<II", 2, 32) + struct.pack("<I", 0xFFFFFFF0) + b"JSON{}"),
        "GLB: node cycle": ("glb", _glb(glb_json)),
        "GLB: accessor of 10**9 vertices": ("glb", _glb({
            "asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
            "accessors": [{"bufferView": 0, "componentType": 5126, "count": 10**9, "type": "VEC3"}],
            "bufferViews": [{"buffer": 0, "byteLength": 36}], "buffers": [{"byteLength": 36}]}, bytes(36))),
        "GLB: buffer outside the file": ("glb", _glb({
            "asset": {"version": "2.0"}, "buffers": [{"byteLength": 10, "uri": "../../../../etc/passwd"}]})),
        "GLB: node of 10,000 levels": ("glb", _glb({"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}],
                                                   "nodes": [{"children": [i + 1]} for i in range(9_999)] + [{}]})),
    }
    for index, (name, (suffix, content)) in enumerate(hand.items()):
        path = _write(folder, f"{index:03d}.{suffix}", content)
        _cli_and_loader(cases, "mesh", name, path, "open_source", scene_info,
                        must_refuse=name not in ("OBJ: 20,000 groups", "OBJ: material library outside"))
    for suffix in valid:
        _cli_and_loader(cases, "mesh", f"a pipe named x.{suffix}", _fifo(folder, f"pipe.{suffix}"), "open_source", scene_info)
        for index, mutant in enumerate(_byte_mutants(valid[suffix], rng, 12)):
            path = _write(folder, f"mutant-{index:03d}.{suffix}", mutant)
            _cli_and_loader(cases, "mesh", f"{suffix} mutant {index}", path, "open_source", None, must_refuse=False)
    return cases


def _glb(document: dict, binary: bytes = b"") -> bytes:
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<I", len(text)) + b"JSON" + text
    if binary:
        binary += bytes(-len(binary) % 4)
        chunks += struct.pack("<I", len(binary)) + b"BIN\x00" + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks


# ----------------------------------------------------------------------------- Mitsuba XML

_MITSUBA = """<scene version="2.1.0">
  <default name="spp" value="4"/>
  <bsdf type="itu-radio-material" id="wall_mat">
    <string name="type" value="concrete"/>
    <float name="thickness" value="{thickness}"/>
  </bsdf>
  <shape type="cube" id="block">
    <transform name="to_world">{transform}</transform>
    <ref id="wall_mat" name="bsdf"/>
  </shape>
  <shape type="{shape}" id="{shape_id}">
    <string name="filename" value="{filename}"/>
    <ref id="wall_mat" name="bsdf"/>
  </shape>
</scene>
"""


def _mitsuba(folder: Path, rng: random.Random) -> list[Case]:
    import trimesh

    (folder / "meshes").mkdir()
    trimesh.creation.box((2.0, 1.0, 0.5)).export(folder / "meshes" / "box.ply")
    _write(folder / "meshes", "bomb.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 1000000000\n"
                                          b"property float x\nproperty float y\nproperty float z\nend_header\n" + bytes(12))
    _fifo(folder / "meshes", "pipe.ply")
    fields = {"thickness": "0.2", "transform": '<scale value="2"/><translate x="1" y="2" z="1"/>', "shape": "ply",
              "shape_id": "box", "filename": "meshes/box.ply"}

    def variant(**changes) -> str:
        return _MITSUBA.format(**{**fields, **changes})

    laughs = ('<?xml version="1.0"?>\n<!DOCTYPE scene [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
              + ']>\n<scene version="2.1.0"><default name="x" value="&j;"/></scene>\n')
    hand = {
        "thickness as text": variant(thickness="thick"),
        "thickness -1": variant(thickness="-1"),
        "thickness NaN": variant(thickness="nan"),
        "thickness 1e308": variant(thickness="1e308"),
        "matrix of 15 numbers": variant(transform='<matrix value="' + " ".join(["1"] * 15) + '"/>'),
        "matrix with NaN": variant(transform='<matrix value="nan 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1"/>'),
        "scale 0": variant(transform='<scale value="0"/>'),
        "translate 1e308": variant(transform='<translate x="1e308" y="0" z="0"/>'),
        "rotate by text": variant(transform='<rotate x="1" angle="ninety"/>'),
        "rotate about no axis": variant(transform='<rotate angle="90"/>'),
        "mesh outside the folder": variant(filename="../../../../../../etc/passwd"),
        "mesh is /dev/zero": variant(filename="/dev/zero"),
        "mesh is a pipe": variant(filename="meshes/pipe.ply"),
        "mesh is a folder": variant(filename="meshes"),
        "mesh missing": variant(filename="meshes/none.ply"),
        "mesh claims 10**9 vertices": variant(filename="meshes/bomb.ply"),
        "shape type sphere": variant(shape="sphere"),
        "shape without id": variant(shape_id=""),
        "external entity (XXE)": ('<?xml version="1.0"?>\n<!DOCTYPE scene [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                                  + variant(filename="&e;")),
        "billion laughs": laughs,
        "a default naming itself": variant().replace('<default name="spp" value="4"/>',
                                                     '<default name="a" value="$a"/>').replace('value="2"', 'value="$a"'),
        "unknown radio material": variant().replace('value="concrete"', 'value="itu_very_dry_ground"'),
        "nested 100,000 deep": "<scene>" + "<a>" * 100_000 + "</a>" * 100_000 + "</scene>",
        "not XML": "{}",
        "empty": "",
        "another root": "<html/>",
    }
    return _file_cases(folder, "mitsuba", "xml", "open_source", ("scene", "info"), hand,
                       {"a pipe named x.xml": _fifo(folder, "x.xml")}, _byte_mutants(variant().encode(), rng, 25),
                       may_pass=("shape without id",))


# ----------------------------------------------------------------------------- CLI options

def _cli_options(folder: Path, rng: random.Random) -> list[Case]:
    """Options a user can mistype or push too far; each must be one line and exit status 2."""
    hall_anchors = "3.8,0,2;9.4,7.2,2;14.4,0.1,2"
    fast = ("--resolution", "2")
    commands = {
        "paths with tx = rx": ("paths", "uwb_hall", "--tx", "5,4,1.5", "--rx", "5,4,1.5"),
        "errormap with 2 anchors": ("errormap", "uwb_hall", "--anchors", "3.8,0,2;9.4,7.2,2", *fast),
        "errormap 3D with 3 anchors": ("errormap", "uwb_hall", "--dimensions", "3", "--anchors", hall_anchors, *fast),
        "an anchor at y = 1e9": ("errormap", "uwb_hall", "--anchors", "3.8,1e9,2;9.4,7.2,2;14.4,0.1,2", *fast),
        "tag height above the ceiling": ("errormap", "uwb_hall", "--tag-height", "50", *fast),
        "a UE at (-50, -50)": ("locate", "industrial_hall", "--ue=-50,-50,1"),
        "seed -1": ("errormap", "uwb_hall", "--mc", "2", "--seed", "-1", *fast),
        "seed 2**80": ("evaluate-rrt", "industrial_hall", "--drops", "1", "--rays", "10", "--seed", str(2**80)),
        "iterations 1e30": ("optimize", "uwb_hall", "--anchors", "3", "--iterations", "1e30", *fast),
        "population 10,000,000": ("optimize", "uwb_hall", "--anchors", "3", "--population", "10000000",
                                  "--iterations", "1", *fast),
        "groups 1,000,000": ("train-mitigation", "uwb_hall", "--groups", "1000000", "--epochs", "1", *fast),
        "anchors 0": ("optimize", "uwb_hall", "--anchors", "0", *fast),
        "anchors 10**9": ("optimize", "uwb_hall", "--anchors", str(10**9), "--iterations", "1", *fast),
        "top 0": ("optimize", "uwb_hall", "--anchors", "3", "--top", "0", "--iterations", "1", *fast),
        "min distance -1": ("optimize", "uwb_hall", "--anchors", "3", "--min-distance", "-1", *fast),
        "unknown region": ("optimize", "uwb_hall", "--anchors", "3", "--regions", "nowhere", "--iterations", "1", *fast),
        "fixed of two numbers": ("optimize", "uwb_hall", "--anchors", "3", "--fixed", "1,2", *fast),
        "monte carlo -1": ("errormap", "uwb_hall", "--mc", "-1", *fast),
        "monte carlo 10**9": ("errormap", "uwb_hall", "--mc", str(10**9), *fast),
        "refine -1": ("errormap", "uwb_hall", "--refine", "-1", *fast),
        "refine 10**6": ("errormap", "uwb_hall", "--refine", str(10**6), *fast),
        "resolution 0": ("errormap", "uwb_hall", "--resolution", "0"),
        "resolution nan": ("errormap", "uwb_hall", "--resolution", "nan"),
        "resolution 1e-9": ("los", "uwb_hall", "--resolution", "1e-9"),
        "anchors empty": ("errormap", "uwb_hall", "--anchors", "", *fast),
        "anchors of two numbers": ("errormap", "uwb_hall", "--anchors", "1,2", *fast),
        "anchors NaN": ("errormap", "uwb_hall", "--anchors", "nan,1,2", *fast),
        "anchors 1e400": ("errormap", "uwb_hall", "--anchors", "1e400,1,2", *fast),
        "rays 5": ("evaluate-rrt", "industrial_hall", "--rays", "5"),
        "rays 10**7": ("evaluate-rrt", "industrial_hall", "--rays", str(10**7)),
        "drops 0": ("evaluate-rrt", "industrial_hall", "--drops", "0"),
        "bounces 100": ("evaluate-rrt", "industrial_hall", "--bounces", "100"),
        "mode 4d": ("evaluate-rrt", "industrial_hall", "--mode", "4d"),
        "aoa sigma -1": ("locate", "industrial_hall", "--ue", "4,9,1", "--aoa-sigma", "-1"),
        "max depth 99": ("paths", "uwb_hall", "--tx", "1,1,1", "--rx", "5,5,1", "--max-depth", "99"),
        "tx of text": ("paths", "uwb_hall", "--tx", "here", "--rx", "5,5,1"),
        "epochs 0": ("train-mitigation", "uwb_hall", "--epochs", "0"),
        "time limit 0": ("train-mitigation", "uwb_hall", "--time-limit", "0"),
        "time limit NaN": ("train-mitigation", "uwb_hall", "--time-limit", "nan"),
        "split none": ("train-mitigation", "uwb_hall", "--split", "none"),
        "save into a missing folder": ("train-mitigation", "uwb_hall", "--save", "/no/such/folder/m.pt", "--epochs", "1", *fast),
        "out into a missing folder": ("los", "uwb_hall", "--out", "/no/such/folder/los.csv", *fast),
        "fine spacing 0": ("survey-plan", "uwb_hall", "--fine", "0"),
        "unknown verb": ("teleport", "uwb_hall"),
        "unknown option": ("errormap", "uwb_hall", "--colour", "red"),
        "no scene": ("errormap",),
        "a scene name misspelt": ("scene", "info", "uwb_hal"),
        "a scene of an unknown type": ("scene", "info", str(_write(folder, "scene.docx", "not a scene"))),
        "a scene in a missing folder": ("scene", "info", "/no/such/folder/scene.json"),
        "a scene that is a folder": ("scene", "info", str(folder)),
        "an empty scene name": ("scene", "info", ""),
        "a NUL in a path": ("scene", "info", "scene\x00.json"),
        "a path of 10,000 characters": ("scene", "info", "x" * 10_000 + ".json"),
    }
    return [Case("cli_options", name, "cli", argv=argv) for name, argv in commands.items()]


_BUILDERS = {
    "project": _projects, "autosave": _autosave, "measured_csv": _measured, "checkpoint": _checkpoints,
    "training_data": _training_data, "scene_json": _scene_json, "mesh": _meshes, "mitsuba": _mitsuba,
    "cli_options": _cli_options,
}


if __name__ == "__main__":
    corpus = build_corpus(Path(sys.argv[1]))
    for input_class in INPUT_CLASSES:
        chosen = [case for case in corpus if case.input_class == input_class]
        print(f"{input_class:14s} {len(chosen):4d} cases")
    print(f"{'total':14s} {len(corpus):4d} cases")
