"""The README's "pieces" table matches the tree: a row for every top-level package, and every
file or folder a row names exists in that piece."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pieces() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## The pieces", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| `([a-z_]+)/` \| (.*) \|$", table, re.M)
    return dict(rows)


def tracked_dirs() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {f.split("/", 1)[0] for f in files if "/" in f and not f.startswith(".")}


def test_every_top_level_folder_has_a_row():
    assert set(pieces()) == tracked_dirs() - {"scripts", "static", "templates"}


def test_every_file_a_row_names_exists_in_its_piece():
    missing = []
    for piece, description in pieces().items():
        for name in re.findall(r"`([\w/]+\.(?:py|md)|[\w]+/)`", description):
            if "/" in name.rstrip("/") and (ROOT / name.split("/")[0]).is_dir():
                candidates = [ROOT / name]  # a path from the top
            else:
                candidates = [ROOT / piece / name, *(ROOT / piece).rglob(name.rstrip("/"))]
            if not any(path.exists() for path in candidates):
                missing.append(f"{piece}/{name}")
    assert missing == []
