"""Hostile inputs (issue 17): bounded time and memory, one clear line, nothing damaged.

One test per mechanism, each over the inputs that attacked it: files that are not regular
files, YAML and JSON that nest, hide NULs or surrogates, or carry numbers of 100,000 digits,
bank sizes and numbers the schema caps, draws budgeted by time, sizes that follow from the
user's values, the catalogue's limits and its cache keyed on content, and commands that must
not overwrite what they read.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from shared_helpers import one_line_error, run

from nncheck.bank import compile as bank_compile
from nncheck.bank import index
from nncheck.cli.cmd_bank import STARTER
from nncheck.errors import BankError, NNCheckError, ParamError
from nncheck.generate import variant
from nncheck.generate.variant import MAX_ENTRIES, make_variant
from nncheck.paths import FileTooLarge, NotRegularFile, read_regular

FEW_SECONDS = 5.0  # wall clock for a refusal; the machine may be busy with other tests
ENTRY = "answers:\n- id: conv.param-count\n  seed: 4\n  part: biases\n  answer: {}\n"


def starter(replace: dict[str, str] | None = None) -> str:
    """The bank 'nncheck bank new' writes (valid as written), with some of its text replaced."""
    text = STARTER.format(id="demo.neuron", topic="demo", bank="demo", path="demo.yaml", dir=".")
    for old, new in (replace or {}).items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


BIAS = "b: {type: integer, min: -5, max: 5, doc: bias, draw: {range: [-3, 3]}}"
WEIGHTS = ("w: {type: vector, length: 2, entries: integer, min: -3, max: 3, doc: weights,\n"
           "          draw: {range: [-3, 3], shape: [2]}}")


def timed(fn, *args, seconds: float = FEW_SECONDS):
    """Run ``fn`` in a thread and fail if it has not returned within ``seconds`` (a blocking read
    must fail the test, not hold the run); returns its result."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{getattr(fn, '__name__', fn)}{args!r} still running after {seconds:g} s"
    if "error" in box:
        raise box["error"]
    assert time.monotonic() - started < seconds
    return box.get("value")


# ----------------------------------------------------------------------------
# Only regular files are read: a named pipe would block, a device never end.
# ----------------------------------------------------------------------------
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")


@needs_fifo
def test_read_regular_refuses_pipes_devices_and_directories(tmp_path):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    for path, what in ((fifo, "a named pipe"), (tmp_path, "a directory"), (os.devnull, "a device")):
        with pytest.raises(NotRegularFile, match=what):
            timed(read_regular, str(path), 1000)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(FileTooLarge) as e:
        read_regular(str(big), 1000)
    assert (e.value.size, e.value.limit) == (1001, 1000)
    assert read_regular(str(big), 1001) == b"x" * 1001


