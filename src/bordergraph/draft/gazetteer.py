"""Mentions of records: the loaded graph as gazetteer, plus people and organisations it does not know yet.

Hand-written with ``re``: named-entity recognisers on PyPI (spaCy, flair, stanza) need model
downloads; here the names come from the graph itself (labels, alternative labels, names,
names printed in sources) and new names from the way releases print them ("Secretary of
Homeland Security Janet Napolitano", "Marc Garneau, Minister of Transport",
"World Customs Organization (WCO)").
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace

from rdflib import RDF, RDFS, Dataset, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from bordergraph.draft.text import fold
from bordergraph.prefixes import BG, BGR, ORG, SCHEMA

PERSON, ORGANISATION, PLACE, POST, OTHER = "person", "organisation", "place", "post", "other"
AGENTS = (PERSON, ORGANISATION)

TITLE_WORDS = {
    "Secretary", "Minister", "President", "Premier", "Ambassador", "Commissioner", "Director", "Chief", "Governor",
    "Senator", "Honourable", "Honorable", "Mr", "Mrs", "Ms", "Dr", "Deputy", "Attorney", "General", "Prime",
    "Chancellor", "Mayor", "Representative", "Administrator",
}  # fmt: skip
_SURNAME_TITLES = r"(?:Secretary|Minister|President|Premier|Ambassador|Commissioner|Director|Governor|Senator|" \
    r"Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Chancellor|Mayor|Administrator)"  # fmt: skip
# Capitalised words that are never part of a person's name in these texts.
_NOT_NAME = TITLE_WORDS | {
    "The", "A", "An", "Of", "And", "For", "To", "In", "On", "At", "By", "With", "Today", "Yesterday", "Department",
    "Homeland", "Security", "Public", "Safety", "Emergency", "Preparedness", "Immigration", "Customs", "Border",
    "Enforcement", "Canadian", "American", "Canada", "United", "States", "Royal", "National", "Police", "Office",
    "Foreign", "Affairs", "Transport", "Refugees", "Citizenship", "Government", "Agency", "Service", "Services",
    "Protection", "Quick", "Facts", "Quotes", "News", "Release", "Information", "Contact", "Contacts", "Media",
    "Relations", "Press", "Page", "Joint", "Statement", "Washington", "Ottawa", "January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October", "November", "December", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Both", "This", "These", "That", "Following", "As",
    "Secretary's", "Minister's", "Releases", "Announce", "Announces", "Discuss", "Discusses", "Meet", "Meets",
}  # fmt: skip
_ORG_HEADS = {
    "Organization", "Organisation", "Office", "Agency", "Department", "Police", "Enforcement", "Protection",
    "Service", "Services", "Ministry", "Commission", "Council", "Bureau", "Administration", "Guard", "Court",
    "Parliament", "Congress", "Forces", "Secretariat", "Institute", "Union", "Interpol", "Nations",
}  # fmt: skip
_CAP = r"(?:U\.S\.|[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*|[A-Z]\.|UN|EU)"
_CAP_RUN = re.compile(_CAP + r"(?:[ ]" + _CAP + r")*")
_ORG_RUN = re.compile(
    r"(?:the\s+)?(?P<name>" + _CAP + r"(?:\s+(?:of|and|for|on|the|of the)?\s*" + _CAP + r")*)"
    r"(?:\s+\((?P<acronym>[A-Z]{2,8})\))?"
)
_ALL_CAPS = re.compile(r"\b[A-Z]{3,}\b")


@dataclass(frozen=True)
class Mention:
    """Words in the text naming a record (known to the graph, or proposed as new)."""

    start: int
    end: int
    iri: URIRef
    kind: str
    label: str
    new: bool = False


def slugify(words: str) -> str:
    """Lower-case ASCII words joined by ``-``; single-letter initials dropped ("Ahmed D. Hussen" → ahmed-hussen)."""
    ascii_words = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii").lower()
    return "-".join(w for w in re.findall(r"[a-z0-9]+", ascii_words) if len(w) > 1 or w.isdigit())


@dataclass
class Gazetteer:
    """Names → records, with the kind of each record."""

    names: dict[str, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    kinds: dict[URIRef, str] = field(default_factory=dict)
    labels: dict[URIRef, str] = field(default_factory=dict)
    surnames: dict[str, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    classes: dict[URIRef, URIRef] = field(default_factory=dict)  # one declared class, for describing it again

    def add(self, iri: URIRef, name: str, kind: str) -> None:
        """Record that ``name`` names ``iri``."""
        name = fold(name.strip())
        if len(name) < 2:
            return
        self.names[name].add(iri)
        self.kinds.setdefault(iri, kind)
        self.labels.setdefault(iri, name)
        if kind == PERSON and " " in name:
            self.surnames[name.split()[-1]].add(iri)

    @classmethod
    def from_dataset(cls, data: Dataset) -> Gazetteer:
        """Every typed record of ``data`` (source documents and facts aside) under all its names."""
        gaz = cls()
        supers: dict[URIRef, set[URIRef]] = defaultdict(set)
        for sub, sup in data.subject_objects(RDFS.subClassOf):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef):
                supers[sub].add(sup)

        def closure(cls_iri: URIRef) -> set[URIRef]:
            seen, todo = {cls_iri}, [cls_iri]
            while todo:
                for sup in supers.get(todo.pop(), ()):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            return seen

        skip = {BG.SourceDocument, BG.EvidencedFact, URIRef("http://www.w3.org/ns/oa#Annotation"), SKOS.Concept}
        types: dict[URIRef, set[URIRef]] = defaultdict(set)
        for subject, cls_iri in sorted(data.subject_objects(RDF.type)):
            if isinstance(subject, URIRef) and isinstance(cls_iri, URIRef) and str(subject).startswith(str(BGR)):
                types[subject] |= closure(cls_iri)
                if str(cls_iri).startswith(str(BG)) or subject not in gaz.classes:
                    gaz.classes.setdefault(subject, cls_iri)
                    if str(cls_iri).startswith(str(BG)) and not str(gaz.classes[subject]).startswith(str(BG)):
                        gaz.classes[subject] = cls_iri
        for subject, classes in types.items():
            if classes & skip:
                continue
            if FOAF.Person in classes:
                kind = PERSON
            elif ORG.Organization in classes:
                kind = ORGANISATION
            elif BG.Place in classes or SCHEMA.Place in classes:
                kind = PLACE
            elif ORG.Post in classes:
                kind = POST
            else:
                kind = OTHER
            gaz.kinds[subject] = kind
        for subject, kind in list(gaz.kinds.items()):
            for prop in (RDFS.label, FOAF.name, SKOS.altLabel, DCTERMS.title):
                for value in sorted(str(v) for v in data.objects(subject, prop)):
                    gaz.add(subject, value, kind)
            for note in data.objects(subject, SKOS.editorialNote):
                for printed in re.findall(r"Printed as '([^']{2,80})'", str(note)):
                    gaz.add(subject, re.sub(r"^the ", "", printed), kind)
        for printed_prop, link in ((BG.publisherAsStated, DCTERMS.publisher), (BG.placeOfIssueAsStated,
                                                                              SCHEMA.locationCreated)):  # fmt: skip
            for source, printed in data.subject_objects(printed_prop):
                for target in data.objects(source, link):
                    if isinstance(target, URIRef) and target in gaz.kinds:
                        gaz.add(target, str(printed), gaz.kinds[target])
        return gaz


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _known(text: str, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    out: list[Mention] = []
    for name in sorted(gaz.names, key=len, reverse=True):
        flags = re.IGNORECASE if name.islower() else 0
        for m in re.finditer(r"(?<![\w])" + re.escape(name) + r"(?![\w])", text, flags):
            if not _free(taken, *m.span()):
                continue
            iris = sorted(gaz.names[name])
            if len(iris) != 1:
                continue  # ambiguous name: the draft lists it in a comment, not as a mention
            taken.append(m.span())
            out.append(Mention(m.start(), m.end(), iris[0], gaz.kinds[iris[0]], gaz.labels[iris[0]]))
    return out


def _new_people(text: str, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    out: list[Mention] = []
    for run in _CAP_RUN.finditer(text):
        tokens = [(t.start() + run.start(), t.group(0)) for t in re.finditer(r"\S+", run.group(0))]
        lead = 0
        while lead < len(tokens) and tokens[lead][1].rstrip(".") in _NOT_NAME | {"U.S"}:
            lead += 1
        name_tokens = tokens[lead:]
        if not 2 <= len(name_tokens) <= 4 or any(t.rstrip(".") in _NOT_NAME for _, t in name_tokens):
            continue
        if not re.fullmatch(r"[A-Z][a-z]+", name_tokens[0][1]) or not re.fullmatch(
            r"[A-Z][a-z'-]+", name_tokens[-1][1]
        ):
            continue
        start, end = name_tokens[0][0], name_tokens[-1][0] + len(name_tokens[-1][1])
        before = text[max(0, start - 60) : start]
        titled = any(t.rstrip(".,") in TITLE_WORDS for t in before.split()[-6:]) or (
            lead > 0 and any(t.rstrip(".") in TITLE_WORDS for _, t in tokens[:lead])
        )
        appositive = re.match(r",\s+(?:the\s+)?(?:U\.S\.\s+|Canadian\s+)?(?:[A-Z][a-z]+\s+){0,3}(?:" +
                              "|".join(sorted(TITLE_WORDS)) + r")\b", text[end : end + 80])  # fmt: skip
        if not (titled or appositive) or not _free(taken, start, end):
            continue
        name = text[start:end]
        iri = _lookup(gaz, name) or BGR[slugify(name)]
        taken.append((start, end))
        gaz.add(iri, name, PERSON)
        out.append(Mention(start, end, iri, gaz.kinds[iri], gaz.labels[iri]))
    return out


def _surnames(text: str, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    out: list[Mention] = []
    for m in re.finditer(r"\b" + _SURNAME_TITLES + r"\s+([A-Z][a-z'-]+)\b(?!\s+[A-Z][a-z])", text):
        iris = gaz.surnames.get(m.group(1), set())
        if len(iris) != 1 or not _free(taken, m.start(1), m.end(1)):
            continue
        iri = next(iter(iris))
        taken.append(m.span(1))
        out.append(Mention(m.start(1), m.end(1), iri, PERSON, gaz.labels[iri]))
    return out


def _lookup(gaz: Gazetteer, name: str) -> URIRef | None:
    iris = gaz.names.get(name, set())
    return next(iter(iris)) if len(iris) == 1 else None


def _org_head(words: list[str], after: str) -> bool:
    """An organisation's name ends in its head noun ("… Police") or names it before "of" ("Office of …")."""
    if re.match(r"\s+(?:program|programs|initiative|teams?|plan)\b", after):
        return False
    if words[-1] in _ORG_HEADS:
        return True
    return any(w in _ORG_HEADS and nxt == "of" for w, nxt in itertools.pairwise(words))


