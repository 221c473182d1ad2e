"""Every link in the repository's documents points inside the repository (a clone has nothing
beside it), and every relative link resolves to a file that is there."""

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = "../" + "shared"  # spelled in two pieces so that this file does not match itself
LINK = re.compile(r"\]\(([^)\s]+)\)|(?:src|href)=\"([^\"]+)\"")


def _tracked(*suffixes):
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
        paths = [ROOT / p for p in out]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        paths = [p for p in ROOT.rglob("*") if ".git" not in p.parts]
    return [p for p in paths if p.suffix in suffixes and p.is_file()]


def _text(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":  # the cells' sources; outputs may quote anything
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    return text


def test_nothing_refers_to_files_beside_the_repository():
    bad = [str(p.relative_to(ROOT)) for p in _tracked(".md", ".ipynb", ".py", ".toml", ".sh", ".txt")
           if OUTSIDE in p.read_text(encoding="utf-8", errors="replace")]
    assert not bad, f"these files refer to {OUTSIDE}, which a clone does not have: {bad}"


def test_every_relative_link_resolves_inside_the_repository():
    bad = []
    for path in _tracked(".md", ".ipynb"):
        for match in LINK.finditer(_text(path)):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if not target or re.match(r"[a-z]+:", target):  # anchors and web (https:) links
                continue
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                bad.append(f"{path.relative_to(ROOT)}: {target}")
    assert not bad, f"links that do not resolve inside the repository: {bad}"
