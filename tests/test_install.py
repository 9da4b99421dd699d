"""A non-editable install (``pip install .``) finds the shipped scenes and resources."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("uwb_hall", "industrial_hall", "office_floor", "wifi_hall", "sector_hall")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """TwinLoc installed from a copy of the source tree into a fresh prefix (no dependencies)."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("app", "scenes", "resources"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    prefix = work / "prefix"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed", "--prefix", str(prefix), str(source)],
        check=True,
        capture_output=True,
    )
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    return prefix, site_packages


def test_the_installed_package_reads_its_scenes_and_materials_from_share(installed):
    prefix, site_packages = installed
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import twinloc, twinloc._paths as paths\n"
        "from twinloc.geometry.loaders import load_scene\n"
        "from twinloc.geometry.materials import material_presets\n"
        "print(twinloc.__file__); print(paths.scenes_dir()); print(paths.resources_dir())\n"
        f"print(sorted(len(load_scene(name).objects) > 0 for name in {SHIPPED!r}))\n"
        "print(material_presets()['concrete'].relative_permittivity)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe, str(site_packages)], cwd=prefix, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    package_file, scenes, resources, loaded, concrete = completed.stdout.splitlines()
    assert Path(package_file).is_relative_to(site_packages)
    assert Path(scenes) == prefix / "share" / "twinloc" / "scenes"
    assert Path(resources) == prefix / "share" / "twinloc" / "resources"
    assert loaded == str([True] * len(SHIPPED))
    assert float(concrete) > 1.0
    assert (prefix / "share" / "twinloc" / "resources" / "twinloc.qss").is_file()
    assert sorted(p.stem for p in (prefix / "share" / "twinloc" / "scenes").glob("*.json")) == sorted(
        p.stem for p in (ROOT / "scenes").glob("*.json")
    )
