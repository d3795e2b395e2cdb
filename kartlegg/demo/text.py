"""Invented Norwegian free-text answers for the demo: what the pandemic did to the services (2020).

The themes follow the codebook of the real April 2020 pre-survey (docs/demo.md): consequences for the services, for the
service users, for collaboration and for referrals. Each theme has several wordings; an answer picks a few themes,
with chances that roughly match how often municipalities mentioned them, and writes one sentence for each. Which
themes went into an answer is returned too, so the free-text coding can be checked against a known truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    code: str
    label: str
    chance: float  # how often an answer mentions it
    sentences: tuple[str, ...]


THEMES: tuple[Theme, ...] = (
    Theme(
        "tjenester.omdisponert",
        "Ansatte omdisponert",
        0.45,
        (
            "Flere ansatte ble omdisponert til smittesporing og koronatelefonen.",
            "Vi måtte låne ut ansatte til testing og vaksinering, så kapasiteten ble redusert.",
            "Deler av personalet ble flyttet til hjemmetjenesten og sykehjemmet i de første ukene.",
        ),
    ),
    Theme(
        "tjenester.dagtilbud_stengt",
        "Dag- og gruppetilbud stengt",
        0.7,
        (
            "Dagsenteret og alle gruppetilbud ble stengt fra mars.",
            "Aktivitetstilbudet og lavterskeltilbudet var stengt i lange perioder.",
            "Gruppebaserte tilbud som kurs i mestring av depresjon ble avlyst.",
            "Møteplassen og arbeidstreningen ble stengt, og brukerne mistet et viktig holdepunkt i hverdagen.",
        ),
    ),
    Theme(
        "tjenester.telefon_ute",
        "Telefon og samtaler utendørs",
        0.8,
        (
            "Mye av oppfølgingen skjedde på telefon eller som gåturer ute.",
            "Vi byttet til samtaler på telefon og møttes utendørs der det var mulig.",
            "Hjemmebesøk ble erstattet av telefonsamtaler og korte møter på trappa.",
        ),
    ),
    Theme(
        "tjenester.video",
        "Video ikke alltid på plass",
        0.3,
        (
            "Videokonsultasjon var ikke på plass, og det tok tid å få utstyr og avklart personvern.",
            "Noen brukere manglet utstyr eller ferdigheter til å bruke video.",
            "Vi tok i bruk video, men løsningen var ustabil og passet ikke for alle.",
        ),
    ),
    Theme(
        "tjenester.sykeste_prioritert",
        "De sykeste prioritert",
        0.35,
        (
            "De sykeste ble prioritert for fysisk oppfølging.",
            "Vi prioriterte brukere med alvorlig psykisk lidelse og rusproblemer, mens andre fikk et redusert tilbud.",
            "Brukere i bolig med bemanning fikk fortsatt oppfølging, mens øvrige fikk mindre.",
        ),
    ),
    Theme(
        "brukere.sarbar_ungdom",
        "Bekymring for sårbar ungdom",
        0.4,
        (
            "Vi er bekymret for sårbar ungdom som har falt ut av skole og fritidsaktiviteter.",
            "Helsesykepleierne har hatt mindre kontakt med elevene, og vi frykter at noen ikke blir fanget opp.",
            "Ungdom som fra før strevde, har blitt mer isolert.",
        ),
    ),
    Theme(
        "brukere.isolasjon_symptomer",
        "Økte symptomer av isolasjon",
        0.45,
        (
            "Flere brukere har fått økte symptomer på grunn av isolasjon og ensomhet.",
            "Isolasjonen har gitt mer angst og depresjon hos dem som var sykest fra før.",
            "Noen brukere har blitt dårligere og hatt behov for innleggelse.",
        ),
    ),
    Theme(
        "brukere.rus",
        "Økt rusbruk",
        0.2,
        (
            "Vi ser økt rusbruk hos enkelte brukere.",
            "Noen med rusproblemer har hatt et høyere forbruk i perioden.",
        ),
    ),
    Theme(
        "brukere.mindre_fastlege",
        "Mindre kontakt med fastlege",
        0.15,
        (
            "Brukerne har hatt mindre kontakt med fastlegen.",
            "Fastlegene har hatt færre konsultasjoner, og noen brukere har ikke fått fornyet resepter i tide.",
        ),
    ),
    Theme(
        "brukere.noen_bedre",
        "Noen har det bedre",
        0.12,
        (
            "Noen brukere opplever det som godt med færre krav og forventninger.",
            "Enkelte har klart seg overraskende godt og satt pris på roen.",
        ),
    ),
    Theme(
        "samarbeid.internt_bedre",
        "Bedre samarbeid internt",
        0.3,
        (
            "Samarbeidet internt i kommunen har blitt bedre.",
            "Krisen har ført oss tettere sammen med NAV, barnevernet og helsestasjonen.",
            "Vi har fått kortere vei mellom tjenestene i kommunen.",
        ),
    ),
    Theme(
        "samarbeid.farre_moter_spesialist",
        "Færre møter med spesialisthelsetjenesten",
        0.25,
        (
            "Det har vært færre samarbeidsmøter med DPS og spesialisthelsetjenesten.",
            "Ansvarsgruppemøter ble utsatt eller holdt på telefon.",
            "Samarbeidet med BUP og DPS har vært mer krevende.",
        ),
    ),
    Theme(
        "samarbeid.stengte_sengeposter",
        "Stengte sengeposter",
        0.1,
        (
            "Sengeposter ved DPS ble stengt, og vi fikk ansvar for brukere som ellers ville vært innlagt.",
            "Det var vanskeligere å få brukere innlagt fordi sykehuset hadde stengt plasser.",
        ),
    ),
    Theme(
        "henvisninger.faerre",
        "Færre henvisninger",
        0.35,
        (
            "Vi har fått færre henvendelser og henvisninger enn vanlig.",
            "Antall nye henvendelser falt kraftig i mars og april.",
            "Det kom færre søknader om tjenester i perioden.",
        ),
    ),
    Theme(
        "henvisninger.kun_alvorlige",
        "Kun alvorlige saker tatt inn",
        0.15,
        (
            "Vi tok bare inn de mest alvorlige sakene.",
            "Nye saker ble vurdert strengere, og bare akutte saker fikk oppstart.",
        ),
    ),
)
OPENERS = (
    "",
    "",
    "Koronasituasjonen har påvirket tjenestene våre mye. ",
    "Kort oppsummert: ",
    "Pandemien har gitt store endringer i tilbudet. ",
    "Situasjonen har vært krevende for både brukere og ansatte. ",
)
CLOSERS = (
    "",
    "",
    "",
    " Vi er i ferd med å åpne opp igjen gradvis.",
    " Vi forventer et etterslep når samfunnet åpner igjen.",
    " Ansatte har vært fleksible og løsningsorienterte.",
)


@dataclass(frozen=True)
class FreeText:
    text: str
    themes: tuple[str, ...]


def covid_answer(rng: random.Random) -> FreeText:
    """One municipality's answer to «Kan dere kort gi en beskrivelse av konsekvensene av koronasituasjonen for
    målgruppene?»: 1–6 themes, each as one sentence, in the codebook's order, with an optional opening and close."""
    chosen = [theme for theme in THEMES if rng.random() < theme.chance]
    if not chosen:
        chosen = [rng.choice(THEMES)]
    if len(chosen) > 6:
        chosen = sorted(rng.sample(chosen, 6), key=THEMES.index)
    sentences = [rng.choice(theme.sentences) for theme in chosen]
    text = rng.choice(OPENERS) + " ".join(sentences) + rng.choice(CLOSERS)
    return FreeText(text.strip(), tuple(theme.code for theme in chosen))


