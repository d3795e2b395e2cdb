"""Nynorsk and English translations (locale/<lang>/LC_MESSAGES/django.po, compiled to django.mo).

The pages switch language through Django's set_language view (the switcher in base.html) or the language cookie;
the catalogues must be complete (no empty or fuzzy msgstr), keep every %(name)s placeholder, cover every string the
code marks for translation, and the committed .mo files must hold exactly what the .po files say. Numbers stay
Norwegian (`5 550 203`) in every language, because our own filters format them, not the locale.
"""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from kartlegg.surveys.services import import_questionnaire

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
TRANSLATED = ("nn", "en")
NBSP = "\N{NO-BREAK SPACE}"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%%|%[sd]")


# A small .po reader (no polib): enough for what makemessages writes


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())  # a .po string is a valid Python string literal


def read_po(path: Path) -> tuple[dict[str, str], list[PoEntry]]:
    """Return the header fields and the entries (obsolete `#~` entries are left out)."""
    entries: list[PoEntry] = []
    entry: PoEntry | None = None
    target: tuple[str, int] = ("", 0)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            entry = None if not line else entry
            continue
        if entry is None:
            entry = PoEntry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line):
            key, index, value = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
            target = (key, index)
            _append(entry, target, value, fresh=True)
        elif line.startswith('"'):
            _append(entry, target, _unquote(line), fresh=False)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    header_entry = next(e for e in entries if e.msgid == "")
    header = dict(line.split(": ", 1) for line in header_entry.msgstr[0].splitlines() if ": " in line)
    return header, [e for e in entries if e is not header_entry]


def _append(entry: PoEntry, target: tuple[str, int], value: str, *, fresh: bool) -> None:
    key, index = target
    if key == "msgid":
        entry.msgid = value if fresh else entry.msgid + value
    elif key == "msgid_plural":
        entry.msgid_plural = value if fresh else (entry.msgid_plural or "") + value
    elif key == "msgstr":
        entry.msgstr[index] = value if fresh else entry.msgstr[index] + value


def catalogue(lang: str) -> tuple[dict[str, str], list[PoEntry]]:
    return read_po(LOCALE / lang / "LC_MESSAGES" / "django.po")


def translation(lang: str, msgid: str) -> str:
    return next(e.msgstr[0] for e in catalogue(lang)[1] if e.msgid == msgid)


