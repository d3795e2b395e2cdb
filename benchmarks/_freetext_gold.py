"""A Norwegian gold set for the free-text benchmark, generated deterministically (same seed, same set).

Written for the benchmark, in other words than the demo's answers (`demo_text.py`) and the codebook's examples, so
neither leaks into the evaluation. Each code has several phrasings with slots; answers also carry sentences that
use a code's words without meaning it (negations such as "dagtilbudet er ikke stengt", reopenings, contrasts),
and neutral filler. Gold codes are what a careful human coder would give.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SERVICES = ["dagsenteret", "aktivitetshuset", "møteplassen", "arbeidstreningen", "lavterskeltilbudet", "treffstedet"]
GROUPS = ["samtalegruppene", "kursene i depresjonsmestring", "selvhjelpsgruppene", "gruppetilbudene", "turgruppa"]
PARTNERS = ["DPS", "BUP", "sykehuset", "spesialisthelsetjenesten", "poliklinikken"]
TASKS = ["smittesporing", "testing", "koronatelefonen", "vaksinering", "hjemmetjenesten", "sykehjemmet"]

POSITIVE: dict[str, list[str]] = {
    "tjenester.omdisponert": [
        "Flere av våre ansatte ble flyttet over til {task}.",
        "Vi måtte avgi personell til {task} i flere uker.",
        "To miljøterapeuter ble lånt ut til {task}, noe som reduserte kapasiteten.",
        "Psykiatritjenesten mistet folk fordi de ble satt til {task}.",
        "Ansatte har i perioder jobbet med {task} i stedet for sine vanlige oppgaver.",
        "Noe av bemanningen ble omdisponert til {task}.",
    ],
    "tjenester.dagtilbud_stengt": [
        "{service} holdt stengt fra midten av mars.",
        "{group} ble avlyst.",
        "Vi stengte {service} og satte {group} på pause.",
        "Både {service} og {group} har vært stengt.",
        "{service} måtte stenge dørene, og brukerne mistet et fast holdepunkt.",
        "Alle gruppebaserte aktiviteter ble lagt ned i perioden.",
    ],
    "tjenester.telefon_ute": [
        "Oppfølgingen foregikk i stor grad per telefon.",
        "Vi ringte brukerne jevnlig i stedet for å møtes.",
        "Samtalene ble flyttet ut, gjerne som turer i nærområdet.",
        "Mange samtaler ble tatt på telefon eller gående utendørs.",
        "Hjemmebesøk ble byttet ut med telefonkontakt.",
        "Vi møtte brukerne ute i frisk luft fremfor på kontoret.",
    ],
    "tjenester.video": [
        "Vi hadde ikke utstyr til videokonsultasjoner da det startet.",
        "Det tok lang tid å få på plass en godkjent videoløsning.",
        "Video fungerte dårlig for mange av brukerne våre.",
        "Flere brukere har ikke PC eller nettbrett og kunne ikke bruke video.",
        "Videosamtaler ble prøvd, men teknikken sviktet ofte.",
    ],
    "tjenester.sykeste_prioritert": [
        "Vi konsentrerte innsatsen om dem med størst behov.",
        "De dårligste brukerne fikk fortsatt fysiske besøk.",
        "Brukere med alvorlige lidelser ble prioritert, andre fikk mindre oppfølging.",
        "Tilbudet ble skjermet for de mest alvorlig syke.",
        "Vi måtte prioritere hardt og ga de sykeste førsteprioritet.",
    ],
    "brukere.sarbar_ungdom": [
        "Vi er urolige for ungdommer som allerede slet før skolene stengte.",
        "Helsesykepleier har mistet kontakten med flere elever.",
        "Sårbare unge har falt utenfor når skole og fritidstilbud ble borte.",
        "Vi frykter at barn og unge i vanskelige hjem ikke blir sett.",
        "Skolehelsetjenesten når ikke ut til de unge som trenger det mest.",
    ],
    "brukere.isolasjon_symptomer": [
        "Flere brukere har blitt mer engstelige og deprimerte av å sitte alene.",
        "Ensomheten har gitt forverring hos mange av de sykeste.",
        "Vi ser mer angst og uro hos brukere som er isolert.",
        "Noen har fått tilbakefall og trengt innleggelse etter lang tid alene.",
        "Isolasjonen har gått hardt ut over den psykiske helsen til brukerne.",
    ],
    "brukere.rus": [
        "Enkelte brukere drikker mer enn før.",
        "Vi ser at rusbruken har økt hos noen.",
        "Flere har økt forbruket av alkohol og piller.",
        "Noen av brukerne med rusproblemer har hatt tilbakefall.",
    ],
    "brukere.mindre_fastlege": [
        "Det har vært vanskelig å få time hos fastlegen.",
        "Brukerne har vært lite hos legen i denne perioden.",
        "Fastlegene har redusert konsultasjonene, og oppfølgingen av somatisk helse har blitt dårligere.",
        "Flere har ikke møtt til legetimer de hadde.",
    ],
    "brukere.noen_bedre": [
        "Noen brukere forteller at de har det bedre med færre krav.",
        "Enkelte har faktisk blomstret når hverdagen ble roligere.",
        "For noen har det vært en lettelse å slippe sosiale forventninger.",
        "Et par brukere har klart seg bedre enn vi fryktet, og satt pris på roen.",
    ],
    "samarbeid.internt_bedre": [
        "Samarbeidet med NAV og barnevernet har blitt tettere.",
        "Tjenestene i kommunen har funnet hverandre på en ny måte.",
        "Vi har fått et bedre samarbeid på tvers av enhetene i kommunen.",
        "Krisen har gitt kortere vei mellom helsestasjonen, skolen og psykisk helse.",
    ],
    "samarbeid.farre_moter_spesialist": [
        "Møtene med {partner} har stort sett vært avlyst.",
        "Det har vært mindre kontakt med {partner} enn normalt.",
        "Ansvarsgruppemøtene med {partner} ble utsatt.",
        "Samarbeidet med {partner} har vært vanskeligere, med få felles møter.",
    ],
    "samarbeid.stengte_sengeposter": [
        "{partner} stengte sengeplasser, og flere brukere ble skrevet ut tidlig.",
        "Det har vært svært vanskelig å få innlagt brukere fordi plasser var stengt.",
        "Sengeposten ved DPS var stengt i flere uker.",
        "Færre døgnplasser i spesialisthelsetjenesten ga mer press på kommunen.",
    ],
    "henvisninger.faerre": [
        "Det har kommet langt færre henvisninger enn vanlig.",
        "Nye henvendelser gikk ned i mars og april.",
        "Vi har hatt en klar nedgang i antall nye brukere.",
        "Søknadene om tjenester stoppet nesten helt opp.",
        "Vi mottok få nye saker i perioden.",
    ],
    "henvisninger.kun_alvorlige": [
        "Bare de mest alvorlige sakene fikk oppstart.",
        "Vi tok kun inn akutte saker i perioden.",
        "Nye saker ble lagt på vent med mindre de var alvorlige.",
        "Kun hastesaker ble startet opp de første ukene.",
    ],
}
# Sentences that use a code's words without meaning it: negations, reopenings and contrasts. No gold code.
DISTRACTORS = [
    "Dagtilbudet er ikke stengt, men har færre plasser.",
    "{service} har ikke vært stengt, vi har bare delt brukerne i mindre grupper.",
    "{service} har åpnet igjen som normalt.",
    "Ingen ansatte ble omdisponert hos oss.",
    "Vi har ikke flyttet ansatte til {task}.",
    "Vi har ikke sett økt rusbruk.",
    "Rusbruken har ikke økt så langt vi kan se.",
    "Det har ikke vært færre henvisninger enn vanlig.",
    "Henvisningene har holdt seg stabile.",
    "Vi har ikke merket noen økning i angst eller depresjon.",
    "Video har fungert godt for de fleste.",
    "Møtene med {partner} har gått som før, bare på Teams.",
    "Samarbeidet med {partner} har fungert godt.",
    "Vi har ikke hatt behov for å prioritere bort noen brukere.",
    "Ingen sengeposter ble stengt i vårt område.",
]
FILLER = [
    "Situasjonen har vært krevende.",
    "Vi har fulgt de nasjonale rådene.",
    "Ansatte har vist stor fleksibilitet.",
    "Det er for tidlig å si noe sikkert om de langsiktige følgene.",
    "Kommunen har hatt få smittetilfeller.",
    "Vi har laget nye rutiner for smittevern.",
]
IRRELEVANT = [
    "Ingen kommentar.",
    "Vet ikke.",
    "Se svar i forrige undersøkelse.",
    "Vi har ikke oversikt over dette ennå.",
    "Kontaktpersonen er i permisjon, svar ettersendes.",
]
CHANCE = {
    "tjenester.omdisponert": 0.35,
    "tjenester.dagtilbud_stengt": 0.55,
    "tjenester.telefon_ute": 0.6,
    "tjenester.video": 0.25,
    "tjenester.sykeste_prioritert": 0.3,
    "brukere.sarbar_ungdom": 0.3,
    "brukere.isolasjon_symptomer": 0.35,
    "brukere.rus": 0.18,
    "brukere.mindre_fastlege": 0.14,
    "brukere.noen_bedre": 0.12,
    "samarbeid.internt_bedre": 0.22,
    "samarbeid.farre_moter_spesialist": 0.22,
    "samarbeid.stengte_sengeposter": 0.12,
    "henvisninger.faerre": 0.3,
    "henvisninger.kun_alvorlige": 0.15,
}
OTHER = "annet"


@dataclass(frozen=True)
class GoldAnswer:
    id: str
    text: str
    codes: tuple[str, ...]


def _fill(template: str, rng: random.Random) -> str:
    text = template.format(
        service=rng.choice(SERVICES),
        group=rng.choice(GROUPS),
        partner=rng.choice(PARTNERS),
        task=rng.choice(TASKS),
    )
    return text[0].upper() + text[1:]


def gold_set(n: int = 400, seed: int = 2020) -> list[GoldAnswer]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if rng.random() < 0.06:
            out.append(GoldAnswer(f"g{i:05d}", rng.choice(IRRELEVANT), (OTHER,)))
            continue
        codes = [code for code, chance in CHANCE.items() if rng.random() < chance]
        if not codes:
            codes = [rng.choice(list(CHANCE))]
        sentences = [_fill(rng.choice(POSITIVE[c]), rng) for c in codes]
        if rng.random() < 0.45:
            sentences.insert(rng.randrange(len(sentences) + 1), _fill(rng.choice(DISTRACTORS), rng))
        if rng.random() < 0.35:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(FILLER))
        out.append(GoldAnswer(f"g{i:05d}", " ".join(sentences), tuple(sorted(codes))))
    return out
