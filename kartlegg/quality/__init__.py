"""Quality assurance: find the errors in a round, follow them up with the units, and lock a versioned dataset.

checks/    pure check functions on plain data (no ORM), registered by name and configured per questionnaire version
loader     reads a round (and last year's answers, harmonised to this year's codes) into that plain data
services   runs the checks and keeps the flags in step; flag transitions; queries to units; locking and versions
metrics    follow-up figures for the methods chapter (pure)
"""
