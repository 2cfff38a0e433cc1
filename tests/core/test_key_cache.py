"""The key cache (nncheck/key/cache.py): a cached key grades exactly as a fresh one, without SymPy,
and whatever sits in the cache directory, a check never fails because of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from nncheck.cli.app import app
from nncheck.generate.variant import make_variant
from nncheck.key import cache
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds import get as kind
from nncheck.kinds.values import KeyNumber, flat_shape, float_or_inf, to_list
from nncheck.paths import bundled_banks_dir

SEEDS = (1, 2, 3, 4)
BANK_FILES = sorted(f for f in os.listdir(bundled_banks_dir()) if f.endswith((".yaml", ".yml")))
runner = CliRunner()


@pytest.fixture
def keys_dir(tmp_path, monkeypatch):
    """A key cache of the test's own (the catalogue's cache stays shared)."""
    monkeypatch.setattr(cache, "keys_dir", lambda: str(tmp_path / "keys"))
    return tmp_path / "keys"


# ----------------------------------------------------------------------------
# Answers to grade: the key's, wrong ones, rounded ones, each declared mistake's, a sign flip.
# ----------------------------------------------------------------------------
def _map(value, f):
    """``value`` (a number, or the rows of an array) with ``f`` applied to each entry."""
    value = to_list(value)
    if isinstance(value, list):
        return [_map(v, f) for v in value]
    return f(value)


def _decimal(digits: int):
    return lambda x: float(f"{float_or_inf(x):.{digits}g}")


def answers(key, part: str) -> list[str]:
    kp = key.parts[part]
    k = kind(kp.kind)
    out = [kp.answer_text(), "none", "1/0", "[1, 2"]
    if kp.kind == "boolean":
        return out + ["yes", "no"]
    if kp.kind == "choice":
        return out + [str(c) for c in kp.spec.get("choices", [])]
    for _, _, value in key.mistakes_for(part):
        out.append(k.text(value))
    if kp.exact is None:
        return out + ["0", "[0, 0]"]
    out.append(k.text(_map(kp.exact, lambda x: float_or_inf(x) * 1.37 + 0.11)))  # wrong
    out.append(k.text(_map(kp.exact, lambda x: -float_or_inf(x))))  # sign flipped
    if kp.kind == "integer":
        return out + [k.text(_map(kp.exact, lambda x: int(float_or_inf(x)) + 1))]
    for digits in (1, 2, 3, 4, 6):  # rounded: the feedback quotes the key's exact text and digits
        out.append(k.text(_map(kp.exact, _decimal(digits))))
    # Truncated (digits cut off): a named slip, decided on the key's 40 digits.
    out.append(k.text(_map(kp.exact, lambda x: float(int(float_or_inf(x) * 100) / 100))))
    return out


def carried_answers(key, part: str) -> list[tuple[dict[str, str], str]]:
    """(--given answers, answer) pairs: the inputs answered wrongly (their mistakes' values, or off by a
    factor), the part answered as the family's formulas give from them, so error carried forward applies."""
    inputs = key.carry_inputs(part)
    if not inputs:
        return []
    out = []
    for factors in ((1.5, 0.75, 1.25), (0.5, 1.25, 0.8)):  # unequal, so that a ratio of inputs moves too
        wrong = {n: _map(key.parts[n].numeric, lambda x, f=factors[i % 3]: float(x) * f)
                 for i, n in enumerate(inputs)}
        try:
            carried = key.variant.solver.carry(key.variant.params, dict(wrong)) or {}
        except Exception:  # noqa: BLE001 - the formulas cannot take these values: nothing to carry
            continue
        if carried.get(part) is None:
            continue
        given = {n: kind(key.parts[n].kind).text(_map(v, float)) for n, v in wrong.items()}
        out.append((given, kind(key.parts[part].kind).text(_map(carried[part], float))))
    return out


