"""Issue 11: the reference library's notes say in words where data came from — never a path on a machine."""

from __future__ import annotations

import re
from pathlib import Path

import dualcarbon.reference

REFERENCE = Path(dualcarbon.reference.__file__).parent
#: a local path given as a source: /work/…, /tmp/…, /home/…, /root/… (a web address's path is not one)
MACHINE_PATH = re.compile(r"(?<![\w.:/])/(?:work|tmp|home|root|mnt|var)/")


def test_no_note_names_a_machine_path():
    found = [
        f"{path.name}:{n}: {line.strip()[:80]}"
        for path in sorted(REFERENCE.iterdir())
        if path.suffix in {".md", ".csv", ".txt"}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MACHINE_PATH.search(line)
    ]
    assert found == []


def test_the_pattern_finds_a_machine_path_and_not_a_web_address():
    assert MACHINE_PATH.search("values read from /work/research/fuels.md")
    assert MACHINE_PATH.search("(see /tmp/notes.txt)")
    assert not MACHINE_PATH.search("reprint: http://www.hfyfsb.com/industry/elec/3596.html")
    assert not MACHINE_PATH.search("max.book118.com/html/2020/1123/8133103033003020.shtm")
