"""Model files as plain data: ``MODEL.json`` (parameters, vocabularies, hashes),
``MODEL.npz`` (arrays, loaded with ``allow_pickle=False``) and the model card
``MODEL.card.json``. Never pickle. The only module that reads or writes model files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

from discourse import __version__
from discourse.atomic import atomic_write
from discourse.classifier.estimator import FrameClassifier, char_config, word_config
from discourse.classifier.features import lexicon_from_data
from discourse.dates import now_utc
from discourse.errors import ModelError
from discourse.formats import clean
from discourse.lexicon import Matcher
from discourse.shared import Warn

FORMAT = "discourse-frame-classifier"
CARD_FORMAT = "discourse-model-card"
FORMAT_VERSION = 1
MAX_MODEL_BYTES = 1_000_000_000


# ------------------------------------------------------------------- model files


def model_paths(path: str | os.PathLike) -> tuple[Path, Path, Path]:
    """(MODEL.json, MODEL.npz, MODEL.card.json) for a model base path.

    ``models/demo``, ``models/demo.json`` and ``models/demo.npz`` all name the same model;
    an existing folder holds ``model.json`` etc.
    """
    p = Path(path)
    name = p.name
    if p.is_dir():
        base = p / "model"
    elif name.endswith(".card.json"):
        base = p.with_name(name[: -len(".card.json")])
    elif name.endswith((".json", ".npz")):
        base = p.with_name(name.rsplit(".", 1)[0])
    else:
        base = p
    return (
        base.with_name(base.name + ".json"),
        base.with_name(base.name + ".npz"),
        base.with_name(base.name + ".card.json"),
    )


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(clean(obj), ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode(
        "utf-8"
    )


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "discourse": __version__,
    }


def save_model(model: FrameClassifier, path: str | os.PathLike, card: dict | None = None) -> dict:
    """Write MODEL.npz, MODEL.json (and MODEL.card.json if ``card``). No pickle.

    Each file is written to a temporary file and renamed into place. Returns the paths.
    """
    model._check_fitted()
    jpath, npath, cpath = model_paths(path)
    try:
        jpath.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot create the folder {jpath.parent}: {e.strerror}") from None
    buf = io.BytesIO()
    np.savez_compressed(buf, **model._arrays())
    npz = buf.getvalue()
    body = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": now_utc().isoformat(timespec="seconds"),
        "versions": versions(),
        "model_sha256": model.model_sha256,
        "npz_sha256": hashlib.sha256(npz).hexdigest(),
        "npz_file": npath.name,
        **model._content_data(),
        "fit": {
            "n_train": model.n_train_,
            "n_groups": model.n_groups_,
            "label_counts": model.label_counts_,
            "threshold_f1": model.threshold_f1_,
            "training_hmac": model.training_hmac_,
            "label_kind": getattr(model, "label_kind_", "unspecified"),
        },
    }
    try:
        atomic_write(npath, npz)
        atomic_write(jpath, _json_bytes(body))
        if card is not None:
            atomic_write(cpath, _json_bytes(card))
    except OSError as e:
        raise ModelError(f"cannot write the model to {jpath.parent}: {e.strerror}") from None
    out = {"json": str(jpath), "npz": str(npath)}
    if card is not None:
        out["card"] = str(cpath)
    return out


def _default_warn(msg: str) -> None:
    warnings.warn(msg, UserWarning, stacklevel=3)


def _read_model_json(jpath: Path) -> Any:
    """The parsed MODEL.json; one-line ModelError when it is too large, unreadable or not JSON."""
    try:
        if jpath.stat().st_size > MAX_MODEL_BYTES:
            raise ModelError(f"{jpath}: larger than {MAX_MODEL_BYTES} bytes; not a model file")
        raw = jpath.read_bytes()
    except OSError as e:
        raise ModelError(f"cannot read the model {jpath}: {e.strerror}") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # ValueError: JSON, huge ints
        where = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise ModelError(
            f"{jpath} is not a valid model file: not JSON{where}, perhaps truncated or "
            "corrupted; copy it again or retrain with 'discourse train'"
        ) from None
    return body


def load_model(path: str | os.PathLike, warn: Warn | None = None) -> FrameClassifier:
    """Rebuild a fitted :class:`FrameClassifier` from MODEL.json + MODEL.npz (no pickle).

    Raises :class:`ModelError` (one line) for a missing, truncated, tampered or foreign
    file; warns (via ``warn``) when the model was written by another scikit-learn version.
    """
    warn = warn or _default_warn
    jpath, npath, _ = model_paths(path)
    if not jpath.exists():
        raise ModelError(
            f"no model at {jpath}; train one with 'discourse train LABELS.csv -o "
            f"{jpath.with_suffix('')}'"
        )
    body = _read_model_json(jpath)
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        if isinstance(body, dict) and body.get("format") == CARD_FORMAT:
            raise ModelError(
                f"{jpath} is a model card, not the model; give the model path without "
                f"'.card.json' (e.g. {jpath.name[: -len('.card.json')]})"
            )
        raise ModelError(
            f'{jpath} is not a discourse model file (no "format": "{FORMAT}"); give the '
            "MODEL.json written by 'discourse train'"
        )
    fv = body.get("format_version")
    if not isinstance(fv, int) or fv > FORMAT_VERSION:
        raise ModelError(
            f"{jpath} has model format version {fv!r}; this discourse reads version "
            f"{FORMAT_VERSION}: upgrade discourse or retrain the model"
        )
    if not npath.exists():
        raise ModelError(f"{npath} is missing; a model is MODEL.json + MODEL.npz: copy both")
    try:
        npz = npath.read_bytes()
    except OSError as e:
        raise ModelError(f"cannot read {npath}: {e.strerror}") from None
    actual = hashlib.sha256(npz).hexdigest()
    expected = body.get("npz_sha256")
    if actual != expected:
        raise ModelError(
            f"{npath} does not match {jpath.name} (sha256 {actual[:12]}, expected "
            f"{str(expected)[:12]}): the file was changed or truncated; copy both files "
            "again or retrain"
        )
    arrays = _read_npz(npz, npath)
    wrote = (body.get("versions") or {}).get("scikit-learn")
    if wrote != sklearn.__version__:
        warn(
            f"model {jpath} was written with scikit-learn {wrote}, this is scikit-learn "
            f"{sklearn.__version__}; predictions may differ slightly: retrain to be sure"
        )
    try:
        model = _rebuild(body, arrays, str(jpath))
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise ModelError(
            f"{jpath} is not a usable model file ({type(e).__name__}: {e}); retrain it"
        ) from None
    if model.model_sha256 != body.get("model_sha256"):
        raise ModelError(
            f"{jpath}: its content does not match its hash (model_sha256); the file was "
            "changed: copy it again or retrain"
        )
    card = load_card(jpath)
    if card is not None and card.get("model_sha256") != model.model_sha256:
        warn(f"the model card beside {jpath} describes another model; it was ignored")
        card = None
    model.card_ = card
    return model


_ARRAY_NAMES = ("word_idf", "char_idf", "coef", "intercept", "thresholds")


def _read_npz(data: bytes, npath: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            names = set(z.files)
            if names - {"calibration"} != set(_ARRAY_NAMES):
                raise ModelError(
                    f"{npath} holds {sorted(names)}, not the arrays of a discourse model"
                )
            out = {}
            for n in (*_ARRAY_NAMES, *sorted(names - set(_ARRAY_NAMES))):
                a = z[n]
                if a.dtype != np.float64:
                    raise ModelError(f"{npath}: array {n} is {a.dtype}, expected float64")
                out[n] = a
            return out
    except ModelError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as e:
        # zlib.error: a corrupt deflate stream in a file whose hash was updated to match
        raise ModelError(
            f"{npath} is not a usable model array file ({e}); copy it again or retrain"
        ) from None


def _rebuild(body: dict, arrays: dict[str, np.ndarray], where: str) -> FrameClassifier:
    frames = [str(f) for f in body["frames"]]
    params = dict(body["params"])
    params["word_ngrams"] = tuple(params["word_ngrams"])
    params["char_ngrams"] = tuple(params["char_ngrams"])
    lex = lexicon_from_data(body["lexicon"], where) if body.get("lexicon") else None
    model = FrameClassifier(frames=frames, lexicon=lex, **params)
    vocabs = body["vectorizers"]
    vecs = []
    for kind, cfg, idf in (
        ("word", word_config(params["word_ngrams"]), arrays["word_idf"]),
        ("char", char_config(params["char_ngrams"]), arrays["char_idf"]),
    ):
        terms = vocabs[kind]
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ModelError(f"{where}: the {kind} vocabulary is not a list of strings")
        if len(set(terms)) != len(terms) or idf.shape != (len(terms),):
            raise ModelError(f"{where}: the {kind} vocabulary does not match its idf vector")
        vec = TfidfVectorizer(**cfg, vocabulary={t: i for i, t in enumerate(terms)})
        vec.idf_ = idf
        vecs.append(vec)
    n_lex = len(lex.frames) if lex is not None else 0
    n_feat = len(vocabs["word"]) + len(vocabs["char"]) + n_lex
    if float(params.get("context_weight", 0.0) or 0.0) > 0:  # the neighbours' block
        n_feat += len(vocabs["word"]) + n_lex
    F = len(frames)
    for name, shape in (
        ("coef", (F, n_feat)),
        ("intercept", (F,)),
        ("thresholds", (F,)),
    ):
        if arrays[name].shape != shape:
            raise ModelError(
                f"{where}: array {name} has shape {arrays[name].shape}, expected {shape}"
            )
    model.frames_ = frames
    model.lexicon_ = lex
    model.word_vectorizer_, model.char_vectorizer_ = vecs
    model._matcher = Matcher(lex) if lex is not None else None
    model.coef_ = arrays["coef"]
    model.intercept_ = arrays["intercept"]
    model.thresholds_ = arrays["thresholds"]
    cal = arrays.get("calibration")
    if cal is not None and cal.shape != (F, 2):
        raise ModelError(f"{where}: array calibration has shape {cal.shape}, expected {(F, 2)}")
    if cal is not None and not params.get("calibrate", False):
        raise ModelError(f"{where}: the calibration array does not match the parameters")
    model.calibration_ = cal
    model.threshold_method_ = str(body.get("threshold_method", ""))
    fit = body.get("fit") or {}
    model.n_train_ = fit.get("n_train")
    model.n_groups_ = fit.get("n_groups")
    model.label_counts_ = fit.get("label_counts")
    model.threshold_f1_ = fit.get("threshold_f1")
    model.label_kind_ = str(fit.get("label_kind", "unspecified"))
    th = fit.get("training_hmac")
    ok = isinstance(th, dict) and isinstance(th.get("digests"), list)
    model.training_hmac_ = (
        {"key_id": str(th.get("key_id")), "digests": th["digests"]} if ok else None
    )
    fps = fit.get("training_fingerprints") or []  # unkeyed, in files of older versions
    model.training_fingerprints_ = [str(x) for x in fps] if isinstance(fps, list) else []
    return model


def load_card(path: str | os.PathLike) -> dict | None:
    """The model card beside a model, or None if there is none."""
    _, _, cpath = model_paths(path)
    try:
        card = json.loads(cpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return card if isinstance(card, dict) and card.get("format") == CARD_FORMAT else None
