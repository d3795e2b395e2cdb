"""The words of the narrative rules (narrative.py) in bokmål, nynorsk and English. The rules decide what is said;
these are only the phrasings. Every language has every key (tests/test_reports_narrative.py checks it)."""

from __future__ import annotations

from typing import Any

NB: dict[str, Any] = {
    "peer": "{name} har {value} {what}",
    "peer_higher": "høyere enn {peers}",
    "peer_lower": "lavere enn {peers}",
    "peer_same": "om lag som {peers}",
    "level": "{subject} var {value} {unit} i {year}.",
    "break": "På grunn av brudd i tidsserien kan tallet for {year} ikke sammenlignes med {previous}.",
    "up": "{subject} økte med {pct} prosent fra {previous} til {value} {unit} i {year}.",
    "down": "{subject} gikk ned med {pct} prosent fra {previous} til {value} {unit} i {year}.",
    "flat": "{subject} var uendret fra {previous} til {year} ({value} {unit}).",
    "up_units": "{subject} økte med {amount} {unit} fra {previous} til {value} {unit} i {year}.",
    "down_units": "{subject} gikk ned med {amount} {unit} fra {previous} til {value} {unit} i {year}.",
    "total_up": "Det rapporteres om en vekst i årsverk på totalt {pct} prosent",
    "total_down": "Det rapporteres om en nedgang i årsverk på totalt {pct} prosent",
    "total_flat": "Det rapporteres om uendret antall årsverk totalt",
    "split": ", fordelt på {parts}",
    "part_up": "{pct} prosents økning i tjenester til {group}",
    "part_down": "{pct} prosents nedgang i tjenester til {group}",
    "part_flat": "ingen endring i tjenester til {group}",
    "and": " og ",
    "growth_stronger": "Veksten er sterkere enn veksten {years}.",
    "growth_weaker": "Veksten er svakere enn veksten {years}.",
    "growth_same": "Veksten er på linje med veksten {years}.",
    "years_count": ["året før", "de to siste årene", "de tre siste årene"],
    "capita": "Når vi tar hensyn til befolkningsutviklingen, er det {what} i årsverk pr. innbygger i tjenester til "
    "{group}.",
    "capita_flat": "ingen endring",
    "capita_up": "en økning",
    "capita_down": "en nedgang",
    "capita_small_up": "en liten økning",
    "capita_small_down": "en liten nedgang",
    "share_one": "{pct} prosent av kommunene {subject} i {year} (N = {n}).",
    "share_up": "Andelen kommuner som {subject}, økte fra {first} prosent i {first_year} (N = {n_first}) til {last} "
    "prosent i {year} (N = {n}).",
    "share_down": "Det er en nedgang i andelen kommuner som {subject}, fra {first} prosent i {first_year} "
    "(N = {n_first}) til {last} prosent i {year} (N = {n}).",
    "share_flat": "Andelen kommuner som {subject}, er om lag den samme i {year} ({last} prosent, N = {n}) som i "
    "{first_year} ({first} prosent, N = {n_first}).",
    "extremes": "{what} er høyest i {top} ({high}) og lavest i {bottom} ({low}).",
    "extremes_equal": "{what} er den samme i alle områdene.",
    "cumulative_up": "Fra {first_year} til {year} økte {subject} med {pct} prosent.",
    "cumulative_down": "Fra {first_year} til {year} gikk {subject} ned med {pct} prosent.",
    "cumulative_flat": "Fra {first_year} til {year} var {subject} om lag uendret.",
    "imputed": "{n} kommuner og bydeler rapporterte ikke årsverk i {year}; for dem er de sist rapporterte tallene "
    "brukt.",
    "imputed_one": "{n} kommune eller bydel rapporterte ikke årsverk i {year}; for den er de sist rapporterte tallene "
    "brukt.",
    "includes_imputed": " (inkludert imputerte tall for enheter som ikke rapporterte)",
    "response": "{submitted} av {units} kommuner og bydeler svarte på kartleggingen for {year}, en svarprosent på "
    "{pct}.",
    "followup": "Kvalitetskontrollen ga {flags} merknader; {queried} av {units} enheter fikk spørsmål, og "
    "{corrected} rettet minst ett tall.",
    "followup_less": "Vi har i mindre grad enn tidligere år kontaktet kommunene med spørsmål.",
    "followup_more": "Vi har i større grad enn tidligere år kontaktet kommunene med spørsmål.",
    "theme_top": "Flest kommuner nevner «{theme}»: {count} av {n} kommuner med et kodet, relevant svar ({pct} "
    "prosent).",
    "theme_tie": "Flest kommuner nevner {themes}, {count} av {n} kommuner med et kodet, relevant svar hver ({pct} "
    "prosent).",
    "quoted": "«{label}»",
    "theme_quotes": "Eksempler på svar om «{theme}»: {quotes}",
}