@needs_fifo
@pytest.mark.parametrize("command", [["grade"], ["derive"], ["bank", "validate"], ["bank", "test"]])
def test_commands_refuse_a_named_pipe_at_once(tmp_path, command):
    fifo = tmp_path / ("p.txt" if command == ["derive"] else "p.yaml")
    os.mkfifo(fifo)
    one_line_error(timed(run, *command, fifo), str(fifo), "named pipe, not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="/dev/zero")
def test_grade_refuses_a_device():
    one_line_error(timed(run, "grade", "/dev/zero"), "/dev/zero", "a device, not a regular file")


@needs_fifo
def test_a_pipe_in_a_bank_directory_is_skipped_with_one_warning(tmp_path):
    (tmp_path / "ok.yaml").write_text(starter(), encoding="utf-8")
    os.mkfifo(tmp_path / "zz.yaml")
    result = timed(run, "list", "--bank", tmp_path)
    assert result.exit_code == 0 and "demo.neuron" in result.stdout
    warnings = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(warnings) == 1 and "zz.yaml" in warnings[0] and "named pipe" in warnings[0]


# ----------------------------------------------------------------------------
# YAML and JSON: nesting, NULs, surrogates and huge numbers are one line, with the line.
# ----------------------------------------------------------------------------
HOSTILE_FILES = [
    ("flow.yaml", "[" * 3000 + "]" * 3000, ["flow.yaml:1", "nested too deeply", "64 levels"]),
    ("block.yaml", "".join("  " * i + f"k{i}:\n" for i in range(1500)) + "  " * 1500 + "v\n",
     ["block.yaml:", "nested too deeply"]),
    ("value.yaml", ENTRY.format("[" * 1500 + "]" * 1500), ["value.yaml:5", "nested too deeply"]),
    ("value65.yaml", ENTRY.format("[" * 65 + "]" * 65), ["value65.yaml:5", "nested too deeply"]),
    ("value.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": ' + "[" * 3000 + "]" * 3000
     + "}]", ["value.json", "nested too deeply"]),
    ("value65.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": ' + "[" * 65 + "]" * 65
     + "}]", ["value65.json", "nested too deeply"]),
    ("nul.yaml", ENTRY.format('"1\x002"').encode(), ["nul.yaml:5", "NUL character (U+0000)"]),
    ("nulesc.yaml", ENTRY.format('"1\\02"'), ["nulesc.yaml:5", "NUL character"]),
    ("nulu.yaml", ENTRY.format('"1\\u00002"'), ["nulu.yaml:5", "NUL character"]),
    ("nul.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": "1\\u00002"}]',
     ["nul.json", "NUL character"]),
    ("bell.yaml", ENTRY.format('"\\a"'), ["bell.yaml:5", "control character (U+0007)"]),
    ("int.yaml", ENTRY.format("1" * 100_000), ["int.yaml:5", "100,000 characters is too long"]),
    ("float.yaml", ENTRY.format("1" * 5000 + ".5"), ["float.yaml:5", "too long"]),
    ("int.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": ' + "1" * 100_000 + "}]",
     ["int.json", "100,000 characters is too long"]),
    ("sur.yaml", ENTRY.format('"\\ud800"'), ["sur.yaml:5", "lone surrogate (U+D800)"]),
    ("sur.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": "\\ud800"}]',
     ["sur.json", "lone surrogate"]),
    ("surkey.json", '[{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": 1, "\\udc00": 2}]',
     ["surkey.json", "lone surrogate"]),
]