def _coordinated(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split "A Agency and U.S. B Protection" into its names; keep "Immigration and Customs Enforcement" whole."""
    parts: list[tuple[int, int]] = []
    cursor = start
    for m in re.finditer(r" and (?=[A-Z])", text[start:end]):
        parts.append((cursor, start + m.start()))
        cursor = start + m.end()
    parts.append((cursor, end))
    merged = [parts[0]]
    for s, e in parts[1:]:
        left = text[merged[-1][0] : merged[-1][1]]
        right = text[s:e]
        person = re.fullmatch(r"[A-Z][a-z]+(?: [A-Z]\.)?(?: [A-Z][a-z]+){1,2}", left) and not set(left.split()) & (
            _NOT_NAME | _ORG_HEADS
        )
        if left.split()[-1] in _ORG_HEADS or right.startswith(("U.S.", "The ")) or person:
            merged.append((s, e))
        else:
            merged[-1] = (merged[-1][0], e)
    return merged


def _bare_surnames(text: str, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    """A surname alone ("Quillfeather and Brambleton"), when exactly one person known so far bears it."""
    out: list[Mention] = []
    for m in re.finditer(r"(?<![A-Z][a-z]\s)(?<![A-Z][a-z]{2}\s)\b([A-Z][a-z'-]{2,})\b(?!\s+[A-Z])", text):
        iris = gaz.surnames.get(m.group(1), set())
        if len(iris) != 1 or not _free(taken, *m.span()) or re.search(r"[A-Z][a-z]+\s+$", text[: m.start()][-30:]):
            continue
        iri = next(iter(iris))
        taken.append(m.span())
        out.append(Mention(m.start(), m.end(), iri, PERSON, gaz.labels[iri]))
    return out


def _new_organisations(text: str, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    out: list[Mention] = []
    acronyms: dict[str, tuple[URIRef, str]] = {}
    for m in _ORG_RUN.finditer(text):
        for start, end in _coordinated(text, m.start("name"), m.end("name")):
            words = text[start:end].split()
            while words and words[-1] in TITLE_WORDS:  # "… Security Secretary": the title is not part of the name
                words.pop()
            if words and words[0] in ("The", "the"):
                start += len(words.pop(0)) + 1
            for size in range(len(words), 1, -1):  # a known name at the start wins ("… Security Releases …")
                if " ".join(words[:size]) in gaz.names:
                    words = words[:size]
                    break
            if len(words) < 2 or not _org_head(words, text[end : end + 12]):
                continue
            name = " ".join(words)
            end = start + len(name)
            if text[start:end] != name or not _free(taken, start, end):
                continue
            acronym = m.group("acronym") if end == m.end("name") else None
            iri = _lookup(gaz, name) or BGR[acronym.lower() if acronym else slugify(name)]
            taken.append((start, end))
            gaz.add(iri, name, ORGANISATION)
            out.append(Mention(start, end, iri, gaz.kinds[iri], gaz.labels[iri]))
            if acronym:
                acronyms[acronym] = (iri, name)
    for m in re.finditer(r"\b[A-Z]{2,8}\b", text):
        if m.group(0) in acronyms and _free(taken, *m.span()):
            iri, name = acronyms[m.group(0)]
            taken.append(m.span())
            out.append(Mention(m.start(), m.end(), iri, ORGANISATION, name, new=True))
    return out


def _capitals(text: str, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    out: list[Mention] = []
    for m in _ALL_CAPS.finditer(text):  # a name printed in capitals alone ("INTERPOL")
        line = text[text.rfind("\n", 0, m.start()) + 1 : text.find("\n", m.end()) if "\n" in text[m.end() :] else None]
        if line.upper() == line or not _free(taken, *m.span()) or re.match(r"\s*[-—–]", text[m.end() : m.end() + 3]):
            continue
        name = m.group(0)
        iri = _lookup(gaz, name) or BGR[name.lower()]
        taken.append(m.span())
        gaz.add(iri, name, ORGANISATION)
        out.append(Mention(m.start(), m.end(), iri, gaz.kinds[iri], gaz.labels[iri]))
    return out


def find_mentions(text: str, gaz: Gazetteer) -> list[Mention]:
    """Mentions of known records first (longest names win), then new people and organisations.

    New records are added to ``gaz`` so that later references ("Secretary Nielsen") resolve.
    """
    folded = fold(text)
    known = set(gaz.kinds)
    taken: list[tuple[int, int]] = []
    found = _new_organisations(folded, gaz, taken)
    found += _new_people(folded, gaz, taken)
    found += _known(folded, gaz, taken)
    found += _capitals(folded, gaz, taken)
    found += _surnames(folded, gaz, taken)
    found += _bare_surnames(folded, gaz, taken)
    return sorted((replace(m, new=m.iri not in known) for m in found), key=lambda m: m.start)
