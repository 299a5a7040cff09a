"""Output and interop (issue 13): TSV, lexicon export, kwic globs, keyness measures,
--frames, tables that fit the terminal, and the chart's intervals."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import DEMO

# ---------------------------------------------------------------------- TSV


def _rows(text: str, delimiter: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize(
    "args",
    [
        ("score", DEMO / "harmony-daily"),
        ("corpus", "list", "--limit", "5"),
        ("compare", DEMO / "meridian-wire", "--boot", "100"),
    ],
)
def test_tsv_equals_csv_cell_for_cell(run, db, args):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    extra = ("--db", db) if args[0] == "corpus" else ()
    as_csv = run(*args, *extra, "--format", "csv")
    as_tsv = run(*args, *extra, "--format", "tsv")
    assert as_csv.code == as_tsv.code == 0, as_tsv.err
    assert "\t" in as_tsv.out.splitlines()[0] and "," not in as_tsv.out.splitlines()[0]
    assert _rows(as_tsv.out, "\t") == _rows(as_csv.out, ",")
    assert len(_rows(as_tsv.out, "\t")) > 0


def test_corpus_export_tsv_keeps_text_with_tabs_and_newlines(run, db, tmp_path):
    src = tmp_path / "in" / "Tab Times"
    src.mkdir(parents=True)
    (src / "a.txt").write_text("First\tline with a tab.\n\nSecond paragraph.", encoding="utf-8")
    assert run("ingest", tmp_path / "in", "--db", db, "-q").code == 0
    out = tmp_path / "articles.tsv"
    res = run("corpus", "export", "--db", db, "--format", "tsv", "-o", out)
    assert res.code == 0, res.err
    rows = _rows(out.read_text(encoding="utf-8"), "\t")
    assert len(rows) == 1
    assert rows[0]["source"] == "Tab Times"
    assert rows[0]["text"] == "First\tline with a tab.\n\nSecond paragraph."


def test_corpus_export_tsv_header_only_when_empty(run, db):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    res = run("corpus", "export", "--db", db, "--format", "tsv", "--since", "2099-01-01")
    assert res.code == 0, res.err
    assert res.out.startswith("id\tsource\ttitle\t")
    assert len(res.out.splitlines()) == 1


# ------------------------------------------------------- chart and intervals


def _chart_cells(line: str, sw: int) -> str:
    """The 32 bar cells of one chart line (after 4 spaces, the padded source and a space)."""
    return line[4 + sw + 1 : 4 + sw + 1 + 32]


def test_chart_draws_both_ends_of_every_interval(run):
    from discourse.render import prevalence_chart

    res = run("compare", DEMO, "--format", "json", "--boot", "100")
    records = json.loads(res.out)["records"]
    frames = list(dict.fromkeys(r["frame"] for r in records))
    lines = prevalence_chart(records, frames, width=30).splitlines()
    assert "┤ ├ = 95% interval" in lines[0]
    checked = 0
    for r in records:
        block = lines.index(f"  {r['frame']}")
        line = next(ln for ln in lines[block + 1 :] if ln.strip().startswith(r["source"]))
        cells = _chart_cells(line, max(len(x["source"]) for x in records))
        lo, hi = round(r["prevalence_lo"] * 30), round(r["prevalence_hi"] * 30)
        assert cells.index("┤") == lo, (r["source"], r["frame"], cells)
        assert cells.index("├") == max(hi, lo + 1), (r["source"], r["frame"], cells)
        # the bar itself still ends where the share does
        assert cells.replace("┤", "█").rstrip(" ├").count("█") >= round(r["prevalence"] * 30)
        checked += 1
    assert checked == len(records) > 0


def test_chart_lower_end_inside_the_bar_is_visible():
    from discourse.render import prevalence_chart

    rec = {"source": "A", "frame": "f", "prevalence": 0.5, "prevalence_lo": 0.3,
           "prevalence_hi": 0.7}  # fmt: skip
    cells = _chart_cells(prevalence_chart([rec], ["f"], width=10).splitlines()[2], 1)
    assert cells[:12] == "███┤█  ├    "  # bar to 5, lower end at 3, upper at 7


def test_one_article_intensity_prints_without_a_degenerate_interval(run, tmp_path):
    one = tmp_path / "one"
    (one / "Solo Post").mkdir(parents=True)
    (one / "Solo Post" / "a.txt").write_text(
        "Mutual trust and win-win cooperation were pledged. The talks went on.", "utf-8"
    )
    (one / "Other Post").mkdir()
    for i in range(3):
        (one / "Other Post" / f"b{i}.txt").write_text(
            f"Sanctions and a threat were discussed on day {i}. Trade grew.", "utf-8"
        )
    res = run("compare", one, "--boot", "100", "--no-chart")
    assert res.code == 0, res.err
    solo = [ln for ln in res.out.splitlines() if ln.startswith("Solo Post")]
    assert len(solo) == 2  # prevalence row and intensity row
    assert "(n=1)" in solo[1] and "[" not in solo[1]
    assert "(n=1)" not in solo[0]  # Wilson's interval from one article is a real interval
    other = [ln for ln in res.out.splitlines() if ln.startswith("Other Post")]
    assert "(n=1)" not in other[1] and "[" in other[1]


# ------------------------------------------------------------------ keyness


def _quanteda_corrects(a, b, n_a, n_b) -> bool:
    """quanteda's rule, written out: |ad - bc| >= N/2 and an expected count below 5."""
    import numpy as np

    table = np.array([[a, b], [n_a - a, n_b - b]], dtype=float)
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    return abs(a * (n_b - b) - b * (n_a - a)) >= table.sum() / 2 and expected.min() < 5


