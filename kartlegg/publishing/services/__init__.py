"""Publishing's database side, one module per subject:

- access: who sees which publication (public once its time has come; analysts and reviewers preview).
- workflow: create, submit, approve (four eyes), schedule, unschedule, publish now (the API other apps use).
- corrections, reissue: corrected versions, and rebuilding a report after a data correction.
- due: recording scheduled publications as published (the worker and `manage.py publish_due`).
- datayear: the year's statistics published at the same moment as its report.
- topics: topic pages and their live key figures. subscriptions, notices: e-mail notices (double opt-in).
"""

from kartlegg.publishing.services.access import (
    can_preview,
    get_publication_for_user,
    newest_versions,
    public_publications,
    visible_publications,
)
from kartlegg.publishing.services.corrections import correct
from kartlegg.publishing.services.datayear import PublishingError
from kartlegg.publishing.services.due import publish_due
from kartlegg.publishing.services.workflow import (
    approve,
    can_publish,
    create_from_report,
    create_publication,
    four_eyes,
    publish_now,
    reopen,
    schedule,
    submit,
    unschedule,
    update,
)

__all__ = [
    "PublishingError",
    "approve",
    "can_preview",
    "can_publish",
    "correct",
    "create_from_report",
    "create_publication",
    "four_eyes",
    "get_publication_for_user",
    "newest_versions",
    "public_publications",
    "publish_due",
    "publish_now",
    "reopen",
    "schedule",
    "submit",
    "unschedule",
    "update",
    "visible_publications",
]
