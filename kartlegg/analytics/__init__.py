"""Statistics for kartlegg: pure functions on plain data (no ORM), so every figure can be tested by hand.

measures  sums, per-capita rates, change, shares with suppression, medians, quartiles, median/MAD
levels    units grouped into nation, county, RHF, HF, DPS area, size group, KOSTRA group, municipality, unit
series    a variable followed through questionnaire versions; values harmonised to one structure year
imputation  non-response: carry the last reported value forward (or not), with counts
headline  the headline årsverk series per level and year
cube      a result cube (dimensions × values × status) that every format is rendered from
jsonstat  JSON-stat 2.0 and CSV;  px  PC-Axis
"""
