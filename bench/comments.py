"""Comment share: how many lines carry a comment, per package, against the lines that carry code.

A comment line is a line with a `#` comment on it (alone or after code); a code line is a non-blank line that is
neither a comment alone nor part of a docstring (a string literal standing as a statement). Docstrings are left out
on both sides: they say what a thing is, comments say why it is done this way, and it is the second this counts.
Packages are the top-level folders given (by default the project's own); a sub-package is reported on its own line
when `--deep` is given. Pure counting, no timing: the figure is the same on any machine.

    .venv/bin/python -m bench.comments [--json] [--deep] [package ...]
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_DEFAULT_PACKAGES = ("policies", "provenance", "safety", "generator", "review_ui", "bench")


@dataclass(frozen=True)
class FileCount:
    """Comment and code lines of one source file."""

    comment_lines: int
    code_lines: int


def _docstring_lines(tree: ast.AST) -> set[int]:
    """Line numbers covered by string literals standing as statements (docstrings, attribute docs)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            end = node.end_lineno or node.lineno
            lines.update(range(node.lineno, end + 1))
    return lines


def count_source(source: str) -> FileCount:
    """Count the comment lines and code lines of one module's text."""
    docstrings = _docstring_lines(ast.parse(source))
    comments: set[int] = set()
    code: set[int] = set()
    # Tokens that carry no code of their own: a line holding only these (and a comment) is a comment line.
    layout = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments.add(token.start[0])
        elif token.type not in layout:
            # A token may span lines (a triple-quoted string inside code): every line it covers is code.
            for line in range(token.start[0], token.end[0] + 1):
                if line not in docstrings:
                    code.add(line)
    return FileCount(comment_lines=len(comments), code_lines=len(code))


def _package_of(path: Path, deep: bool) -> str:
    parts = path.relative_to(_ROOT).parts[:-1]
    return ".".join(parts if deep else parts[:1])


def measure(packages: list[str], deep: bool) -> dict[str, dict[str, float]]:
    """Per package: comment lines, code lines, and the share (comment lines / code lines, in percent)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for package in packages:
        for path in sorted((_ROOT / package).rglob("*.py")):
            if "migrations" in path.parts and path.name != "__init__.py":
                # Migration scripts are generated-style DDL; counting them would dilute the figure for no reader.
                continue
            counted = count_source(path.read_text(encoding="utf-8"))
            entry = totals[_package_of(path, deep)]
            entry[0] += counted.comment_lines
            entry[1] += counted.code_lines
    report: dict[str, dict[str, float]] = {}
    for name in sorted(totals):
        comment_lines, code_lines = totals[name]
        share = 100.0 * comment_lines / code_lines if code_lines else 0.0
        report[name] = {"comment_lines": comment_lines, "code_lines": code_lines, "share_pct": round(share, 2)}
    all_comments = sum(v[0] for v in totals.values())
    all_code = sum(v[1] for v in totals.values())
    report["total"] = {
        "comment_lines": all_comments,
        "code_lines": all_code,
        "share_pct": round(100.0 * all_comments / all_code, 2) if all_code else 0.0,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("packages", nargs="*", default=list(_DEFAULT_PACKAGES))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--deep", action="store_true", help="one line per sub-package")
    args = parser.parse_args(argv)
    report = measure(args.packages, args.deep)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'package':<28} {'comments':>9} {'code':>7} {'share':>7}")
    for name, row in report.items():
        print(f"{name:<28} {row['comment_lines']:>9} {row['code_lines']:>7} {row['share_pct']:>6.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