def _round_trip(key, variant_again):
    """The key as a later process reads it: written as JSON, read back against a fresh variant."""
    ident = "test identity"
    data = json.loads(json.dumps(cache.entry(key, ident)))
    path = cache.entry_path(ident)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    loaded = cache.load(variant_again, ident)
    assert loaded is not None
    return loaded


@pytest.mark.parametrize("bank_file", BANK_FILES)
def test_grading_from_the_cache_gives_the_fresh_keys_verdicts(bank_file, catalog, keys_dir):
    """Every family of every bundled bank × several seeds × the key's answer, wrong, rounded and
    mistaken answers (and error carried forward): the same verdict, feedback and details."""
    records = [r for r in catalog.records if os.path.basename(r["_file"]) == bank_file]
    assert records, bank_file
    compared = 0
    closed_forms = 0
    for rec in records:
        for seed in SEEDS:
            fresh = answer_key(make_variant(rec, seed, {}))
            cached = _round_trip(fresh, make_variant(rec, seed, {}))
            for spec in fresh.variant.parts:
                name = spec["name"]
                storable = spec["kind"] in cache.STORED_KINDS and not spec.get("symbols")
                # Every numeric, yes/no and choice part is stored: the test cannot pass by storing nothing.
                assert (name in cached.stored) == storable, (rec["id"], seed, name)
                if not storable:
                    continue
                closed_forms += sum(isinstance(x, KeyNumber) for x in flat_shape(cached.parts[name].exact)[0])
                for text in answers(fresh, name):
                    a, b = grade(fresh, name, text).to_json(), grade(cached, name, text).to_json()
                    assert a == b, (rec["id"], seed, name, text)
                    compared += 1
                for given, text in carried_answers(fresh, name):
                    a = grade(fresh, name, text, given).to_json()
                    b = grade(cached, name, text, given).to_json()
                    assert a == b, (rec["id"], seed, name, given, text)
                    compared += 1
    assert compared >= 10 * len(records) or all(
        all(p["kind"] in ("expression", "derivation") for p in r["parts"]) for r in records)
    if bank_file in ("rnn.yaml", "softmax.yaml", "losses.yaml"):
        assert closed_forms, "these banks' keys hold closed forms (exp, ln): the KeyNumber path must be exercised"


def test_carried_forward_answers_are_exercised(catalog, keys_dir):
    """The equivalence above includes error carried forward (it is not vacuous)."""
    key = answer_key(make_variant(catalog.get("detection.iou"), 2, {}))
    assert carried_answers(key, "IoU")
    given, text = carried_answers(key, "IoU")[0]
    cached = _round_trip(key, make_variant(catalog.get("detection.iou"), 2, {}))
    verdict = grade(cached, "IoU", text, given)
    assert verdict.status == "correct" and verdict.carried_forward


# ----------------------------------------------------------------------------
# The values: what encode writes is what decode gives, and nothing else is accepted.
# ----------------------------------------------------------------------------
def test_values_round_trip_exactly():
    import sympy

    for value in (None, True, "adam", 7, -3, 0.1, Fraction(2, 7), [1, Fraction(1, 2)], [[1.5, 2], [3, 4]]):
        assert cache.decode(json.loads(json.dumps(cache.encode(value)))) == value
    closed = cache.decode(json.loads(json.dumps(cache.encode(sympy.log(2) / 3))))
    assert isinstance(closed, KeyNumber) and closed.text == "ln(2)/3"
    assert float(closed) == float(sympy.log(2) / 3)
    assert abs(closed.digits - Fraction(sympy.Rational(sympy.N(sympy.log(2) / 3, 40)))) == 0
    assert cache.decode(cache.encode(sympy.Rational(3, 4))) == Fraction(3, 4)
    assert cache.decode(cache.encode(sympy.Matrix([[1, 2], [3, 4]]))) == [[1, 2], [3, 4]]


