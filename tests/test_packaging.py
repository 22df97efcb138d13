"""What `pip install` gets: a wheel that ships every sub-package and runs, and runtime dependencies that are
exactly what funnel imports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "funnel"


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel pip builds from a copy of the sources (building in place would leave build/ in the tree)."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copytree(PACKAGE, source / "funnel", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
                            str(tmp_path / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("funnel-*.whl")
    return wheel


def test_the_wheel_ships_every_sub_package_and_funnel_check_runs_from_it(tmp_path):
    wheel = _build_wheel(tmp_path)
    packages = sorted(path.parent.relative_to(REPO).as_posix() + "/__init__.py"
                      for path in PACKAGE.rglob("__init__.py") if "__pycache__" not in path.parts)
    assert len(packages) > 5  # funnel and its layers
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in packages if name not in names] == []
    assert "funnel/data/schema.yaml" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                                "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run([str(python), "-c", "import funnel; print(funnel.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the installed copy, not the sources
    checked = subprocess.run([str(venv / "bin" / "funnel"), "check", "--root", str(REPO), "--format", "json"],
                             cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert [problem["severity"] for problem in json.loads(checked.stdout)] == ["warning"]


def _imported_top_names() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", text, re.M))
    return found


def test_the_runtime_dependencies_are_exactly_what_funnel_imports():
    """`pip install -e .` installs only what funnel imports: each runtime requirement of pyproject.toml is
    imported somewhere in funnel/ (an unused one fails here), and the dropped ones stay dropped."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = [re.match(r"[A-Za-z0-9_.\-]+", spec).group(0) for spec in project["dependencies"]]
    providers = metadata.packages_distributions()  # import name → distributions that provide it
    imported = _imported_top_names()
    for requirement in required:
        names = {name for name, dists in providers.items()
                 if any(dist.lower().replace("_", "-") == requirement.lower().replace("_", "-") for dist in dists)}
        assert names & imported, f"{requirement} is a runtime dependency but funnel never imports it"
    for dropped in ("ruamel.yaml", "tabulate", "python-frontmatter"):
        assert dropped not in required
    assert {"ruamel", "tabulate", "frontmatter"} & imported == set()  # funnel's own imports are relative
    assert "python-frontmatter>=1.0" in project["optional-dependencies"]["bench"]
