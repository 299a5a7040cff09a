"""provenance: one builder names tool, lexicon and model for every output."""

from __future__ import annotations

from discourse import __version__, api
from discourse.provenance import lexicon_record, provenance
from discourse.scoring import Scorer


class _Model:
    model_hash = "0123456789ab"


def test_keys_come_in_a_fixed_order_and_extras_keep_theirs():
    lex = api.get_lexicon(None)
    meta = provenance(lex, method="both", model=_Model(), z=1, a=2)
    assert list(meta) == [
        "tool_version", "lexicon", "lexicon_version", "lexicon_hash", "method", "model_hash",
        "z", "a",
    ]  # fmt: skip
    assert meta["tool_version"] == __version__
    assert (meta["lexicon"], meta["lexicon_version"]) == (lex.name, lex.version)
    assert meta["lexicon_hash"] == lex.sha256[:12] and meta["model_hash"] == "0123456789ab"


def test_absent_parts_leave_no_keys():
    assert provenance() == {"tool_version": __version__}
    assert provenance(tool=False, n=3) == {"n": 3}
    assert lexicon_record(None) is None


def test_every_builder_agrees_on_the_lexicon():
    lex = api.get_lexicon(None)
    short = {k: v for k, v in provenance(lex, tool=False).items()}
    assert lex.provenance() == short
    assert Scorer(lex).provenance() == {"tool_version": __version__, **short, "method": "lexicon"}
    record = lexicon_record(lex)
    assert record == {
        "name": lex.name, "version": lex.version, "hash": lex.hash, "sha256": lex.sha256
    }  # fmt: skip
    assert record["hash"] == short["lexicon_hash"]