def test_a_closed_form_at_a_rounding_edge_grades_as_its_sympy_value():
    """1/8 + e^-46 is 0.125 as a float, an exact half; its 40 digits say it rounds up to 0.13 only.
    The cached value carries those digits, so 0.12 is refused from the cache as from SymPy."""
    import sympy

    from nncheck.kinds import grade_answer

    exact = sympy.Rational(1, 8) + sympy.exp(-46)
    cached = cache.decode(json.loads(json.dumps(cache.encode(exact))))
    assert float(cached) == 0.125
    part = {"name": "x", "kind": "number", "prompt": "x"}
    verdicts = {t: grade_answer(part, cached, t).to_json() for t in ("0.12", "0.13", "0.125", "1/8")}
    assert verdicts == {t: grade_answer(part, exact, t).to_json() for t in verdicts}
    assert verdicts["0.12"]["status"] == "incorrect" and verdicts["0.13"]["status"] == "correct"


@pytest.mark.parametrize("value", [(1, 2), {1, 2}, object(), complex(1, 2)])
def test_values_grading_would_read_differently_are_not_stored(value):
    with pytest.raises(cache._Unstorable):
        cache.encode(value)


@pytest.mark.parametrize("data", [
    {"q": "1/0"}, {"q": "a/b"}, {"q": "1/2/3"}, {"q": "1" * 5000 + "/3"}, {"c": "x", "f": "1", "d": None},
    {"c": "\x1b[31mred", "f": 1.0, "d": None}, {"c": "x", "f": 1.0}, {"eval": "os.system('x')"},
    [[[1]]], "\x07", ["a", {"q": 3}],
])
def test_decode_refuses_what_encode_never_writes(data):
    with pytest.raises(cache._Doubt):
        cache.decode(data)


# ----------------------------------------------------------------------------
# The cache on disk: hits, misses, corruption, identity, bounds.
# ----------------------------------------------------------------------------
def _variant(catalog, fid="detection.iou", seed=2, overrides=None):
    return make_variant(catalog.get(fid), seed, overrides or {})


def test_a_second_lookup_is_a_hit_and_holds_what_grading_needs(catalog, keys_dir):
    v = _variant(catalog)
    first = cache.cached_answer_key(v)
    assert not isinstance(first, cache.CachedAnswerKey)
    files = list(keys_dir.iterdir())
    assert len(files) == 1 and files[0].suffix == ".json"
    assert not [f for f in keys_dir.iterdir() if f.name.endswith(".tmp")]  # written atomically
    second = cache.cached_answer_key(_variant(catalog))
    assert isinstance(second, cache.CachedAnswerKey) and second.stored == {"I", "U", "IoU"}
    assert grade(second, "IoU", "0.3").to_json() == grade(first, "IoU", "0.3").to_json()


def test_expression_parts_need_the_fresh_key(catalog, keys_dir):
    rec = next(r for r in catalog.records
               if any(p["kind"] == "expression" for p in r["parts"])
               and any(p["kind"] in ("number", "vector", "matrix") for p in r["parts"]))
    v = make_variant(rec, 1, {})
    parts = {p["name"]: p["kind"] for p in v.parts}
    expr = next(n for n, k in parts.items() if k == "expression")
    num = next(n for n, k in parts.items() if k in ("number", "vector", "matrix"))
    cache.cached_answer_key(v)
    assert isinstance(cache.cached_answer_key(make_variant(rec, 1, {}), [num]), cache.CachedAnswerKey)
    again = cache.cached_answer_key(make_variant(rec, 1, {}), [expr])
    assert not isinstance(again, cache.CachedAnswerKey) and again.parts[expr].exact is not None
    with pytest.raises(LookupError):
        cache.cached_answer_key(make_variant(rec, 1, {}), [num]).part(expr)