PULSE_LATER = (
    "Dagtilbudet har åpnet igjen, men med færre deltakere per gruppe.",
    "Vi er tilbake til nesten vanlig drift, med avstand og smittevern.",
    "Fortsatt noe redusert kapasitet fordi ansatte er i karantene.",
    "Henvisningene er på vei opp igjen, og vi ser mer alvorlige tilstander enn før.",
    "Gruppetilbudene er delvis i gang igjen utendørs.",
)


def pulse_answer(rng: random.Random, wave: int) -> FreeText:
    """A short comment in a pulse wave: the first waves sound like the April answers, later ones like reopening."""
    if wave <= 1 or rng.random() < 1 / wave:
        return covid_answer(rng)
    text = " ".join(rng.sample(PULSE_LATER, rng.randint(1, 2)))
    return FreeText(text, ("pulse.gjenåpning",))


GENERIC_COMMENTS = (
    "Ingen særskilte kommentarer.",
    "Tallene er hentet fra lønnssystemet og kvalitetssikret av enhetslederne.",
    "Noen stillinger var vakante ved rapporteringstidspunktet.",
    "Vi har slått sammen to enheter i år, og fordelingen på tiltak er derfor noe usikker.",
    "Årsverk for ledelse er skjønnsmessig fordelt.",
    "Tjenesten er organisert i et interkommunalt samarbeid; våre årsverk er beregnet etter innbyggertall.",
)

CHALLENGES = (
    "Det er vanskelig å rekruttere psykologer og sykepleiere med videreutdanning.",
    "Mangel på egnede boliger for personer med rus- og psykiske lidelser.",
    "Lange ventetider for barn og unge, og for lite kapasitet i skolehelsetjenesten.",
    "Brukere med samtidig rus og psykisk lidelse (ROP) trenger mer tilrettelagte tjenester.",
    "Det er krevende å gi et godt nok tilbud til personer som ikke ønsker hjelp.",
    "Små fagmiljø og store avstander gjør det vanskelig å gi et likeverdig tilbud.",
    "For få aktivitets- og arbeidstilbud for voksne.",
    "Samarbeidet med spesialisthelsetjenesten om utskrivning kan bli bedre.",
)


def generic_comment(rng: random.Random, challenge: bool = False) -> str:
    if challenge:
        return " ".join(rng.sample(CHALLENGES, rng.randint(1, 2)))
    return rng.choice(GENERIC_COMMENTS)