NN: dict[str, Any] = {
    "peer": "{name} har {value} {what}",
    "peer_higher": "høgare enn {peers}",
    "peer_lower": "lågare enn {peers}",
    "peer_same": "om lag som {peers}",
    "level": "{subject} var {value} {unit} i {year}.",
    "break": "På grunn av brot i tidsserien kan talet for {year} ikkje samanliknast med {previous}.",
    "up": "{subject} auka med {pct} prosent frå {previous} til {value} {unit} i {year}.",
    "down": "{subject} gjekk ned med {pct} prosent frå {previous} til {value} {unit} i {year}.",
    "flat": "{subject} var uendra frå {previous} til {year} ({value} {unit}).",
    "up_units": "{subject} auka med {amount} {unit} frå {previous} til {value} {unit} i {year}.",
    "down_units": "{subject} gjekk ned med {amount} {unit} frå {previous} til {value} {unit} i {year}.",
    "total_up": "Det er rapportert ein vekst i årsverk på totalt {pct} prosent",
    "total_down": "Det er rapportert ein nedgang i årsverk på totalt {pct} prosent",
    "total_flat": "Det er rapportert uendra tal på årsverk totalt",
    "split": ", fordelt på {parts}",
    "part_up": "{pct} prosent auke i tenester til {group}",
    "part_down": "{pct} prosent nedgang i tenester til {group}",
    "part_flat": "inga endring i tenester til {group}",
    "and": " og ",
    "growth_stronger": "Veksten er sterkare enn veksten {years}.",
    "growth_weaker": "Veksten er svakare enn veksten {years}.",
    "growth_same": "Veksten er på linje med veksten {years}.",
    "years_count": ["året før", "dei to siste åra", "dei tre siste åra"],
    "capita": "Når vi tek omsyn til befolkningsutviklinga, er det {what} i årsverk per innbyggjar i tenester til "
    "{group}.",
    "capita_flat": "inga endring",
    "capita_up": "ein auke",
    "capita_down": "ein nedgang",
    "capita_small_up": "ein liten auke",
    "capita_small_down": "ein liten nedgang",
    "share_one": "{pct} prosent av kommunane {subject} i {year} (N = {n}).",
    "share_up": "Delen kommunar som {subject}, auka frå {first} prosent i {first_year} (N = {n_first}) til {last} "
    "prosent i {year} (N = {n}).",
    "share_down": "Det er ein nedgang i delen kommunar som {subject}, frå {first} prosent i {first_year} "
    "(N = {n_first}) til {last} prosent i {year} (N = {n}).",
    "share_flat": "Delen kommunar som {subject}, er om lag den same i {year} ({last} prosent, N = {n}) som i "
    "{first_year} ({first} prosent, N = {n_first}).",
    "extremes": "{what} er høgast i {top} ({high}) og lågast i {bottom} ({low}).",
    "extremes_equal": "{what} er den same i alle områda.",
    "cumulative_up": "Frå {first_year} til {year} auka {subject} med {pct} prosent.",
    "cumulative_down": "Frå {first_year} til {year} gjekk {subject} ned med {pct} prosent.",
    "cumulative_flat": "Frå {first_year} til {year} var {subject} om lag uendra.",
    "imputed": "{n} kommunar og bydelar rapporterte ikkje årsverk i {year}; for dei er dei sist rapporterte tala "
    "brukte.",
    "imputed_one": "{n} kommune eller bydel rapporterte ikkje årsverk i {year}; for den er dei sist rapporterte tala "
    "brukte.",
    "includes_imputed": " (inkludert imputerte tal for einingar som ikkje rapporterte)",
    "response": "{submitted} av {units} kommunar og bydelar svarte på kartlegginga for {year}, ein svarprosent på "
    "{pct}.",
    "followup": "Kvalitetskontrollen gav {flags} merknader; {queried} av {units} einingar fekk spørsmål, og "
    "{corrected} retta minst eitt tal.",
    "followup_less": "Vi har i mindre grad enn tidlegare år kontakta kommunane med spørsmål.",
    "followup_more": "Vi har i større grad enn tidlegare år kontakta kommunane med spørsmål.",
    "theme_top": "Flest kommunar nemner «{theme}»: {count} av {n} kommunar med eit koda, relevant svar ({pct} "
    "prosent).",
    "theme_tie": "Flest kommunar nemner {themes}, {count} av {n} kommunar med eit koda, relevant svar kvar ({pct} "
    "prosent).",
    "quoted": "«{label}»",
    "theme_quotes": "Døme på svar om «{theme}»: {quotes}",
}

