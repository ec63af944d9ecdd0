"""Source distributions of other projects, for running their test suites on pertinax.

An sdist is downloaded from PyPI once into `.ci/cache/` (git-ignored) and checked against
its SHA-256; only the parts a runner asks for are unpacked.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / ".ci" / "cache"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(project: str, version: str, sha256: str, cache_dir: Path = CACHE) -> Path:
    """The cached sdist of `project==version`, downloaded with pip when absent or corrupt."""
    name = f"{project.replace('-', '_')}-{version}.tar.gz"
    path = cache_dir / name
    if path.is_file() and sha256_of(path) == sha256:
        return path
    if path.exists():
        print(f"sdist: cached {name} has the wrong hash; downloading it again", flush=True)
        path.unlink()
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"sdist: downloading {project} {version} into {cache_dir}", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            f"{project}=={version}",
            "-d",
            str(cache_dir),
        ],
        check=True,
    )
    actual = sha256_of(path)
    if actual != sha256:
        raise SystemExit(f"sdist: {path} has SHA-256 {actual}, expected {sha256}")
    return path


def extract(sdist: Path, dest: Path, keep: Callable[[str], bool]) -> list[str]:
    """Unpacks the regular files whose path inside the sdist's top folder `keep` accepts,
    under `dest` with that top folder dropped; returns their paths."""
    written = []
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar.getmembers():
            top, _, relative = member.name.partition("/")
            if not member.isfile() or not relative or not keep(relative):
                continue
            if relative.startswith("/") or ".." in Path(relative).parts:
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            written.append(relative)
    return written


def run_pytest(
    who: str, python: str | Path, args: list[str], cwd: Path, pythonpath: Path | None = None
) -> int:
    """Runs `python -m pytest args` in `cwd` (with `pythonpath` as PYTHONPATH) and returns its
    exit status; "no tests collected" (pytest's 5) counts as a failure."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([str(python), "-m", "pytest", *args], cwd=cwd, env=env, check=False)
    if done.returncode == 5:
        print(f"{who}: pytest collected no tests: treating that as a failure", flush=True)
        return 1
    return done.returncode