@pytest.mark.parametrize("json_", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(("name", "text", "fragments"), HOSTILE_FILES, ids=[c[0] for c in HOSTILE_FILES])
def test_hostile_answer_files_are_one_line(tmp_path, name, text, fragments, json_):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    args = ["grade", path] + (["--json"] if json_ else [])
    line = one_line_error(timed(run, *args), *fragments)
    assert "\\u" not in line and "Traceback" not in line


@pytest.mark.parametrize(("name", "text", "fragments"), [
    ("deep.yaml", starter({"description: A starter bank written by 'nncheck bank new'.":
                             "description: " + "[" * 2000 + "]" * 2000}), ["deep.yaml:6", "nested too deeply"]),
    ("nul.yaml", starter({"title: Forward pass of one ReLU neuron": "title: Forward\x00pass"}).encode(),
     ["nul.yaml:9", "NUL character"]),
    ("esc.yaml", starter({"title: Forward pass of one ReLU neuron": 'title: "Forward\\0pass"'}),
     ["esc.yaml:9", "NUL character"]),
    ("int.yaml", starter({"difficulty: 1": "difficulty: " + "9" * 100_000}), ["int.yaml:12", "too long"]),
    ("sur.yaml", starter({"title: Forward pass of one ReLU neuron": 'title: "\\udfff"'}),
     ["sur.yaml:9", "lone surrogate"]),
], ids=["deep", "nul", "escaped-nul", "huge-int", "surrogate"])
def test_hostile_bank_files_are_one_line(tmp_path, name, text, fragments):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    one_line_error(timed(run, "bank", "validate", path), *fragments)


# ----------------------------------------------------------------------------
# The bank schema caps what a bank may declare, with the line and field.
# ----------------------------------------------------------------------------
SCHEMA_CAPS = [
    ("range-inf-nan", {BIAS: "b: {type: number, doc: bias, draw: {range: [-.inf, .nan]}}"},
     ["draw.range", "finite number; got -inf"]),
    ("range-inf", {BIAS: "b: {type: number, doc: bias, draw: {range: [0, .inf]}}"}, ["finite number; got inf"]),
    ("range-huge", {BIAS: "b: {type: number, doc: bias, draw: {range: [0, 1.0e+300]}}"}, ["within ±10^15"]),
    ("weights-negative", {BIAS: "b: {type: integer, doc: bias, draw: {choice: [1, 2], weights: [-1, -2]}}"},
     ["draw.weights", "≥ 0; got -1"]),
    ("weights-zero", {BIAS: "b: {type: integer, doc: bias, draw: {choice: [1, 2], weights: [0, 0]}}"},
     ["must not all be 0"]),
    ("step-zero", {BIAS: "b: {type: number, doc: bias, draw: {range: [-3, 3], step: 0}}"},
     ["draw.step", "step must be positive"]),
    ("min-nan", {BIAS: "b: {type: integer, min: .nan, max: 5, doc: bias, draw: {range: [-3, 3]}}"},
     [".min", "finite number; got nan"]),
    ("default-inf", {BIAS: "b: {type: number, doc: bias, default: .inf}"}, [".default", "got inf"]),
    ("choice-nan", {BIAS: "b: {type: number, doc: bias, draw: {choice: [.nan, 1]}}"}, ["draw.choice", "got nan"]),
    ("shape-1e8", {WEIGHTS: "w: {type: vector, doc: weights, draw: {range: [-3, 3], shape: [100000000]}}"},
     ["draw.shape", "between 1 and 1,000; got 100,000,000"]),
    ("shape-20000x20000", {WEIGHTS: "w: {type: matrix, doc: weights, draw: {range: [-3, 3], shape: [20000, 20000]}}"},
     ["draw.shape", "got 20,000"]),
    ("shape-product", {WEIGHTS: "w: {type: matrix, doc: weights, draw: {range: [-3, 3], shape: [1000, 1000]}}"},
     ["draw.shape", "1,000,000 entries; the limit is 1,000"]),
    ("length-1e8", {"w: {type: vector, length: 2,": "w: {type: vector, length: 100000000,"},
     [".length", "got 100,000,000"]),
    ("rows-cols", {WEIGHTS: "w: {type: matrix, rows: 1000, cols: 1000, doc: weights, default: [[1]]}"},
     ["rows × cols asks for 1,000,000 entries"]),
]


@pytest.mark.parametrize(("name", "replace", "fragments"), SCHEMA_CAPS, ids=[c[0] for c in SCHEMA_CAPS])
def test_bank_schema_caps(tmp_path, name, replace, fragments):
    path = tmp_path / f"{name}.yaml"
    path.write_text(starter(replace), encoding="utf-8")
    for command in (["bank", "validate"], ["bank", "test"]):
        line = one_line_error(timed(run, *command, path), f"{name}.yaml:", *fragments)
        assert "families[0].params" in line


# ----------------------------------------------------------------------------
# Drawing: budgeted by time as well as by count; sizes and magnitudes checked as drawn.
# ----------------------------------------------------------------------------
def _record(tmp_path, text: str):
    path = tmp_path / "b.yaml"
    path.write_text(text, encoding="utf-8")
    data, lines = bank_compile.load_yaml(str(path))
    (record,) = bank_compile.compile_bank_data(data, lines, str(path))
    return record


def test_draws_stop_after_their_time_budget(tmp_path, monkeypatch):
    # 1,000 distinct entries from 500 values: no draw can succeed, and each costs 1,000 entries.
    record = _record(tmp_path, starter({WEIGHTS: (
        "w: {type: vector, entries: integer, doc: weights, draw: {range: [1, 500], shape: [1000], distinct: true}}"),
        "xi: dot(w, x) + b": "xi: b", "answer: dot(w, x) + b": "answer: b", 'formula: {xi: "dot(w, x)", h: '
        '"relu(dot(w, x))"}': 'formula: {xi: "b + 1", h: "relu(b + 1)"}'}))
    monkeypatch.setattr(variant, "MAX_DRAW_SECONDS", 0.3)
    started = time.monotonic()
    with pytest.raises(BankError, match=r"tried [\d,]+ draws in 0.3 s") as e:
        make_variant(record, 1)
    assert time.monotonic() - started < 0.3 + 1.0
    assert "cannot satisfy its bounds" in e.value.line()


def test_a_shape_named_by_a_parameter_is_capped_when_drawn(tmp_path):
    record = _record(tmp_path, starter({
        BIAS: "b: {type: integer, min: -5, max: 5, doc: bias, draw: {range: [-3, 3]}}\n"
                                "      n: {type: integer, doc: size, draw: {choice: [2000]}}",
        WEIGHTS: "w: {type: vector, entries: integer, doc: weights, draw: {range: [-3, 3], "
                                   "shape: [n]}}"}))
    with pytest.raises(ParamError, match="the shape 2,000 has 2,000 entries; the limit is 1,000"):
        timed(make_variant, record, 1)


def test_user_values_over_the_entry_limit_are_refused(catalog):
    long = "[" + ",".join(["1"] * (MAX_ENTRIES + 1)) + "]"
    with pytest.raises(ParamError, match=f"1,001 entries; the limit is {MAX_ENTRIES:,}"):
        make_variant(catalog.get("softmax.forward"), 1, {"z": long})
    one_line_error(run("show", "softmax.forward", f"z={long}"), "the limit is 1,000")


def test_drawn_numbers_beyond_the_magnitude_limit_are_a_bank_error(tmp_path):
    # A range written as formulas is exact, so 10^300 is drawn as it is: refused where drawn.
    record = _record(tmp_path, starter({BIAS: (
        'b: {type: integer, doc: bias, draw: {range: ["-10^300", "10^300"]}}')}))
    with pytest.raises(NNCheckError, match=r"drawing b fails: .*within ±10\^15"):
        make_variant(record, 1)


@pytest.mark.parametrize(("args", "fragments"), [
    # knn's draw hook sets N from the labels given: N's bound (100) holds for it too.
    (["knn.distance", "labels=[" + ",".join(["1"] * 150) + "]", "x=[1,2]"],
     ["N must be at most 100; got 150", "N, the number of training points,", "labels, x"]),
    (["knn.distance", "k=101"], ["k must be at most 100; got 101"]),
    (["knn.distance", "k=100000"], ["k must be at most 100"]),
    (["knn.distance", "k=1e9"], ["k must be at most 100"]),
    (["loss.bce", "y=[" + ",".join(["1"] * 40) + "]", "yhat=[" + ",".join(["0.5"] * 40) + "]"],
     ["n must be at most 32; got 40"]),
])
def test_sizes_that_follow_from_the_users_values_keep_their_bounds(args, fragments):
    one_line_error(timed(run, "show", *args), *fragments)


def test_a_constraint_failing_on_the_users_values_is_refused_at_once():
    # loss.mse's n×K comes from the y given: every draw fails the cap the same way.
    y = "[" + ";".join(",".join(["1"] * 9) for _ in range(9)) + "]"
    started = time.monotonic()
    one_line_error(timed(run, "show", "loss.mse", f"y={y}", f"yhat={y}"), "9×9", "at most 64 entries")
    assert time.monotonic() - started < 1.5  # far from the 2,000 draws or 2 s of a random search


@pytest.mark.parametrize("args", [["show", "optim.step", "grads=1e300"], ["solve", "optim.step", "grads=1e300"],
                                  ["show", "optim.step", "grads=[[1e300]]"], ["check", "optim.step", "grads=1e300",
                                                                              "--answer", "1"]])
def test_huge_user_numbers_are_one_line_on_every_path(args, capsys):
    from nncheck.cli import fast

    code = fast.run(args)
    if code is None:  # not a fast command: the Typer app
        one_line_error(run(*args), "within ±10^15")
    else:
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "within ±10^15" in err


# ----------------------------------------------------------------------------
# Command-line numbers: every option has a range, and a huge one is a usage line.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "fragment"), [
    (["bank", "verify", "--seeds", "1000000000000"], "less than or equal to 1000"),
    (["bank", "test", "--seeds", "1000001"], "less than or equal to 1000"),
    (["exam", "--minutes", "1e308"], "less than or equal to 1440"),
    (["exam", "--minutes", "inf"], "--minutes"),
    (["exam", "--minutes", "nan"], "--minutes"),
    (["show", "knn.distance", "--seed", "1" * 5000], "--seed"),
])
def test_out_of_range_options_are_one_line(args, fragment):
    started = time.monotonic()
    one_line_error(run(*args), fragment)
    assert time.monotonic() - started < FEW_SECONDS


