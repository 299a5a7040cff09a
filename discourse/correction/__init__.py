"""Shares corrected for measurement error: validation samples, error rates, corrected shares.

A lexicon or classifier misses some frame sentences and flags some that are not.
When a researcher codes a *validation sample* of sentences by hand, the method's
sensitivity (share of true frame sentences it flags) and specificity (share of
non-frame sentences it leaves alone) can be estimated, and the share it reports
(``q``) corrected for them. Pure functions over arrays; numpy and scipy only.

* **Design.** The validation sample is stratified (by source and by what the method
  predicts) and each coded row carries its sampling weight: the inverse of its
  inclusion probability, ``N_h / n_h`` for a stratum of ``N_h`` sentences of which
  ``n_h`` were coded. Every estimate from the sample is weighted, so oversampling
  the sentences the method flags does not bias anything.
* **Error rates**: design-weighted sensitivity and specificity per frame, per source
  when every source has enough coded positives and negatives of the frame, else
  pooled over sources (with a note). Interval: Wilson's score interval on Kish's
  effective sample size ``(sum w)^2 / sum w^2`` of the positives (negatives).
* **Correction**: the adjusted classify-and-count (Rogan & Gladen 1978; Forman 2008)
  ``p = (q + spec - 1) / (sens + spec - 1)``, clipped to [0, 1] and flagged
  *unstable* when ``sens + spec - 1 < 0.2`` (the correction then divides by a small,
  noisy number). With calibrated classifier probabilities the same formula on soft
  counts gives the probabilistic version (PCC and adjusted PCC, Bella et al. 2010):
  ``q`` is the mean probability, ``sens`` the mean probability among true positives,
  ``1 - spec`` the mean probability among true negatives.
* **Interval**: a seeded percentile bootstrap that resamples both the articles of
  each source (clusters of sentences, so ``q`` carries its sampling error) and the
  validation sample (rows within their strata, so ``sens`` and ``spec`` carry theirs).
  Every group shares the same validation replicates (replicate b resamples the validation
  rows once for all groups), so groups such as the periods of a trend stay comparable.
* **Article prevalence** (the share of articles with the frame) is corrected the same
  way from a validation sample of whole articles (a ``unit`` column "article", drawn by
  ``label --validation N --unit article``): each article counts once, ``q`` is the share
  of articles in which the method finds the frame, ``sens`` and ``spec`` are the
  article-level rates, and the bootstrap resamples articles and validation rows.
"""

from __future__ import annotations

from discourse.correction.bootstrap import (
    SourceCounts,
    corrected_shares,
    probability_source_counts,
)
from discourse.correction.comparisons import (
    CountsCollector,
    attach,
    attach_probabilistic,
    correction_label,
    correction_meta,
)
from discourse.correction.estimators import (
    CONF,
    MIN_NEG,
    MIN_POS,
    SHRINK,
    UNSTABLE_J,
    error_rates,
    evaluation_rates,
    kish_neff,
    required_positives,
    rogan_gladen,
    rogan_gladen_array,
    shrunk_rates,
    weighted_rates,
    wilson_neff,
)
from discourse.correction.sample import (
    MAX_VALIDATION_BYTES,
    PRED_PREFIX,
    PROB_PREFIX,
    UNITS,
    ValidationSample,
    check_classes,
    check_design,
    check_labels_unit,
    check_method,
    check_unit,
    file_unit,
    read_validation,
    read_weights,
    sample_from_arrays,
    stratum_label,
    validation_from_rows,
)
from discourse.correction.sampling import (
    allocate,
    draw_stratified,
)

__all__ = [
    "CONF",
    "CountsCollector",
    "MAX_VALIDATION_BYTES",
    "MIN_NEG",
    "MIN_POS",
    "PRED_PREFIX",
    "PROB_PREFIX",
    "SHRINK",
    "SourceCounts",
    "UNITS",
    "UNSTABLE_J",
    "ValidationSample",
    "allocate",
    "attach",
    "attach_probabilistic",
    "check_classes",
    "check_design",
    "check_labels_unit",
    "check_method",
    "check_unit",
    "corrected_shares",
    "correction_label",
    "correction_meta",
    "draw_stratified",
    "error_rates",
    "evaluation_rates",
    "file_unit",
    "kish_neff",
    "probability_source_counts",
    "read_validation",
    "read_weights",
    "required_positives",
    "rogan_gladen",
    "rogan_gladen_array",
    "sample_from_arrays",
    "shrunk_rates",
    "stratum_label",
    "validation_from_rows",
    "weighted_rates",
    "wilson_neff",
]