def test_the_identity_covers_bank_content_family_seed_and_parameters(catalog, tmp_path):
    import shutil

    base = cache.identity(_variant(catalog))
    assert base == cache.identity(_variant(catalog))
    assert base != cache.identity(_variant(catalog, seed=3))
    assert base != cache.identity(_variant(catalog, overrides={"box_ref": "[0,0,4,4]", "box_roi": "[2,2,4,4]"}))
    assert base != cache.identity(_variant(catalog, "detection.bbox-targets"))
    # The same family from a bank file whose content changed (a comment only) is another key.
    bank = tmp_path / "detection.yaml"
    shutil.copy(catalog.get("detection.iou")["_file"], bank)
    rec = dict(catalog.get("detection.iou"), _file=str(bank))
    same = cache.identity(make_variant(rec, 2, {}))
    assert same == base  # keyed by the bank's content, not by where the file lies
    with open(bank, "a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    assert same != cache.identity(make_variant(rec, 2, {}))
    # No bank file to digest: not cached at all.
    assert cache.identity(make_variant(dict(rec, _file=str(tmp_path / "gone.yaml")), 2, {})) is None


def _entry_file(keys_dir):
    (path,) = [p for p in keys_dir.iterdir() if p.suffix == ".json"]
    return path


def _rewrite(data: dict) -> dict:
    """An altered entry with a valid checksum: only the validation of values can catch it."""
    body = {k: v for k, v in data.items() if k != "checksum"}
    return {**body, "checksum": cache._checksum(body)}


def _alter(data):
    data["parts"][2]["numeric"] = 0.123  # the checksum no longer matches
    return data


def _tamper_value(data):
    data["parts"][2]["exact"] = "0.5"  # a string where IoU's number was
    return _rewrite(data)


def _tamper_kind(data):
    data["parts"][2]["kind"] = "choice"
    return _rewrite(data)


def _tamper_mistake(data):
    data["mistakes"]["not-a-mistake"] = {}
    return _rewrite(data)


def _tamper_tolerance(data):
    data["parts"][2]["tolerance"] = {"rel": 0.5}
    return _rewrite(data)


def _tamper_shape(data):
    data["parts"][2]["exact"] = [[1], [2, 3]]
    return _rewrite(data)


CORRUPTIONS = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "not-utf8": lambda raw: b"\xff\xfe" + raw,
    "not-json": lambda raw: b"\x80\x04\x95pickle",
    "deep": lambda raw: b"[" * 100_000 + b"]" * 100_000,
    "altered-value": lambda raw: json.dumps(_alter(json.loads(raw))).encode(),
    "checksum": lambda raw: json.dumps({**json.loads(raw), "checksum": "0" * 32}).encode(),
    "value-type": lambda raw: json.dumps(_tamper_value(json.loads(raw))).encode(),
    "kind": lambda raw: json.dumps(_tamper_kind(json.loads(raw))).encode(),
    "unknown-mistake": lambda raw: json.dumps(_tamper_mistake(json.loads(raw))).encode(),
    "tolerance": lambda raw: json.dumps(_tamper_tolerance(json.loads(raw))).encode(),
    "ragged-array": lambda raw: json.dumps(_tamper_shape(json.loads(raw))).encode(),
    "huge": lambda raw: b" " * (cache.MAX_ENTRY_BYTES + 1),
}


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_a_corrupt_entry_is_computed_again_and_rewritten(catalog, keys_dir, how):
    fresh = cache.cached_answer_key(_variant(catalog))
    path = _entry_file(keys_dir)
    path.write_bytes(CORRUPTIONS[how](path.read_bytes()))
    with pytest.raises(cache._Doubt):
        cache.load(_variant(catalog), cache.identity(_variant(catalog)), str(path))
    again = cache.cached_answer_key(_variant(catalog))
    assert not isinstance(again, cache.CachedAnswerKey)  # computed, not read
    assert grade(again, "IoU", "0.3").to_json() == grade(fresh, "IoU", "0.3").to_json()
    assert isinstance(cache.cached_answer_key(_variant(catalog)), cache.CachedAnswerKey)  # rewritten