def test_the_fast_front_end_hands_over_numbers_it_cannot_convert():
    from nncheck.cli import fast

    assert fast.run(["show", "knn.distance", "--seed", "1" * 5000]) is None  # not a ValueError


def test_a_seed_beyond_64_bits_is_one_line_in_a_quiz():
    one_line_error(run("quiz", "--seed", str(10**30), "-n", "1"), "too large to keep in the history")


# ----------------------------------------------------------------------------
# The catalogue: bounded however many banks are given; its cache is keyed on content.
# ----------------------------------------------------------------------------
def test_a_directory_of_too_many_bank_files_is_refused_at_once(tmp_path):
    for i in range(index.MAX_BANK_FILES + 1):
        (tmp_path / f"b{i:05d}.yaml").write_text("")
    started = time.monotonic()
    one_line_error(run("list", "--bank", tmp_path), f"{index.MAX_BANK_FILES + 1:,} bank files",
                   f"the limit is {index.MAX_BANK_FILES:,}")
    one_line_error(run("bank", "validate", tmp_path), "bank files")
    assert time.monotonic() - started < FEW_SECONDS


def test_too_many_families_are_refused_before_any_is_validated(tmp_path, monkeypatch):
    for i in range(3):
        (tmp_path / f"b{i}.yaml").write_text(starter().replace("demo.neuron", f"demo.n{i}"), encoding="utf-8")
    bundled = len(index.load_catalog().ids())
    monkeypatch.setattr(bank_compile, "MAX_FAMILIES", bundled + 2)

    def not_now(*args, **kwargs):
        raise AssertionError("a family was validated before the families were counted")

    monkeypatch.setattr(bank_compile, "compile_loaded", not_now)
    with pytest.raises(bank_compile.TooManyFamilies, match=f"more than {bundled + 2}") as e:
        index.load_catalog([str(tmp_path)], use_cache=False)
    assert e.value.file.endswith("b2.yaml")


