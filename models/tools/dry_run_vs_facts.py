"""Compare the installer's dry run for every registry entry with a hub-facts file, line by line: each
repository, file path and commit the installer would request must be written in the facts.

    python models/tools/dry_run_vs_facts.py path/to/hub-facts.md [--out dry-run.txt]
"""

from __future__ import annotations

import argparse
import re
import sys
import urllib.parse
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from photosearch.models.plan import dry_run
from photosearch.models.registry import load_registry

BASE = "https://huggingface.co"


def check(facts: str) -> tuple[list[str], list[str]]:
    lines, problems = [], []
    for e in load_registry().models:
        for ln in dry_run(e, BASE):
            lines.append(ln)
            if not ln.startswith(("HEAD", "GET")):
                continue
            url = urllib.parse.unquote(ln.split()[1])
            m = re.match(
                rf"{BASE}/(?:api/models/)?([^/]+/[^/]+)/(resolve|revision|tree)/([^/?]+)/?([^?\s]*)", url
            )
            if not m:
                problems.append(f"unparsed: {ln}")
                continue
            repo, _kind, rev, path = m.groups()
            verdict = []
            verdict.append("repo ok" if repo in facts else "REPO NOT IN FACTS")
            if re.fullmatch(r"[0-9a-f]{40}", rev):
                verdict.append("commit ok" if rev in facts else "COMMIT NOT IN FACTS")
            if path and "<" not in path:
                verdict.append("path ok" if path in facts else "PATH NOT IN FACTS")
            lines.append(f"    -> {', '.join(verdict)}")
            if any(v.isupper() or "NOT" in v for v in verdict):
                problems.append(f"{e.id}: {ln} ({', '.join(verdict)})")
        lines.append("")
    return lines, problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("facts")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    lines, problems = check(Path(args.facts).read_text(encoding="utf-8"))
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    sys.stdout.write(f"{len(problems)} problem(s)\n" + "".join(p + "\n" for p in problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
