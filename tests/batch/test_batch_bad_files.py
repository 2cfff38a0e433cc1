"""Unusable answer files: one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import os

import pytest
from shared_helpers import one_line_error, run

GOOD = "- {id: conv.param-count, seed: 4, part: biases, answer: 10}\n"


@pytest.mark.parametrize("name, text, fragments", [
    ("empty.yaml", "", ["empty.yaml", "the answer file is empty"]),
    ("blank.yaml", "  \n\n", ["the answer file is empty"]),
    ("comments.yaml", "# nothing yet\n", ["the answer file is empty"]),
    ("none.yaml", "answers: []\n", ["no entries"]),
    ("empty.json", "", ["the answer file is empty"]),
    ("empty.csv", "", ["the answer file is empty"]),
    ("header.csv", "id,seed,part,answer\n", ["only a header"]),
    # Truncated files: cut in the middle of a structure.
    ("cut.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "ans', ["cut.json:1", "invalid JSON",
                                                                                  "truncated"]),
    ("cut.yaml", "- {id: conv.param-count, seed: 4, part: biases, answ", ["cut.yaml", "invalid YAML"]),
    ("cut2.yaml", 'answers:\n  - id: conv.param-count\n    seed: 4\n    part: "bia', ["cut2.yaml:4", "invalid YAML"]),
    ("cut.csv", "id,seed,part,answer\nconv.param-count,4,biases,10\nconv.param-count,4", ["cut.csv:3",
                                                                                          "truncated"]),
    ("cutq.csv", 'id,seed,part,answer\nconv.param-count,4,biases,"10', ["cutq.csv", "invalid CSV"]),
    # A generated file says how many problems it has.
    ("short.yaml", "set: {seed: 1, problems: 3}\nanswers:\n" + "  " + GOOD, ["short.yaml:1", "truncated",
                                                                             "3 problems"]),
    # Python tags and aliases.
    ("tag.yaml", "- !!python/object/apply:os.system ['echo hi']\n", ["tag.yaml:1", "not allowed"]),
    ("tag2.yaml", "answers: !!python/name:os.system\n", ["tag2.yaml:1", "not allowed"]),
    ("alias.yaml", "- &a {id: conv.param-count, seed: 4, part: biases, answer: 10}\n- *a\n",
     ["alias.yaml:1", "anchors"]),
    ("alias2.yaml", "answers:\n  - {id: conv.param-count, seed: 4, part: biases, answer: 10}\n  - *x\n",
     ["alias2.yaml:3", "aliases"]),
    # Wrong CSV headers.
    ("head.csv", "family_id,seed,part,answer\nconv.param-count,4,biases,10\n", ["head.csv:1", "wrong CSV header",
                                                                               "missing id"]),
    ("head2.csv", "id,seed,part,answer,grade\nconv.param-count,4,biases,10,1\n", ["wrong CSV header",
                                                                                  "unknown column 'grade'"]),
    ("head3.csv", "id;seed;part;answer\nconv.param-count;4;biases;10\n", ["wrong CSV header"]),
    # Not an answer file at all.
    ("scalar.yaml", "42\n", ["expected a list of answer entries"]),
    ("top.yaml", "answer:\n  - " + GOOD, ["unknown key 'answer' at the top level", "did you mean 'answers'"]),
    ("dup.yaml", "answers: []\nanswers: []\n", ["duplicate key 'answers'"]),
    ("dup.json", '{"answers": [], "answers": []}', ["duplicate key"]),
    ("bin.yaml", b"\xff\xfe\x00garbage", ["not valid UTF-8"]),
])
def test_unusable_files_exit_2_with_one_line(tmp_path, name, text, fragments):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    one_line_error(run("grade", p), *fragments)


def test_missing_file_and_directory(tmp_path):
    one_line_error(run("grade", tmp_path / "nope.yaml"), "cannot read answer file")
    one_line_error(run("grade", tmp_path), "is a directory")


def test_too_large_file(tmp_path):
    p = tmp_path / "big.yaml"
    with open(p, "w") as fh:
        fh.write("# " + "x" * 9_000_000 + "\n")
    one_line_error(run("grade", p), "too large")


def test_report_to_an_unwritable_place(tmp_path):
    f = tmp_path / "hw.yaml"
    f.write_text(GOOD, encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(run("grade", f, "--report", blocker / "report.md"), "cannot write to")
    if os.geteuid() != 0:  # root writes anywhere: only a real user sees permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        one_line_error(run("grade", f, "--report", ro / "report.md"), "cannot write to", "Permission denied")
