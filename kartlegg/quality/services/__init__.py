"""QA services, one module per subject; callers use `from kartlegg.quality import services`.

- flags: run the checks and keep the flags in step, move flags through their states, figures for the methods chapter.
- queries: an analyst asks a unit about its flags; the unit answers or corrects.
- versions: locking a round into a data version, corrections after the lock, snapshots.
"""

from .flags import (
    BulkResult,
    FlagError,
    RunReport,
    after_submit,
    bulk_transition,
    config_for,
    flags_for_analyst,
    metrics_for_round,
    run_checks,
    run_checks_for_response,
    sync_flags,
    transition,
)
from .queries import (
    QueryError,
    ReplyResult,
    get_query_for_user,
    open_queries_for_response,
    reply,
    send_queries_per_unit,
    send_query,
)
from .versions import (
    VersionError,
    correct_locked,
    current_data_version,
    lock_round,
    values_for_version,
    verify_version,
    version_label,
)

__all__ = [
    "BulkResult",
    "FlagError",
    "QueryError",
    "ReplyResult",
    "RunReport",
    "VersionError",
    "after_submit",
    "bulk_transition",
    "config_for",
    "correct_locked",
    "current_data_version",
    "flags_for_analyst",
    "get_query_for_user",
    "lock_round",
    "metrics_for_round",
    "open_queries_for_response",
    "reply",
    "run_checks",
    "run_checks_for_response",
    "send_queries_per_unit",
    "send_query",
    "sync_flags",
    "transition",
    "values_for_version",
    "verify_version",
    "version_label",
]
