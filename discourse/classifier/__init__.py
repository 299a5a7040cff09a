"""A trained frame classifier, validated the way content analysts validate coders.

The only subpackage that imports scikit-learn, and the only one that reads or writes
model files. Callers import from here; the modules follow the banners of the work:

* :mod:`~discourse.classifier.features` — word tokens and lexicon hits, as everywhere
  else in the tool;
* :mod:`~discourse.classifier.estimator` — :class:`FrameClassifier`, a scikit-learn
  estimator (TF-IDF words and characters, optional lexicon counts, one logistic
  regression per frame, thresholds chosen inside the training data);
* :mod:`~discourse.classifier.labels` — the labels CSV (``doc_id``, ``text``, one 0/1
  column per frame), validated with one clear message per problem;
* :mod:`~discourse.classifier.metrics` — precision, recall, F1, Cohen's kappa,
  Krippendorff's alpha;
* :mod:`~discourse.classifier.validation` — k-fold cross-validation grouped by
  ``doc_id``, next to the lexicon and a majority baseline on the same folds;
* :mod:`~discourse.classifier.modelfile` — ``MODEL.json`` + ``MODEL.npz`` (loaded with
  ``allow_pickle=False``) + ``MODEL.card.json``; never pickle;
* :mod:`~discourse.classifier.predict` — probabilities per sentence, fields per article;
* :mod:`~discourse.classifier.training` — :func:`train`, weak supervision included;
* :mod:`~discourse.classifier.evaluation` — :func:`evaluate` against gold labels.
"""

from __future__ import annotations

from discourse.classifier.estimator import (
    FrameClassifier,
    best_threshold,
    platt_scaling,
    text_fingerprint,
)
from discourse.classifier.evaluation import EvalResult, eval_records, evaluate
from discourse.classifier.features import (
    lexicon_hits,
    lexicon_predict,
    neighbour_context,
    word_tokens,
)
from discourse.classifier.labels import LabelSet, load_labels
from discourse.classifier.metrics import cohen_kappa, krippendorff_alpha_nominal, prf
from discourse.classifier.modelfile import (
    CARD_FORMAT,
    FORMAT,
    load_card,
    load_model,
    model_paths,
    save_model,
)
from discourse.classifier.predict import (
    article_fields,
    classify_articles,
    classify_sentences,
    sentence_fields,
)
from discourse.classifier.training import (
    CIRCULAR_WARNING,
    TrainResult,
    lexicon_labels,
    recipe_params,
    train,
    train_from,
)
from discourse.classifier.validation import (
    CORE_FRAMES,
    CVResult,
    check_groups,
    cross_validate,
    cv_records,
    grouped_folds,
)

__all__ = [
    "neighbour_context",
    "platt_scaling",
    "CARD_FORMAT",
    "CIRCULAR_WARNING",
    "CORE_FRAMES",
    "CVResult",
    "EvalResult",
    "FORMAT",
    "FrameClassifier",
    "LabelSet",
    "TrainResult",
    "article_fields",
    "best_threshold",
    "check_groups",
    "classify_articles",
    "classify_sentences",
    "cohen_kappa",
    "cross_validate",
    "cv_records",
    "eval_records",
    "evaluate",
    "grouped_folds",
    "krippendorff_alpha_nominal",
    "lexicon_hits",
    "lexicon_labels",
    "lexicon_predict",
    "load_card",
    "load_labels",
    "load_model",
    "model_paths",
    "prf",
    "save_model",
    "sentence_fields",
    "text_fingerprint",
    "train",
    "train_from",
    "recipe_params",
    "word_tokens",
]
