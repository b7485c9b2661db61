#!/usr/bin/env python3
"""Rewrites index.json from the case files (every id of every group)."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent
ids = []
for group in ["requests", "responses", "flows", "tokens"]:
    for path in sorted((root / group).glob("*.json")):
        case = json.loads(path.read_text())
        expected = f"{group}/{path.stem}"
        if case.get("id") != expected:
            raise SystemExit(f"{path}: id must be {expected!r}, is {case.get('id')!r}")
        ids.append(expected)
(root / "index.json").write_text(json.dumps({"ids": ids}, indent=1) + "\n")
print(f"{len(ids)} ids")