def test_a_pipe_at_the_entrys_name_never_blocks(catalog, keys_dir):
    cache.cached_answer_key(_variant(catalog))
    path = _entry_file(keys_dir)
    path.unlink()
    os.mkfifo(path)
    again = cache.cached_answer_key(_variant(catalog))  # read_regular refuses the pipe: computed
    assert again.parts["IoU"].exact is not None


def test_check_with_a_corrupt_or_unwritable_cache_gives_the_same_output(tmp_path, monkeypatch):
    args = ["check", "detection.iou", "--seed", "2", "--part", "IoU", "--answer", "0.27"]
    first = runner.invoke(app, args)
    monkeypatch.setattr(cache, "keys_dir", lambda: str(tmp_path / "keys"))
    runner.invoke(app, args)
    for entry in (tmp_path / "keys").iterdir():
        entry.write_bytes(b'{"format": 1, "identity": 3')
    broken = runner.invoke(app, args)
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setattr(cache, "keys_dir", lambda: str(blocked / "keys"))
    unwritable = runner.invoke(app, args)
    assert first.exit_code == 0 and "significant figures: accepted" in first.output
    for r in (broken, unwritable):
        assert (r.exit_code, r.output) == (first.exit_code, first.output)
        assert r.exception is None or isinstance(r.exception, SystemExit)


def test_a_hit_makes_the_entry_recent(catalog, keys_dir):
    cache.cached_answer_key(_variant(catalog))
    path = _entry_file(keys_dir)
    os.utime(path, (1_000_000, 1_000_000))
    cache.cached_answer_key(_variant(catalog))
    assert path.stat().st_mtime > 1_000_000


def test_eviction_keeps_the_cache_bounded_least_recently_used_first(tmp_path):
    d = tmp_path / "keys"
    d.mkdir()
    for i in range(20):
        p = d / f"{i:02d}.json"
        p.write_bytes(b"x" * 100)
        os.utime(p, (1_000_000 + i, 1_000_000 + i))
    stale = d / "05.json.123.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))
    removed = cache.evict(str(d), max_entries=10, max_bytes=10_000)
    left = sorted(p.name for p in d.iterdir())
    assert left == [f"{i:02d}.json" for i in range(12, 20)]  # down to 80% of the bound, the oldest first
    assert removed == 13
    # The bound on bytes alike.
    cache.evict(str(d), max_entries=1000, max_bytes=500)
    assert sorted(p.name for p in d.iterdir()) == [f"{i:02d}.json" for i in range(16, 20)]
    assert cache.evict(str(tmp_path / "missing")) == 0


