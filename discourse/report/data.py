"""What a report shows: the period it covers and :class:`ReportData`, plain data, no rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

from discourse.scoring import ScoreStats

# ---------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """The stretch of time a report covers, and the folder name it gets."""

    label: str  # "2026-W47", "2026-11", "2026-11-23_2026-11-30", "until-2026-11-22", "all"
    kind: str  # "week" | "month" | "range" | "all"
    since: str | None  # first day, inclusive (None: from the first article)
    until: str | None  # last day, inclusive (None: up to the last article)
    end: str | None = None  # last day for display and trend ranges (``until`` or today)

    @property
    def description(self) -> str:
        span = _span_text(self.since, self.end if self.until is None else self.until)
        if self.kind == "week":
            return f"ISO week {self.label} ({span})"
        if self.kind == "month":
            return f"month {self.label} ({span})"
        if self.kind == "all":
            return "all articles" + (f" up to {self.until}" if self.until else "")
        return span

    @property
    def phrase(self) -> str:
        """The period inside a sentence: "No articles in <phrase>"."""
        if self.kind == "all":
            return "the selection" + (f" up to {self.until}" if self.until else "")
        return self.description

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "kind": self.kind,
            "since": self.since,
            "until": self.until,
            "description": self.description,
        }


def _span_text(a: str | None, b: str | None) -> str:
    if a and b:
        return f"{a} to {b}"
    if a:
        return f"from {a}"
    if b:
        return f"up to {b}"
    return "all dates"


# ------------------------------------------------------------------------ data


@dataclass
class ReportData:
    """Everything a report shows. Lists of flat dicts, JSON-safe (missing values are None)."""

    period: Period
    provenance: dict
    frames: list[str]
    frame_labels: dict[str, str]
    sources: list[str]  # sources with articles in the period
    by: tuple[str, ...]
    compare_meta: dict  # exactly compare_sources' meta
    records: list[dict]  # exactly compare_sources' Comparison.records
    tests: list[dict]  # exactly compare_sources' Comparison.tests
    leaders: list[dict]
    pairwise: list[dict]
    changes: list[dict]  # flagged departures (per source and all sources) in the period
    baseline: list[dict]  # all sources: this period vs the trailing baseline, per frame
    keyness: dict[str, list[dict]]  # source -> top terms
    examples: list[dict]
    trend: list[dict]  # per source, period and frame (plus "all sources")
    trend_periods: list[str]
    focus_periods: list[str]
    trend_meta: dict
    articles: list[dict]
    score_stats: ScoreStats = field(default_factory=ScoreStats)
    notes: list[str] = field(default_factory=list)

    @property
    def n_articles(self) -> int:
        return int(self.compare_meta.get("n_articles") or 0)

    @property
    def empty(self) -> bool:
        return self.n_articles == 0

    @property
    def title(self) -> str:
        return f"Framing report: {self.period.description}"

    def summary_line(self, path) -> str:
        """The one line ``discourse report`` prints on stderr after writing ``path``."""
        st = self.score_stats
        return (
            f"wrote {path}/ · {self.period.description} · {self.n_articles} articles from "
            f"{len(self.sources)} outlets · scored {st.scored}, cached {st.cached}"
            + (" · no articles in the period: the report says so" if self.empty else "")
        )

    def summary(self) -> dict:
        """The content of ``summary.json``."""
        return {
            "title": self.title,
            "period": self.period.to_dict(),
            "provenance": self.provenance,
            "empty": self.empty,
            "notes": self.notes,
            "score_stats": {
                "scored": self.score_stats.scored,
                "cached": self.score_stats.cached,
            },
            "frames": [{"name": f, "label": self.frame_labels.get(f, f)} for f in self.frames],
            "sources": self.sources,
            "headline": {
                "leaders": self.leaders,
                "changes": self.changes,
                "baseline": self.baseline,
            },
            "comparison": {
                "meta": self.compare_meta,
                "records": self.records,
                "tests": self.tests,
            },
            "pairwise": self.pairwise,
            "keyness": self.keyness,
            "examples": self.examples,
            "trend": {
                "meta": self.trend_meta,
                "periods": self.trend_periods,
                "focus_periods": self.focus_periods,
                "records": self.trend,
            },
            "n_article_rows": len(self.articles),
        }
