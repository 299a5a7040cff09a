"""Over the network: a feed-agnostic safe HTTP client, and RSS/Atom feeds on top of it.

The only subpackage that opens network connections (the ``fetch`` command).
"""

from __future__ import annotations

from discourse.http.client import (
    USER_AGENT,
    Fetcher,
    FetchError,
    Response,
    check_url,
    forbidden_reason,
)
from discourse.http.feeds import (
    DEFAULT_BUDGET,
    FeedResult,
    FeedSpec,
    FetchReport,
    fetch_feeds,
    load_feeds,
    parse_feed,
    refuse_entity_declarations,
)

__all__ = [
    "DEFAULT_BUDGET",
    "USER_AGENT",
    "FeedResult",
    "FeedSpec",
    "FetchError",
    "FetchReport",
    "Fetcher",
    "Response",
    "check_url",
    "fetch_feeds",
    "forbidden_reason",
    "load_feeds",
    "parse_feed",
    "refuse_entity_declarations",
]