# (a, b, n_a, n_b): large counts (no correction), small expected counts (Yates applies),
# under-use (negative), a term absent from the reference, and |ad - bc| < N/2 (no correction)
TABLES = [(30, 10, 1000, 1000), (3, 0, 1000, 1000), (5, 40, 800, 1200), (7, 0, 300, 5000),
          (120, 300, 20000, 50000), (1, 1, 50, 50), (2, 9, 400, 900)]  # fmt: skip


def test_keyness_chi2_hand_computed():
    from discourse.stats import keyness_2x2

    # N = 2000, ad - bc = 30*990 - 10*970 = 20000; margins 40 * 1960 * 1000 * 1000
    assert keyness_2x2(30, 10, 1000, 1000, "chi2") == pytest.approx(
        2000 * 20000**2 / (40 * 1960 * 1000 * 1000)
    )
    assert keyness_2x2(10, 30, 1000, 1000, "chi2") == pytest.approx(-10.2040816)


@pytest.mark.parametrize("table", TABLES)
def test_keyness_chi2_matches_scipy(table):
    import numpy as np
    from scipy.stats import chi2_contingency

    from discourse.stats import keyness_2x2

    a, b, n_a, n_b = table
    obs = np.array([[a, b], [n_a - a, n_b - b]])
    corrected = _quanteda_corrects(*table)
    expected = chi2_contingency(obs, correction=corrected)[0]
    sign = 1 if a / n_a > b / n_b else -1 if a / n_a < b / n_b else 0
    got = keyness_2x2(a, b, n_a, n_b, "chi2")
    assert abs(got) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    if sign:
        assert np.sign(got) == sign


