"""Count the import edges between the layers of docs/architecture.md: ``python scripts/layer_edges.py``.

Prints, for every pair of top-level packages of ``dualcarbon`` with direct imports between them, the number of
importing lines, marks each edge down (allowed) or UP (a violation), and ends with the count of upward edges;
exits 1 when there is any. The layer order is read from the layers contract in pyproject.toml, so this script
and ``lint-imports`` agree on what "up" means (lint-imports also follows indirect chains).
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def layer_order() -> dict[str, int]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    order: dict[str, int] = {}
    for rank, line in enumerate(reversed(layers)):  # lowest layer = 0
        for name in line.split("|"):
            order[name.strip()] = rank
    return order


def package_of(module: str, order: dict[str, int]) -> str | None:
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        name = ".".join(parts[:n])
        if name in order:
            return name
    return None


def main() -> int:
    order = layer_order()
    graph = grimp.build_graph("dualcarbon")
    edges: Counter[tuple[str, str]] = Counter()
    for importer in graph.modules:
        src = package_of(importer, order)
        if src is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            dst = package_of(imported, order)
            if dst is None or dst == src:
                continue
            edges[(src, dst)] += len(graph.get_import_details(importer=importer, imported=imported)) or 1
    up = 0
    for (src, dst), n in sorted(edges.items(), key=lambda e: (-order[e[0][0]], -order[e[0][1]])):
        direction = "down" if order[src] > order[dst] else ("sibling" if order[src] == order[dst] else "UP")
        up += n if direction != "down" else 0
        print(f"{src:24} -> {dst:24} {n:4}  {direction}")
    print(f"\nimport lines going up (or across siblings): {up}")
    return 1 if up else 0


if __name__ == "__main__":
    sys.exit(main())