def test_store_bounds_the_cache_as_it_writes(catalog, keys_dir, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for seed in range(1, 8):
        cache.cached_answer_key(_variant(catalog, seed=seed))
    assert len([p for p in keys_dir.iterdir() if p.suffix == ".json"]) <= 3


# ----------------------------------------------------------------------------
# Whole processes: a repeat check reads the key and imports neither SymPy nor NumPy.
# ----------------------------------------------------------------------------
PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('HEAVY ' + ','.join(m for m in ('sympy', 'numpy') "
         "if m in sys.modules) + '\\n'))\n"
         "from nncheck.__main__ import main\n"
         "main(sys.argv[1:])\n")


def _check(args, cache_dir):
    """(exit code, stdout, heavy modules imported) of one whole ``nncheck`` process."""
    import shutil

    shared = os.environ["NNCHECK_CACHE_DIR"]  # the session's: its bank catalogue, not its keys
    for name in os.listdir(shared):
        if name.startswith("catalog-") and not (cache_dir / name).exists():
            shutil.copy(os.path.join(shared, name), cache_dir / name)
    env = dict(os.environ, NNCHECK_CACHE_DIR=str(cache_dir), NO_COLOR="1")
    r = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    heavy = [ln for ln in r.stderr.splitlines() if ln.startswith("HEAVY ")][-1][len("HEAVY "):]
    return r.returncode, r.stdout, set(filter(None, heavy.split(",")))


def _repeat(args, cache_dir):
    """The check again.  Should nncheck's source have changed in between (its files are part of a key's
    identity, and a working tree may be edited while the tests run), the check wrote a new entry: once more."""
    entries = len(list((cache_dir / "keys").iterdir()))
    out = _check(args, cache_dir)
    if len(list((cache_dir / "keys").iterdir())) > entries:
        out = _check(args, cache_dir)
    return out


@pytest.mark.parametrize("args", [
    ["check", "detection.iou", "--seed", "2", "--part", "IoU", "--answer", "0.27"],
    ["check", "conv.forward", "--seed", "2", "--part", "xi", "--answer", "[[1, 2, 3], [4, 5, 6], [7, 8, 9]]"],
    ["check", "softmax.forward", "--seed", "1", "--answer", "[0.2, 0.3, 0.5]", "--json"],
], ids=["number", "matrix", "closed-forms"])
def test_a_repeat_check_imports_neither_sympy_nor_numpy(args, tmp_path):
    code1, out1, heavy1 = _check(args, tmp_path)
    code2, out2, heavy2 = _repeat(args, tmp_path)
    assert "sympy" in heavy1  # the first check computed the key
    assert (code2, out2) == (code1, out1) and out1
    assert heavy2 == set(), heavy2


def test_a_repeat_check_with_given_answers_reads_the_cache(tmp_path, catalog):
    key = answer_key(_variant(catalog))
    given, text = carried_answers(key, "IoU")[0]
    args = ["check", "detection.iou", "--seed", "2", "--part", "IoU", "--answer", text]
    for name, answer in given.items():
        args += ["--given", f"{name}={answer}"]
    code1, out1, _ = _check(args, tmp_path)
    code2, out2, heavy2 = _repeat(args, tmp_path)
    assert code1 == 0 and "error carried forward" in out1
    assert (code2, out2) == (code1, out1)
    assert "sympy" not in heavy2  # the solver's carry() may use NumPy; the key needs no SymPy


# ----------------------------------------------------------------------------
# The fast front end (nncheck/cli/fast.py) serves a repeat check from the same entry, the same way.
# ----------------------------------------------------------------------------
def test_the_fast_front_end_reads_the_entry_as_the_typer_path_does(catalog, keys_dir, capsys):
    """Served from the cache: the entry is marked recently used, and nothing is written."""
    from nncheck.cli import fast

    args = ["check", "detection.iou", "--seed", "2", "--part", "IoU", "--answer", "0.27"]
    assert fast.run(args) is None  # a miss: the Typer path computes and stores the key
    runner.invoke(app, args)
    (entry,) = keys_dir.glob("*.json")
    before = entry.read_bytes()
    os.utime(entry, (1_000_000, 1_000_000))
    capsys.readouterr()
    assert fast.run(args) == 0
    assert entry.read_bytes() == before and entry.stat().st_mtime > 1_000_000
    assert list(keys_dir.iterdir()) == [entry]


def test_the_fast_front_end_serves_the_numeric_parts_and_hands_over_the_others(catalog, keys_dir, capsys):
    """One entry holds a family's numeric parts; its expression parts are the Typer path's, every time."""
    from nncheck.cli import fast

    fid = "backprop.activation-derivative"
    v = make_variant(catalog.get(fid), 1, {})
    cache.cached_answer_key(v)
    for spec in v.parts:
        served = fast.run(["check", fid, "--part", spec["name"], "--answer", "0"])
        assert (served is not None) == (spec["kind"] in cache.STORED_KINDS), spec["name"]
    assert {s["kind"] for s in v.parts} >= {"number", "expression"}