def test_bank_bytes_together_are_capped_before_any_is_read(tmp_path, monkeypatch):
    for i in range(3):
        (tmp_path / f"b{i}.yaml").write_text(starter().replace("demo.neuron", f"demo.n{i}"), encoding="utf-8")
    bundled = sum(os.path.getsize(f) for f in index.bank_files([index.bundled_banks_dir()]))
    monkeypatch.setattr(index, "MAX_BANK_BYTES", bundled + 2 * len(starter().encode()) + 10)

    def not_now(*args, **kwargs):
        raise AssertionError("a bank file was read before the bytes were counted")

    monkeypatch.setattr(index, "read_regular", not_now)
    monkeypatch.setattr(bank_compile, "load_yaml", not_now)
    with pytest.raises(BankError, match="bytes together") as e:
        index.load_catalog([str(tmp_path)])
    assert e.value.file.endswith("b2.yaml")
    with pytest.raises(BankError, match="bytes together"):
        bank_compile.load_banks(index.bank_files([str(tmp_path)]), max_bytes=100)  # 'bank validate/test' too


def test_the_bank_cache_is_keyed_on_content(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(starter(), encoding="utf-8")
    assert index.load_catalog([str(tmp_path)]).get("demo.neuron")["title"] == "Forward pass of one ReLU neuron"
    st = os.stat(path)
    # The same size, and the old modification time put back: only the content tells.
    path.write_text(starter().replace("Forward pass", "Reverse pass"), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns
    assert index.load_catalog([str(tmp_path)]).get("demo.neuron")["title"] == "Reverse pass of one ReLU neuron"


# ----------------------------------------------------------------------------
# No command overwrites a file it read.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
def test_grade_report_onto_the_answer_file_is_refused(tmp_path, monkeypatch, how):
    answers = tmp_path / "a.yaml"
    answers.write_text(ENTRY.format(10), encoding="utf-8")
    before = answers.read_bytes()
    monkeypatch.chdir(tmp_path)
    report = {"same": answers, "relative": "./a.yaml"}.get(how)
    if how == "symlink":
        if sys.platform == "win32":
            pytest.skip("symbolic links")
        report = tmp_path / "r.md"
        os.symlink(answers, report)
    elif how == "hardlink":
        report = tmp_path / "r.md"
        os.link(answers, report)
    one_line_error(run("grade", answers, "--report", report), "--report", "would be overwritten")
    assert answers.read_bytes() == before
    assert run("grade", answers, "--report", tmp_path / "other.md").exit_code == 0
    assert answers.read_bytes() == before
