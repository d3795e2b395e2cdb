"""The pulse app's services; callers use `from kartlegg.pulse import services`.

- series: starting a series and pausing, resuming, extending and stopping it (audited); the gate for series.
- schedule: the idempotent, catch-up-safe schedule that opens, reminds and closes waves.
- data: a series' waves as plain data for the trends, and each wave's response counts.
- reporting: the quick report of a closed wave, built through the report machinery; publishing it.
"""

from .data import SeriesData, WaveCounts, read_series, wave_counts
from .reporting import build_quick_report, get_report_for_user, is_public, submit_for_review, visible_reports
from .schedule import ScheduleReport, late_count, next_event, next_wave_date, run_schedule
from .series import ACTIONS, PulseError, change_series, get_series_for_user, series_for_user, start_series

__all__ = [
    "ACTIONS",
    "PulseError",
    "ScheduleReport",
    "SeriesData",
    "WaveCounts",
    "build_quick_report",
    "change_series",
    "get_report_for_user",
    "get_series_for_user",
    "late_count",
    "next_event",
    "next_wave_date",
    "is_public",
    "submit_for_review",
    "read_series",
    "run_schedule",
    "series_for_user",
    "start_series",
    "visible_reports",
    "wave_counts",
]