# What the code marks for translation (the same extraction makemessages does, without GNU gettext)

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy", "npgettext"}
PY_STRING = r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext|_)\(\s*({PY_STRING}(?:\s*,\s*{PY_STRING})*)")


def python_msgids(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in GETTEXT_NAMES:
            continue
        args = node.args[1:] if "pgettext" in name else node.args
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            found.add(args[0].value)
    return found


def template_msgids(source: str) -> set[str]:
    found = set()
    for match in TEMPLATE_CALL.finditer(templatize(source)):
        strings = ast.literal_eval(f"({match.group(2)},)")
        found.add(strings[1] if match.group(1).startswith(("pgettext", "npgettext")) else strings[0])
    return found


def source_msgids() -> dict[str, str]:
    """msgid -> first file that uses it, over the files makemessages reads (kartlegg/: .py, .html, .txt)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "kartlegg").rglob("*")):
        if "static" in path.parts or "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            msgids = python_msgids(path.read_text(encoding="utf-8"))
        elif path.suffix in {".html", ".txt"}:
            msgids = template_msgids(path.read_text(encoding="utf-8"))
        else:
            continue
        for msgid in msgids:
            found.setdefault(msgid, str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalogue_header_names_the_language_and_plural_rule(lang: str) -> None:
    header, _ = catalogue(lang)
    assert header["Language"] == lang
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_has_a_translation_that_is_not_fuzzy(lang: str) -> None:
    _, entries = catalogue(lang)
    assert len(entries) > 100
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries in {lang}: {fuzzy}"
    for entry in entries:
        want = 2 if entry.msgid_plural is not None else 1
        assert sorted(entry.msgstr) == list(range(want)), f"{lang} line {entry.line}: {entry.msgid!r}"
    empty = [f"line {e.line}: {e.msgid!r}" for e in entries if not all(s.strip() for s in e.msgstr.values())]
    assert not empty, f"untranslated in {lang} (run makemessages, translate, compilemessages): {empty}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_placeholders_and_line_breaks(lang: str) -> None:
    problems = []
    for entry in catalogue(lang)[1]:
        for index, text in entry.msgstr.items():
            source = entry.msgid_plural if index and entry.msgid_plural is not None else entry.msgid
            # A singular form may leave out the count ("ett flagg"), as the bokmål source does; nothing else may
            # differ, or the page raises KeyError or shows "%(name)s".
            allowed = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
            used = set(PLACEHOLDER.findall(text))
            may_drop = index == 0 and entry.msgid_plural is not None
            if not used <= allowed or (not may_drop and used != set(PLACEHOLDER.findall(source))):
                problems.append(f"line {entry.line} [{index}]: {sorted(used)} vs {sorted(allowed)}")
            if source.count("\n") != text.count("\n") or source.endswith(" ") != text.endswith(" "):
                problems.append(f"line {entry.line} [{index}]: line breaks or trailing space differ")
    assert not problems, problems


def test_both_catalogues_hold_the_same_msgids() -> None:
    nn = {(e.msgid, e.msgid_plural) for e in catalogue("nn")[1]}
    en = {(e.msgid, e.msgid_plural) for e in catalogue("en")[1]}
    assert nn == en, {"only nn": sorted(nn - en)[:5], "only en": sorted(en - nn)[:5]}


def test_every_string_marked_in_the_code_is_in_the_catalogues() -> None:
    marked = source_msgids()
    assert "Logg inn" in marked and "kommune" in marked  # the extraction itself works (a template and a model)
    for lang in TRANSLATED:
        known = {e.msgid for e in catalogue(lang)[1]}
        missing = sorted(f"{path}: {msgid!r}" for msgid, path in marked.items() if msgid not in known)
        assert not missing, f"not in {lang} catalogue (run makemessages, see docs/translations.md): {missing}"


def test_extraction_reads_plurals_context_and_implicit_concatenation() -> None:
    code = 'x = _("a" "b")\ny = ngettext("en", "flere", n)\nz = pgettext("ctx", "med")\nw = _(f"{v}")'
    assert python_msgids(code) == {"ab", "en", "med"}
    template = (
        '{% load i18n %}{% translate "Hei" %}{{ x|default:_("ingen") }}'
        "{% blocktranslate count n=k %}én ting{% plural %}{{ n }} ting{% endblocktranslate %}"
    )
    assert template_msgids(template) == {"Hei", "ingen", "én ting"}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogue_matches_the_po_file(lang: str) -> None:
    """The .mo is committed (a fresh machine may lack msgfmt), so it must be compiled from the current .po.

    Comparing content rather than file times: a git clone gives every file the checkout time, in any order."""
    mo = LOCALE / lang / "LC_MESSAGES" / "django.mo"
    assert mo.is_file(), f"{mo} is missing: run compilemessages"
    with mo.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue(lang)[1]:
        if entry.msgid_plural is None:
            ok = compiled.gettext(entry.msgid) == entry.msgstr[0]
        else:
            ok = compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr[0]
            ok = ok and compiled.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstr[1]
        if not ok:
            stale.append(entry.msgid)
    assert not stale, f"{mo} is older than django.po (run compilemessages): {stale[:5]}"


def test_po_reader_reports_empty_and_fuzzy_entries(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: nn\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Hei %(name)s"\nmsgstr "Hei %(name)s"\n\n'
        'msgid "Lang "\n"tekst"\nmsgstr ""\n\n'
        'msgid "ett"\nmsgid_plural "%(n)s flagg"\nmsgstr[0] "eitt"\nmsgstr[1] "%(n)s flagg"\n\n'
        '#~ msgid "gammal"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )
    header, entries = read_po(po)
    assert header == {"Language": "nn"}
    assert [e.msgid for e in entries] == ["Hei %(name)s", "Lang tekst", "ett"]
    assert "fuzzy" in entries[0].flags and entries[1].msgstr == {0: ""}
    assert entries[2].msgid_plural == "%(n)s flagg" and entries[2].msgstr == {0: "eitt", 1: "%(n)s flagg"}


# (url, {language: strings that page must show}) — each string differs between at least two of the languages.
PAGES = {
    "home": (
        "/",
        {
            "nb": ["Hopp til hovedinnhold", "Logg inn", "Enheter og kart", "Spørreskjema"],
            "nn": ["Hopp til hovudinnhaldet", "Logg inn", "Einingar og kart", "Spørjeskjema"],
            "en": ["Skip to main content", "Log in", "Units and map", "Questionnaires"],
        },
    ),
    "login": (
        "/konto/logg-inn/",
        {
            "nb": ["Brukernavn", "Passord"],
            "nn": ["Brukarnamn", "Passord"],
            "en": ["Username", "Password", "<title>Log in – kartlegg</title>"],
        },
    ),
    "units": (
        "/geografi/?year=2024",
        {
            "nb": ["Rapporteringsenheter 2024", "Kilde: SSB, Kartverket, SKDE", "Filtrer enhetene"],
            "nn": ["Rapporteringseiningar 2024", "Kjelde: SSB, Kartverket, SKDE", "Filtrer einingane"],
            "en": ["Reporting units 2024", "Source: Statistics Norway (SSB), Kartverket, SKDE", "Filter the units"],
        },
    ),
    "surveys": (
        "/skjema/",
        {
            "nb": ["Pulsundersøkelse – sendes ut hver 14. dag", "Versjon"],
            "nn": ["Pulsundersøking – blir sendt ut kvar 14. dag", "Versjon"],
            "en": ["Pulse survey – sent out every 14 days", "Version"],
        },
    ),
}


def client_in(lang: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client


@pytest.fixture
def pulse_survey() -> None:
    import_questionnaire(ROOT / "questionnaires" / "pulse-2020.yaml")


def visible_html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["nb", *TRANSLATED])
@pytest.mark.parametrize("page", PAGES)
def test_page_shows_the_chosen_language(page: str, lang: str, pulse_survey: None) -> None:
    url, expected = PAGES[page]
    html = visible_html(client_in(lang).get(url))
    assert f'<html lang="{lang}"' in html
    missing = [text for text in expected[lang] if text not in html]
    assert not missing, f"{page} in {lang} lacks {missing}"
    others = {text for other, texts in expected.items() if other != lang for text in texts} - set(expected[lang])
    leaked = [text for text in others if text in html]
    assert not leaked, f"{page} in {lang} shows another language's {leaked}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "login", "units"])
def test_english_pages_show_no_bokmal_interface_text(page: str) -> None:
    """Every catalogue string whose English differs must be absent from the English page (data such as unit names
    is Norwegian by nature, so this runs on pages whose data is proper names and numbers only)."""
    html = visible_html(client_in("en").get(PAGES[page][0]))
    leftovers = [
        entry.msgid
        for entry in catalogue("en")[1]
        if entry.msgid_plural is None
        and len(entry.msgid) >= 8
        and entry.msgstr[0] != entry.msgid
        and re.search(rf"(?<![\w-]){re.escape(entry.msgid)}(?![\w-])", html)
    ]
    assert not leftovers, leftovers


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["nb", *TRANSLATED])
def test_numbers_stay_norwegian_in_every_language(lang: str) -> None:
    html = client_in(lang).get(PAGES["units"][0]).content.decode()
    assert f"5{NBSP}550{NBSP}203" in html  # folketallet 1. januar 2024, our own nb_number filter
    assert "5,550,203" not in html and "5.550.203" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", TRANSLATED)
def test_language_switcher_sets_the_language_for_later_pages(lang: str) -> None:
    client = Client()
    response = client.post(reverse("set_language"), {"language": lang, "next": "/geografi/?year=2024"})
    assert response.status_code == 302 and response["Location"] == "/geografi/?year=2024"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == lang
    html = visible_html(client.get("/"))
    assert f'<html lang="{lang}"' in html
    assert translation(lang, "Hopp til hovedinnhold") in html
    assert f'<option value="{lang}" lang="{lang}" selected>' in html
    # Each language is named in itself, whatever the page's language is.
    assert '<option value="en" lang="en"' in html and ">English</option>" in html
    assert ">Norsk (nynorsk)</option>" in html and ">Norsk (bokmål)</option>" in html
    client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    assert "Hopp til hovedinnhold" in visible_html(client.get("/"))


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["de", "xx", "", "nn<script>", "../en"])
def test_unknown_language_codes_keep_bokmal(bad: str) -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": bad, "next": "/"})
    html = visible_html(client.get("/"))
    assert '<html lang="nb"' in html and "Hopp til hovedinnhold" in html
    html = visible_html(client_in(bad).get("/"))
    assert '<html lang="nb"' in html and "Hopp til hovedinnhold" in html


@pytest.mark.django_db
def test_accept_language_header_picks_the_language() -> None:
    html = visible_html(Client().get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"))
    assert '<html lang="en"' in html and "Skip to main content" in html
    html = visible_html(Client().get("/", HTTP_ACCEPT_LANGUAGE="nn-NO,nn;q=0.9"))
    assert '<html lang="nn"' in html and "Hopp til hovudinnhaldet" in html


def test_settings_offer_exactly_the_compiled_languages() -> None:
    assert [code for code, _ in settings.LANGUAGES] == ["nb", *TRANSLATED]
    assert settings.LANGUAGE_CODE == "nb"
    assert LOCALE in [Path(p) for p in settings.LOCALE_PATHS]