@pytest.mark.parametrize("table", TABLES)
def test_keyness_lr_matches_scipy_power_divergence(table):
    import numpy as np
    from scipy.stats import power_divergence

    from discourse.stats import keyness_2x2

    a, b, n_a, n_b = table
    obs = np.array([[a, b], [n_a - a, n_b - b]], dtype=float)
    if _quanteda_corrects(*table):  # Yates: each cell 0.5 closer to its expected count
        exp0 = np.outer(obs.sum(1), obs.sum(0)) / obs.sum()
        obs = obs + 0.5 * np.sign(exp0 - obs)
    exp = np.outer(obs.sum(1), obs.sum(0)) / obs.sum()
    g2 = power_divergence(obs.ravel(), exp.ravel(), ddof=2, lambda_="log-likelihood")[0]
    got = keyness_2x2(a, b, n_a, n_b, "lr")
    # quanteda adds 1e-9 inside each logarithm: 2 * sum(O * 1e-9 * E / O) = 2e-9 * N more
    assert abs(got) == pytest.approx(g2, abs=2.5e-9 * (n_a + n_b))
    assert (got > 0) == (a / n_a > b / n_b)


def test_keyness_cli_chi2_and_lr_recompute_from_counts(run):
    import numpy as np
    from scipy.stats import chi2, chi2_contingency

    for measure, col, lam in (("chi2", "chi2", None), ("lr", "G2", "log-likelihood")):
        res = run("keyness", DEMO, "--measure", measure, "--ngram", "1", "--format", "json")
        assert res.code == 0, res.err
        data = json.loads(res.out)
        assert data["meta"]["measure"] == measure
        tokens = data["meta"]["content_tokens"]
        total = sum(tokens.values())
        assert data["records"]
        for r in data["records"]:
            n_a = tokens[r["source"]]
            obs = np.array(
                [[r["count"], r["count_vs"]], [n_a - r["count"], total - n_a - r["count_vs"]]]
            )
            corr = _quanteda_corrects(r["count"], r["count_vs"], n_a, total - n_a)
            want = chi2_contingency(obs, correction=corr, lambda_=lam)[0]
            assert r[col] == pytest.approx(want, rel=1e-5), r
            assert r[col] > 0 and "z" not in r and "log_odds" not in r
            assert r["p"] == pytest.approx(chi2.sf(r[col], 1), rel=1e-9)
        per_source = {}
        for r in data["records"]:
            per_source.setdefault(r["source"], []).append(r[col])
        assert all(v == sorted(v, reverse=True) for v in per_source.values())


def test_keyness_table_headers_follow_the_measure(run):
    res = run("keyness", DEMO, "-s", "Harmony Daily", "--measure", "lr", "--top", "3")
    assert res.code == 0, res.err
    assert " G2 " in res.out and "log-odds" not in res.out and "G2 > 3.84" in res.out
    bad = run("keyness", DEMO, "--measure", "pmi")
    assert bad.code == 1 and "--measure 'pmi' is not known" in bad.err
    assert len(bad.err.strip().splitlines()) == 1
    bad = run("keyness", DEMO, "--measure", "chi2", "--prior-size", "100")
    assert bad.code == 1 and "--prior-size" in bad.err


def test_keyness_leaves_out_terms_with_no_evidence(run):
    res = run("keyness", DEMO, "--top", "0", "--min-count", "1", "--format", "csv")
    assert res.code == 0, res.err
    rows = _rows(res.out, ",")
    assert rows and all(round(float(r["z"]), 2) > 0 for r in rows)
    assert "z = 0.00 (no evidence of over-use) left out" in res.err
    n_left = int(res.err.split(" terms with z = 0.00")[0].split()[-1])
    assert n_left > 0


# ------------------------------------------------------------------ --frames

FRAMES = ["partnership", "multilateralism", "anti_hegemonism", "threat", "economic", "history"]


