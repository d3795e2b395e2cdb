"""Collection services, one module per subject; callers use `from kartlegg.responses import services`. Every
channel (form, API, import, admin) goes through these functions, so the rules live here once.

- access: the permission gate (reaching a response or a round, the responses a user may see, whether a response
  can be changed now) and the row lock every write takes.
- saving: reading and saving answers with optimistic locking and an audit trail; undoing a batch.
- submitting: submitting and reopening.
- previous: last round's answers (beside each field, prefill).
- rounds: opening and locking rounds, status counts.
- validating: validating a response's values, after a save only what the save touched.
"""

from . import history
from .access import (
    NotWritable,
    get_response_for_user,
    get_round_for_user,
    lock_response,
    lock_response_for_user,
    read_response_for_user,
    responses_for_user,
    writable_reason,
)
from .previous import PreviousAnswers, prefill_from_previous, previous_round, previous_values
from .rounds import RoundError, lock_round, open_round, round_status_counts
from .saving import (
    ALREADY_SUBMITTED,
    MAX_TEXT_LENGTH,
    Conflict,
    SaveResult,
    StaleVersion,
    comment_codes,
    new_batch,
    parse_values,
    read_for_user,
    save_for_user,
    save_values,
    store_parsed,
    stored_values,
    typed_error,
    undo_batch,
    validate_response,
    values_from_rows,
)
from .submitting import SubmitResult, reopen, submit
from .validating import forget_validations, validate_values, validation_context

__all__ = [
    "history",
    "ALREADY_SUBMITTED",
    "MAX_TEXT_LENGTH",
    "Conflict",
    "NotWritable",
    "PreviousAnswers",
    "RoundError",
    "SaveResult",
    "StaleVersion",
    "SubmitResult",
    "comment_codes",
    "forget_validations",
    "get_response_for_user",
    "get_round_for_user",
    "lock_response",
    "lock_response_for_user",
    "lock_round",
    "new_batch",
    "open_round",
    "parse_values",
    "prefill_from_previous",
    "read_for_user",
    "read_response_for_user",
    "previous_round",
    "previous_values",
    "reopen",
    "responses_for_user",
    "round_status_counts",
    "save_for_user",
    "save_values",
    "store_parsed",
    "stored_values",
    "submit",
    "typed_error",
    "undo_batch",
    "validate_response",
    "validate_values",
    "validation_context",
    "values_from_rows",
    "writable_reason",
]
