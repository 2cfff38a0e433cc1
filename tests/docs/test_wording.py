"""User-facing text names the course notes by title, never by file.

The course notes are the ECE 417 exam review (files 000 and 001, the same lecture), CMU 16-785
(Deep Learning Basics, file 002) and the CS231n notes (file 003).  Calling them "seed 000" or
"(seeds 002, 003)" reads, to a student, as the random seed of a problem, so none of the text a
user sees may do it: the bank files, every family's prompt and worked solution, the help texts
and the docs.  Random seeds ("seed 3", "--seed 417", "30 seeds per family") are fine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nncheck.cli.app import app

ROOT = Path(__file__).resolve().parents[2]

#: Ways of naming a notes file instead of its title.
NOTES_AS_FILES = [
    re.compile(r"\bseeds?\s*\(?0\d\d\b", re.IGNORECASE),      # seed 000, (seeds 002, 003), Seed 000/001
    re.compile(r"\b00[0-3]/00[0-3]\b"),                        # 000/001
    re.compile(r"\bthe seeds?'", re.IGNORECASE),              # the seed's formula, the seeds' notation
    re.compile(r"\bseed[- ](?:exams?|reviews?|topics?|notes?|notation|lectures?|derivations?)\b", re.IGNORECASE),
    re.compile(r"\b(?:of|in|from|follows?) the seeds\b", re.IGNORECASE),
    re.compile(r"\b(?:as|where) the seeds? (?:writes?|puts?|does|do|teach(?:es)?)\b", re.IGNORECASE),
    re.compile(r"""(?:^|; |source:\s*["']?)00[0-3]\b""", re.IGNORECASE),  # a source led by a file number
]

runner = CliRunner()


def offences(text: str) -> list[str]:
    """The lines of ``text`` that name a notes file, numbered."""
    return [f"{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
            if any(p.search(line) for p in NOTES_AS_FILES)]


def cli(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.output


def test_the_patterns_tell_notes_from_random_seeds() -> None:
    named_by_file = [
        "An LSTM runs for T = 2 steps (ECE 417 notation, seed 000):",
        "standard (seeds 002, 003): h[t] = o[t]·tanh c[t]",
        "Seed 000/001, \"Recurrent Neural Net\"",
        "--exam  The seed exam's layout: 8-10 problems",
        "ε sits inside the square root as the seed writes it",
        "the ECE 417 notation of the seeds",
        "Backward pass, t = T down to 1 (seed 000's recursion):",
        "| seed topic | families |",
        '    source: "000 Intersection over union (IOU)"',
        "ECE 417 exam review; 002 BPTT slide",
    ]
    random_seeds = [
        "backprop.two-layer · seed 1  Forward pass",
        "$ nncheck generate --seed 417 -n 3 -o hw1",
        "wrote 4 files to hw1/ (3 problems, 8 answers, seed 417):",
        "bank verify: 30 seeds per family",
        "loss.ce · seed 733788  Cross-entropy with one-hot targets",
        "Quiz summary (seed 9: 'nncheck quiz --seed 9' asks the same problems)",
        "each with fresh numbers (a seed you have not been given before)",
        "| answer length | 4,000 characters |",
    ]
    assert all(offences(t) for t in named_by_file), [t for t in named_by_file if not offences(t)]
    assert not any(offences(t) for t in random_seeds), [t for t in random_seeds if offences(t)]


def _files(*patterns: str) -> list[Path]:
    return sorted({p for pat in patterns for p in ROOT.glob(pat)})


@pytest.mark.parametrize("path", _files("problems/*.yaml", "docs/examples/*.yaml", "README.md", "docs/**/*.md"),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_bank_files_and_docs(path: Path) -> None:
    found = offences(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} names course notes by file:\n" + "\n".join(found)


def test_help_texts() -> None:
    import typer.main

    texts = {"nncheck/cli/_help.txt": (ROOT / "nncheck" / "cli" / "_help.txt").read_text(encoding="utf-8"),
             "nncheck --help": cli("--help")}
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        texts[f"nncheck {name} --help"] = cli(name, "--help")
        for sub in getattr(cmd, "commands", {}) or {}:
            texts[f"nncheck {name} {sub} --help"] = cli(name, sub, "--help")
    assert len(texts) > 10
    found = [f"{where}: {o}" for where, text in texts.items() for o in offences(text)]
    assert not found, "help texts name course notes by file:\n" + "\n".join(found)


def _families() -> list[dict]:
    from nncheck.bank.index import load_catalog

    return [{"id": r["id"], "params": r.get("params") or {}} for r in load_catalog(use_cache=False).records]


def test_family_list() -> None:
    rows = json.loads(cli("list", "--json"))
    assert len(rows) >= 30
    found = [f"{r['id']}: {o}" for r in rows for o in offences(json.dumps(r, ensure_ascii=False))]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("family", _families(), ids=lambda f: f["id"])
def test_prompts_and_worked_solutions(family: dict) -> None:
    """The prompt at a few seeds and with every choice of each choice parameter, and a worked solution."""
    fid = family["id"]
    texts = {f"show {fid} --seed {s}": cli("show", fid, "--seed", str(s)) for s in (1, 2, 3)}
    texts[f"show {fid} --json"] = cli("show", fid, "--seed", "1", "--json")
    for name, spec in family["params"].items():
        if isinstance(spec, dict) and spec.get("type") == "choice":
            for choice in spec.get("choices") or []:
                # A choice may not fit the other drawn numbers: then it is refused in one line (skipped here).
                texts[f"show {fid} {name}={choice}"] = cli("show", fid, f"{name}={choice}")
    texts[f"solve {fid} --seed 1"] = cli("solve", fid, "--seed", "1")
    assert any(fid in t for t in texts.values())
    found = [f"{where}: {o}" for where, text in texts.items() for o in offences(text)]
    assert not found, f"{fid} names course notes by file:\n" + "\n".join(found)