EN: dict[str, Any] = {
    "peer": "{name} has {value} {what}",
    "peer_higher": "higher than {peers}",
    "peer_lower": "lower than {peers}",
    "peer_same": "about the same as {peers}",
    "level": "{subject} was {value} {unit} in {year}.",
    "break": "Because of a break in the series, the figure for {year} cannot be compared with {previous}.",
    "up": "{subject} rose by {pct} per cent from {previous} to {value} {unit} in {year}.",
    "down": "{subject} fell by {pct} per cent from {previous} to {value} {unit} in {year}.",
    "flat": "{subject} was unchanged from {previous} to {year} ({value} {unit}).",
    "up_units": "{subject} rose by {amount} {unit} from {previous} to {value} {unit} in {year}.",
    "down_units": "{subject} fell by {amount} {unit} from {previous} to {value} {unit} in {year}.",
    "total_up": "Full-time equivalents grew by {pct} per cent in total",
    "total_down": "Full-time equivalents fell by {pct} per cent in total",
    "total_flat": "The number of full-time equivalents was unchanged in total",
    "split": ", made up of {parts}",
    "part_up": "a {pct} per cent increase in services for {group}",
    "part_down": "a {pct} per cent decrease in services for {group}",
    "part_flat": "no change in services for {group}",
    "and": " and ",
    "growth_stronger": "The growth is stronger than the growth {years}.",
    "growth_weaker": "The growth is weaker than the growth {years}.",
    "growth_same": "The growth is in line with the growth {years}.",
    "years_count": ["the year before", "in the last two years", "in the last three years"],
    "capita": "Taking population change into account, there is {what} in full-time equivalents per inhabitant in "
    "services for {group}.",
    "capita_flat": "no change",
    "capita_up": "an increase",
    "capita_down": "a decrease",
    "capita_small_up": "a small increase",
    "capita_small_down": "a small decrease",
    "share_one": "{pct} per cent of the municipalities {subject} in {year} (N = {n}).",
    "share_up": "The share of municipalities that {subject} rose from {first} per cent in {first_year} "
    "(N = {n_first}) to {last} per cent in {year} (N = {n}).",
    "share_down": "The share of municipalities that {subject} fell from {first} per cent in {first_year} "
    "(N = {n_first}) to {last} per cent in {year} (N = {n}).",
    "share_flat": "The share of municipalities that {subject} is about the same in {year} ({last} per cent, "
    "N = {n}) as in {first_year} ({first} per cent, N = {n_first}).",
    "extremes": "{what} is highest in {top} ({high}) and lowest in {bottom} ({low}).",
    "extremes_equal": "{what} is the same in every area.",
    "cumulative_up": "From {first_year} to {year}, {subject} rose by {pct} per cent.",
    "cumulative_down": "From {first_year} to {year}, {subject} fell by {pct} per cent.",
    "cumulative_flat": "From {first_year} to {year}, {subject} was about unchanged.",
    "imputed": "{n} municipalities and city districts did not report in {year}; their latest reported figures are "
    "used.",
    "imputed_one": "{n} municipality or city district did not report in {year}; its latest reported figures are used.",
    "includes_imputed": " (including imputed figures for units that did not report)",
    "response": "{submitted} of {units} municipalities and city districts answered the survey for {year}, a response "
    "rate of {pct} per cent.",
    "followup": "Quality control raised {flags} flags; {queried} of {units} units were sent queries, and {corrected} "
    "corrected at least one figure.",
    "followup_less": "We contacted the municipalities with queries less than in earlier years.",
    "followup_more": "We contacted the municipalities with queries more than in earlier years.",
    "theme_top": "Most municipalities mention “{theme}”: {count} of {n} municipalities with a coded, relevant "
    "answer ({pct} per cent).",
    "theme_tie": "Most municipalities mention {themes}: {count} of {n} municipalities with a coded, relevant answer "
    "each ({pct} per cent).",
    "quoted": "“{label}”",
    "theme_quotes": "Examples of answers about “{theme}” (in Norwegian): {quotes}",
}

LANGUAGES: dict[str, dict[str, Any]] = {"nb": NB, "nn": NN, "en": EN}


def words(lang: str) -> dict[str, Any]:
    return LANGUAGES[lang]