def test_compare_frames_narrows_and_keeps_the_numbers(run):
    base = ("compare", DEMO, "--boot", "100", "--pairwise", "--format", "json")
    full = json.loads(run(*base).out)
    res = run(*base, "--frames", "threat,history")
    assert res.code == 0, res.err
    part = json.loads(res.out)
    assert {r["frame"] for r in part["records"]} == {"threat", "history"}
    assert part["meta"]["frames"] == ["threat", "history"]
    assert {t["frame"] for t in part["tests"]} == {"threat", "history"}
    assert part["pairwise"] and {p["frame"] for p in part["pairwise"]} == {"threat", "history"}
    want = [r for r in full["records"] if r["frame"] in ("threat", "history")]
    assert sorted(part["records"], key=str) == sorted(want, key=str)
    table = run("compare", DEMO, "--boot", "100", "--frames", "history,threat").out
    header = next(ln for ln in table.splitlines() if ln.startswith("source "))
    assert header.split()[-2:] == ["history", "threat"]  # in the order asked for
    assert "partnership" not in table


@pytest.mark.parametrize(
    "args",
    [("compare", DEMO), ("score", DEMO), ("trend", DEMO), ("report", DEMO, "-o", "unused")],
)
def test_unknown_frame_is_one_line_listing_the_known_ones(run, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(*args, "--frames", "threat,thret")
    assert res.code == 1
    assert len(res.err.strip().splitlines()) == 1
    assert "'thret'" in res.err and ", ".join(FRAMES) in res.err
    assert not (tmp_path / "unused").exists()


def test_score_frames_narrows_columns(run):
    res = run("score", DEMO / "harmony-daily", "--frames", "history", "--format", "csv")
    assert res.code == 0, res.err
    cols = _rows(res.out, ",")[0].keys()
    assert "history_hits" in cols and not any(c.startswith(("threat", "partner")) for c in cols)
    table = run("score", DEMO / "harmony-daily", "--frames", "threat,history").out
    assert table.splitlines()[0].split()[4:6] == ["threat_hits", "history_hits"]


def test_trend_frames_and_report_frames(run, tmp_path):
    res = run("trend", DEMO, "--frames", "threat,history", "--format", "csv", "--by", "month")
    assert res.code == 0, res.err
    assert {r["frame"] for r in _rows(res.out, ",")} == {"threat", "history"}
    out = tmp_path / "rep"
    res = run("report", DEMO, "--week", "2026-W47", "-o", out, "--boot", "100",
              "--frames", "threat", "-q")  # fmt: skip
    assert res.code == 0, res.err
    rows = _rows((out / "2026-W47" / "frames_by_source.csv").read_text("utf-8"), ",")
    assert rows and {r["frame"] for r in rows} == {"threat"}
    summary = json.loads((out / "2026-W47" / "summary.json").read_text("utf-8"))
    assert "partnership" not in json.dumps(summary.get("records", summary))


# ---------------------------------------------------------- terminal width


def _headers(text: str) -> list[list[str]]:
    return [ln.split() for ln in text.splitlines() if ln.startswith("source ")]


@pytest.mark.parametrize("extra", [(), ("--pairwise",), ("--frames", "threat,economic")])
def test_compare_fits_80_columns(run, monkeypatch, extra):
    monkeypatch.setenv("COLUMNS", "80")
    res = run("compare", DEMO, "--boot", "100", *extra)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert max(len(ln) for ln in lines) <= 80, max(lines, key=len)
    shown = [h for hdr in _headers(res.out) for h in hdr[2:]]
    frames = ["threat", "economic"] if extra and extra[0] == "--frames" else FRAMES
    for f in frames:  # every frame in a block of each of the two matrices
        assert shown.count(f) == 2, f
    # every source keeps its row label in every block, and every value is still there
    wide = run("compare", DEMO, "--boot", "100", *extra, "--format", "json")
    for r in json.loads(wide.out)["records"]:
        assert f"{100 * r['prevalence']:.0f}% [" in res.out


def test_compare_at_200_columns_is_one_table_per_matrix(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    res = run("compare", DEMO, "--boot", "100")
    assert res.code == 0, res.err
    heads = _headers(res.out)
    assert len(heads) == 2 and all(h[2:] == FRAMES for h in heads)


def test_no_fitting_for_pipes_and_machine_formats(run, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    piped = run("compare", DEMO, "--boot", "100")  # captured: not a terminal
    assert len(_headers(piped.out)) == 2
    assert max(len(ln) for ln in piped.out.splitlines()) > 120
    monkeypatch.setenv("COLUMNS", "80")
    as_csv = run("compare", DEMO, "--boot", "100", "--format", "csv")
    assert len(as_csv.out.splitlines()[1]) > 80 and "\n\n" not in as_csv.out


def test_fit_text_splits_by_rule_spans_and_wraps_long_lines():
    from discourse.formats import fit_text, grid

    rows = [["Meridian Wire", 24, "1.5 [0.0–4.7]", "x" * 20, "y"]]
    table = grid(rows, headers=["source", "articles", "alpha", "beta", "gamma"])
    out = fit_text("a · b · " + "c" * 45 + "\n\n" + table, 50, keys=("source", "articles"))
    assert max(len(ln) for ln in out.splitlines()) <= 50
    assert out.splitlines()[:2] == ["a · b", "c" * 45]
    blocks = [ln for ln in out.splitlines() if ln.startswith("Meridian Wire")]
    assert len(blocks) == 3 and all("24" in b for b in blocks)  # 23 columns left per block
    assert "1.5 [0.0–4.7]" in out and "x" * 20 in out
    assert fit_text(table, None) == table and fit_text(table, 500) == table


# ----------------------------------------------------------- lexicon export

SMALL = """\
name: small
version: 1.0.0
language: en
frames:
  partnership:
    label: Partnership
    description: Friends.
    terms: [mutual trust, win-win, strategic partner*, friend]
  threat:
    label: Threat
    description: Danger.
    terms: [threat*, axis of upheaval, sanction*, friend]
"""


def _frames_terms(path) -> dict:
    from discourse.lexicon import load_lexicon

    return {n: f.terms for n, f in load_lexicon(path).frames.items()}


@pytest.mark.parametrize("to, suffix", [("liwc", ".dic"), ("quanteda", ".yml")])
def test_lexicon_export_round_trips_through_convert(run, tmp_path, to, suffix):
    lex = tmp_path / "small.yaml"
    lex.write_text(SMALL, encoding="utf-8")
    out = tmp_path / f"small{suffix}"
    res = run("lexicon", "export", lex, "--to", to, "-o", out)
    assert res.code == 0, res.err
    assert "dropped" not in res.err and "label, description and examples" in res.err
    back = tmp_path / "back.yaml"
    res = run("lexicon", "convert", out, "-o", back)
    assert res.code == 0, res.err
    assert "warning" not in res.err
    got, want = _frames_terms(back), _frames_terms(lex)
    if to == "liwc":  # one line per word, with all its categories: the order within may move
        got, want = ({n: sorted(ts) for n, ts in d.items()} for d in (got, want))
    assert got == want


def test_lexicon_export_liwc_shares_a_word_between_categories(run, tmp_path):
    lex = tmp_path / "small.yaml"
    lex.write_text(SMALL, encoding="utf-8")
    res = run("lexicon", "export", lex, "--to", "liwc")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[:4] == ["%", "1\tpartnership", "2\tthreat", "%"]
    assert "friend\t1\t2" in lines and "strategic partner*\t1" in lines


def test_lexicon_export_refuses_what_the_target_cannot_express(run, tmp_path):
    from tests.conftest import LEXICON

    for to in ("liwc", "quanteda"):
        res = run("lexicon", "export", LEXICON, "--to", to)
        assert res.code == 1 and res.out == ""
        assert len(res.err.strip().splitlines()) == 1
        assert "cannot be exported to " + to in res.err and "exclude '" in res.err
        assert "--drop-unsupported" in res.err
    bad = run("lexicon", "export", "--to", "wordstat")
    assert bad.code == 1 and "--to 'wordstat' is not known" in bad.err


def test_lexicon_export_drop_unsupported_lists_each_dropped_item(run, tmp_path):
    from discourse.lexicon import load_lexicon
    from tests.conftest import LEXICON

    lex = load_lexicon(LEXICON)
    out = tmp_path / "frames.dic"
    res = run("lexicon", "export", LEXICON, "--to", "liwc", "--drop-unsupported", "-o", out, "-q")
    assert res.code == 0, res.err
    dropped = [ln for ln in res.err.splitlines() if ln.startswith("dropped: ")]
    n_exclude = sum(len(f.exclude) for f in lex.frames.values())
    n_near = sum(len(f.near) for f in lex.frames.values())
    d_terms = [ln for ln in dropped if ln.startswith("dropped: term ")]
    assert sum("dropped: exclude " in ln for ln in dropped) == n_exclude > 0
    assert sum("dropped: proximity rule " in ln for ln in dropped) == n_near > 0
    assert len(dropped) == n_exclude + n_near + len(d_terms)
    back = tmp_path / "back.yaml"
    assert run("lexicon", "convert", out, "-o", back).code == 0
    got = _frames_terms(back)
    for name, frame in lex.frames.items():
        kept = [t for t in frame.terms if f"dropped: term {t!r} of {name} " not in res.err]
        assert sorted(got[name]) == sorted(kept)
    assert any("'friend* of steel'" in ln for ln in d_terms)  # '*' inside a LIWC entry


# --------------------------------------------------------------- kwic globs


def test_glob_word_agrees_with_fnmatch_on_random_cases():
    import fnmatch
    import random

    from discourse.lexicon import glob_word

    rng = random.Random(13)
    checked = matched = 0
    for _ in range(3000):
        word = "".join(rng.choice("ab*?") for _ in range(rng.randint(1, 7)))
        tok = "".join(rng.choice("ab") for _ in range(rng.randint(0, 9)))
        want = fnmatch.fnmatchcase(tok, word)
        assert glob_word(word)(tok) == want, (word, tok)
        checked += 1
        matched += want
    assert checked == 3000 and 300 < matched < 2700  # both outcomes well exercised


def test_kwic_leading_and_inner_wildcards(run):
    res = run("kwic", "*lateral", DEMO, "--format", "json")
    assert res.code == 0, res.err
    words = {r["keyword"].lower() for r in json.loads(res.out)["records"]}
    assert {"bilateral", "unilateral", "multilateral", "trilateral"} <= words
    assert all(w.endswith("lateral") for w in words)
    res = run("kwic", "multi*ism", DEMO, "--format", "json")
    words = {r["keyword"].lower() for r in json.loads(res.out)["records"]}
    assert words == {"multilateralism"}
    res = run("kwic", "u.?.", DEMO, "--format", "json")
    words = {r["keyword"] for r in json.loads(res.out)["records"]}
    assert {"U.S.", "U.N."} <= words and all(len(w) == 4 and w[:2] + w[3] == "U.." for w in words)
    res = run("kwic", "strategic partner?", DEMO, "--format", "json")
    assert res.code == 0 and all(
        r["keyword"].lower() == "strategic partners" for r in json.loads(res.out)["records"]
    )
    bad = run("kwic", "*", DEMO)
    assert bad.code == 1 and len(bad.err.strip().splitlines()) == 1 and "'*lateral'" in bad.err


def test_glob_matcher_stays_linear_on_a_pathological_pattern():
    import time

    from discourse.lexicon import GlobMatcher

    m = GlobMatcher("a*a*a*a*a*a*a*a*a*a*b a*")  # exponential for a backtracking matcher

    def seconds(n: int) -> float:
        tokens = ["a" * 40] * n
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            assert m.match(tokens) == []
            best = min(best, time.perf_counter() - t0)
        return best

    small, large = seconds(2000), seconds(8000)
    assert large < 1.5  # four times the tokens ...
    assert large < 10 * small + 0.05  # ... about four times the time, never quadratic
