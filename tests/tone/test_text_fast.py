"""The faster cleaning, folding, hint counting, term walk and rules give the old results.

Each function sped up is checked against a frozen copy of the code it replaced (below,
under "Reference"), over the evaluation set, the same texts as the benchmark sees them
("@Brand " first) and seeded random strings rich in what the prechecks and fast paths
are about: case folds ("K", "ſ", "İ"), ligatures, URL pieces, handles, HTML, control
characters, emoji and the lexicon's own words. The exactness of the prechecks in
``text.clean`` is checked over every code point.
"""

from __future__ import annotations

import html
import math
import random
import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from tone import analyzer as analyzer_module
from tone import language, lexicon, rules, text
from tone import sentiment as _sentiment
from tone.analyzer import Analyzer, get_analyzer
from tone.config import ToneConfig
from tone.eval import load_mentions
from tone.types import CATEGORIES, URGENCY_FLAGS, Analysis, UrgencyFlag

# --------------------------------------------------------------------------------------
# Reference: the implementations before the fast paths, copied unchanged.
# --------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]{0,200}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE_RE = re.compile(r"(?<![\w.])@\w{1,50}")
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]"
)
_SPACE_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_FOLD_TABLE = str.maketrans({"’": "'", "‘": "'", "`": "'", "œ": "oe", "æ": "ae", "ß": "ss"})


def _latin_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        if code in _FOLD_TABLE:
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch)
                         if not unicodedata.combining(c))
        if folded != ch and folded.isascii():
            table[code] = folded
    return table


_LATIN_TABLE = _latin_table()


def old_clean(value: str) -> str:
    if "<" in value or "&" in value:
        value = html.unescape(_TAG_RE.sub(" ", value))
    value = _CONTROL_RE.sub(" ", value)
    value = _URL_RE.sub(" ", value)
    value = _HANDLE_RE.sub(" ", value)
    return _SPACE_RE.sub(" ", value).strip()


def old_fold(value: str) -> str:
    value = value.lower().translate(_FOLD_TABLE)
    if value.isascii():
        return value
    value = value.translate(_LATIN_TABLE)
    if value.isascii():
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_emoji(ch: str) -> bool:
    return ord(ch) > 0x2000 and unicodedata.category(ch) == "So"


def old_tokens(value: str) -> list[str]:
    folded = old_fold(value)
    if folded.isascii():
        return _TOKEN_RE.findall(folded)
    out: list[str] = []
    for match in re.finditer(r"[a-z0-9]+|[^\sa-z0-9]", folded):
        tok = match.group()
        if tok[0].isascii():
            if tok[0].isalnum():
                out.append(tok)
        elif _is_emoji(tok):
            out.append(tok)
    return out


Element = tuple[str, str]
GAP = 4


def old_parse_term(term: str) -> tuple[Element, ...]:
    folded = old_fold(term.strip())
    parts = [p for p in re.split(r"[^a-z0-9*~\u2000-\U0010ffff]+", folded) if p]
    elems: list[Element] = []
    for part in parts:
        if part == "~":
            if elems and elems[-1][0] != "g":
                elems.append(("g", ""))
        elif part.endswith("*") and len(part) > 1:
            elems.append(("p", part[:-1]))
        else:
            elems.append(("w", part.rstrip("*")))
    while elems and elems[-1][0] == "g":
        elems.pop()
    return tuple(elems)


def _old_match_from(elems: tuple[Element, ...], toks: list[str], i: int, k: int) -> int:
    if k == len(elems):
        return i
    kind, value = elems[k]
    if kind == "g":
        for skip in range(GAP + 1):
            end = _old_match_from(elems, toks, i + skip, k + 1)
            if end >= 0:
                return end
        return -1
    if i >= len(toks):
        return -1
    tok = toks[i]
    if tok == value if kind == "w" else tok.startswith(value):
        return _old_match_from(elems, toks, i + 1, k + 1)
    return -1


def _old_match_rest(elems: tuple[Element, ...], toks: list[str], i: int) -> int:
    end = i + len(elems)
    if end > len(toks) or any(kind == "g" for kind, _ in elems):
        return _old_match_from(elems, toks, i, 0)
    for k in range(1, len(elems)):
        kind, value = elems[k]
        tok = toks[i + k]
        if (tok != value) if kind == "w" else not tok.startswith(value):
            return -1
    return end


class OldTermIndex:
    def __init__(self) -> None:
        self._terms: list[tuple[tuple[Element, ...], str, float]] = []
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._prefix_lengths: set[int] = set()
        self._where: dict[tuple[str, tuple[Element, ...]], int] = {}
        self._starts: dict[str, tuple[int, ...]] = {}

    def add(self, term: str, group: str, weight: float) -> None:
        elems = old_parse_term(term)
        if not elems or elems[0][0] == "g":
            return
        self._starts.clear()
        key = (group, elems)
        if key in self._where:
            idx = self._where[key]
            old = self._terms[idx]
            self._terms[idx] = (elems, group, max(old[2], float(weight)))
            return
        idx = len(self._terms)
        self._where[key] = idx
        self._terms.append((elems, group, float(weight)))
        kind, value = elems[0]
        if kind == "w":
            self._exact.setdefault(value, []).append(idx)
        else:
            self._prefix.setdefault(value, []).append(idx)
            self._prefix_lengths.add(len(value))

    def find(self, toks: list[str]) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        seen: set[int] = set()
        starts = self._starts
        for i, tok in enumerate(toks):
            candidates = starts.get(tok)
            if candidates is None:
                candidates = self._starting_at(tok)
            if not candidates:
                continue
            best: dict[str, tuple[int, int, int]] = {}
            for idx in candidates:
                elems, group, _ = self._terms[idx]
                end = i + 1 if len(elems) == 1 else _old_match_rest(elems, toks, i)
                if end < 0:
                    continue
                rank = (end, len(elems), idx)
                if group not in best or rank[:2] > best[group][:2]:
                    best[group] = rank
            for group, (end, _, idx) in best.items():
                if idx in seen:
                    continue
                seen.add(idx)
                out.setdefault(group, {})[" ".join(toks[i:end])] = self._terms[idx][2]
        return out

    def _starting_at(self, tok: str) -> tuple[int, ...]:
        candidates = list(self._exact.get(tok, ()))
        for n in sorted(self._prefix_lengths):
            if n > len(tok):
                break
            candidates.extend(self._prefix.get(tok[:n], ()))
        if len(self._starts) >= 50_000:
            self._starts.clear()
        found = self._starts[tok] = tuple(candidates)
        return found


def _old_merge(
    target: dict[str, float], terms: Mapping[str, Any] | Iterable[str], weight: float = 1.0
) -> None:
    items = terms.items() if isinstance(terms, Mapping) else ((t, weight) for t in terms)
    for term, wt in items:
        target[term] = max(float(wt), target.get(term, float("-inf")))


def old_build_index(config: ToneConfig) -> tuple[OldTermIndex, dict[str, frozenset[str]]]:
    cat_terms: dict[str, dict[str, float]] = {c: {} for c in CATEGORIES}
    urg_terms: dict[str, dict[str, float]] = {f: {} for f in URGENCY_FLAGS}
    hints: dict[str, frozenset[str]] = {}
    for name in lexicon.LEXICON_FILES:
        data = lexicon.load_json(name)
        for cat, terms in data.get("categories", {}).items():
            _old_merge(cat_terms[cat], terms)
        for flag, terms in data.get("urgency", {}).items():
            _old_merge(urg_terms[flag], terms)
        if data.get("hints"):
            hints[name] = frozenset(old_fold(w) for w in data["hints"])
    for _lang, cat, term, weight in config.extra_words:
        _old_merge(cat_terms[cat], {term: weight})
    for _lang, flag, term in config.extra_urgency:
        _old_merge(urg_terms[flag], [term])
    index = OldTermIndex()
    for cat, terms in cat_terms.items():
        for term, weight in terms.items():
            index.add(term, f"cat:{cat}", weight)
    for flag, terms in urg_terms.items():
        for term, weight in terms.items():
            index.add(term, f"urg:{flag}", weight)
    return index, hints


def old_detect(clean_text: str, tokens: list[str], hints: Mapping[str, frozenset[str]],
               detectors: Any) -> str:
    if not text.has_two_letters(clean_text):
        return "other"
    hits = {
        code: sum(1 for tok in tokens if tok in words)
        for code, words in hints.items()
        if code in ("fr", "en")
    }
    fr_hits, en_hits = hits.get("fr", 0), hits.get("en", 0)
    words = sum(1 for tok in tokens if tok.isalpha())
    for code, mine, theirs in (("fr", fr_hits, en_hits), ("en", en_hits, fr_hits)):
        if (
            mine >= language.FAST_MIN_HITS
            and mine >= language.FAST_MIN_SHARE * words
            and theirs <= language.FAST_MAX_OTHER_RATIO * mine
        ):
            return code
    full, quick = detectors
    ranked = language._scores(quick, clean_text, hits)
    if len(ranked) < 2 or ranked[0][0] - ranked[1][0] < language.QUICK_MARGIN:
        ranked = language._scores(full, clean_text, hits)
    if not ranked or ranked[0][0] <= 0.0:
        return "other"
    return ranked[0][1]


def old_category_scores(matches: dict[str, dict[str, float]]) -> dict[str, float]:
    return {
        group[4:]: sum(found.values()) for group, found in matches.items() if group[:4] == "cat:"
    }


def old_categorise(matches: dict[str, dict[str, float]], polarity: float) -> str:
    tie_order = rules.TIE_ORDER
    scores = old_category_scores(matches)
    ranked = sorted(tie_order, key=lambda c: (-scores.get(c, 0.0), tie_order.index(c)))
    best = ranked[0]
    if best == "praise":
        runner_up = ranked[1]
        praise_ok = (
            scores.get("praise", 0.0) >= scores.get(runner_up, 0.0) + rules.PRAISE_MARGIN
            and polarity > rules.PRAISE_MAX_NEGATIVITY
        )
        if not praise_ok:
            best = runner_up
    if scores.get(best, 0.0) < rules.MIN_SCORE:
        return "other"
    return best


def old_urgency_flags(matches: dict[str, dict[str, float]]) -> tuple[UrgencyFlag, ...]:
    flags: list[UrgencyFlag] = []
    for name in URGENCY_FLAGS:
        found = matches.get(f"urg:{name}")
        if found:
            flags.append(UrgencyFlag(name, tuple(found)))
    return tuple(flags)


class OldAnalyzer(Analyzer):
    """The analyser as it was: same sentiment and personal data, old everything else."""

    def __init__(self, config: ToneConfig | None = None) -> None:
        super().__init__(config)
        self._old_index, self._old_hints = old_build_index(self.config)

    def _prepare(self, value: str) -> tuple[str, list[str]]:
        cleaned = old_clean(value[: self.config.max_rule_chars])
        return cleaned, old_tokens(cleaned)

    def _language(self, cleaned: str, toks: list[str]) -> str:
        head = cleaned[: min(self.config.max_text_chars, analyzer_module.LANGUAGE_CHARS)]
        head_tokens = toks if len(cleaned) <= len(head) else old_tokens(head)
        return old_detect(head, head_tokens, self._old_hints, self._detectors)

    def analyse(self, value: str) -> Analysis:
        value = analyzer_module._as_text(value)
        cleaned, toks = self._prepare(value)
        lang = self._language(cleaned, toks)
        polarity, subjectivity = _sentiment.score(
            cleaned[: self.config.max_text_chars], lang, self._emoji
        )
        matches = self._old_index.find(toks)
        return Analysis(
            language=lang,
            polarity=polarity,
            subjectivity=subjectivity,
            category=old_categorise(matches, polarity),
            urgency=old_urgency_flags(matches),
            pii=tuple(self._pii.detect(value)),
        )


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------

EXTRA = ToneConfig.from_dict({
    "extra_words": {
        "fr": {"payment": {"cagnotte": 3, "virement ~ bloque*": 2.5, "colis": 0.25},
               "delivery": ["relais pickup", "point* relais", "livr*"],
               "praise": {"génial": 4, "merci": 5}},
        "en": {"fraud": {"fake ~ courier": 2, "scam*": 1.5}, "listing": ["ad", "ad ~ removed"]},
    },
    "extra_urgency": {"en": {"scam": ["fake courier", "wire ~ money"]},
                      "fr": {"safety": ["menace*", "je vais ~ tuer"]}},
})


def _lexicon_terms() -> list[str]:
    """Every raw term and hint of the data files ("*" and "~" kept) and of EXTRA."""
    out: list[str] = []
    for name in lexicon.LEXICON_FILES:
        data = lexicon.load_json(name)
        for section in ("categories", "urgency"):
            for terms in data.get(section, {}).values():
                out.extend(terms)
        out.extend(data.get("hints", []))
    out.extend(term for _, _, term, _ in EXTRA.extra_words)
    out.extend(term for _, _, term in EXTRA.extra_urgency)
    return sorted(set(out))


TERMS = _lexicon_terms()
PIECES = [
    "http://", "HTTPS://", "hTtPſ://", "https:/", "www.", "WWW.", "wWw.", "ww.", "t.co/",
    "@Brand", "@brand_fr", "@", "a@b.fr", ".@x", "x@", "<b>", "</b>", "<p>", "&amp;",
    "&#39;", "&eacute;", "&", "<", ">", "\x00", "\x07", "\x0b", "\x1f", "\x7f", "\u200b",
    "\u200e", "\ufeff", "\u2028", "\u2029", "\ud800", "\xa0", "\u3000", "\t", "\n", "\r",
    "😡", "🤬", "👍🏽", "♥", "❤️", "✈", "€", "£", "°", "…", "’", "‘", "`", "'", "\"", "e\u0301",
    "K", "ſ", "İ", "ı", "œ", "Œ", "æ", "ß", "ﬁ", "ﬂ", "ℌ", "Ⅻ", "²", "½", "Ǆ",
]
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâäùûüîïôöçÉÈÀÇÔ0123456789"
PUNCT = " .,;:!?()/-~*#$%+=_|"


def _random_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 18)):
            r = rng.random()
            if r < 0.3:
                parts.append(rng.choice(TERMS))
            elif r < 0.5:
                parts.append(rng.choice(PIECES))
            elif r < 0.8:
                parts.append("".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 8))))
            else:
                parts.append(rng.choice(PUNCT))
            if rng.random() < 0.6:
                parts.append(" ")
        value = "".join(parts)
        out.append(value.upper() if rng.random() < 0.05 else value)
    return out


EVAL_TEXTS = [row["text"] for row in load_mentions()]
SAMPLES = EVAL_TEXTS + [f"@Brand {t}" for t in EVAL_TEXTS] + _random_strings(20_000, seed=17)


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


def test_clean_prechecks_are_exact_over_every_code_point():
    chars = [chr(c) for c in range(0x110000)]
    # The URL pattern needs "://" or "www."; which characters can stand for those?
    for letter, allowed in (("w", "wW"), (":", ":"), ("/", "/"), (r"\.", ".")):
        pattern = re.compile(letter, re.IGNORECASE)
        assert [c for c in chars if pattern.fullmatch(c)] == sorted(allowed), letter
    # The control pattern removes only unprintable characters.
    assert not [c for c in chars if _CONTROL_RE.fullmatch(c) and c.isprintable()]
    # str.split() and \s+ agree on whitespace.
    space = re.compile(r"\s")
    assert not [c for c in chars if bool(space.fullmatch(c)) != c.isspace()]


def test_clean_fold_tokens_match_the_reference():
    for value in SAMPLES:
        assert text.clean(value) == old_clean(value), value
        assert text.fold(value) == old_fold(value), value
        assert text.tokens(value) == old_tokens(value), value
        cleaned = old_clean(value)
        assert text.tokens(cleaned) == old_tokens(cleaned), cleaned


def test_the_samples_reach_the_fast_paths():
    """The inputs exercise each precheck both ways, and the non-ASCII token path."""
    urls = sum(bool(_URL_RE.search(v)) for v in SAMPLES)
    controls = sum(bool(_CONTROL_RE.search(v)) for v in SAMPLES)
    non_ascii = sum(not old_fold(v).isascii() for v in SAMPLES)
    assert min(urls, controls, non_ascii) > 1000
    assert len(SAMPLES) - max(urls, controls, non_ascii) > 1000


def _ordered(found: dict[str, dict[str, float]]) -> list[tuple[str, list[tuple[str, float]]]]:
    # Order matters: urgency triggers keep it, and category sums add in it.
    return [(group, list(terms.items())) for group, terms in found.items()]


def _token_lists(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [tok for term in TERMS for tok in old_tokens(term)]
    fillers = ["de", "le", "pas", "est", "toujours", "a", "the", "is", "x", "1", "😡"]
    lists = [old_tokens(v) for v in SAMPLES]
    for _ in range(4000):
        toks: list[str] = []
        for _ in range(rng.randint(0, 20)):
            r = rng.random()
            if r < 0.35:
                toks.extend(old_tokens(rng.choice(TERMS)))
            elif r < 0.65:
                toks.append(rng.choice(words) + rng.choice(["", "", "s", "e", "ment", "x"]))
            else:
                toks.append(rng.choice(fillers))
        lists.append(toks)
    return lists


@pytest.mark.parametrize("config", [ToneConfig(), EXTRA], ids=["default", "extra-words"])
def test_term_index_matches_the_reference(config):
    new = lexicon.build_lexicon(config)
    old, old_hints = old_build_index(config)
    assert new.hints == old_hints
    hits = 0
    for toks in _token_lists(seed=23):
        expected = old.find(toks)
        assert _ordered(new.index.find(toks)) == _ordered(expected), toks
        hits += bool(expected)
    assert hits > 10_000, "the token lists reach the terms"


def test_term_index_adds_after_finds_match_the_reference():
    new, old = lexicon.TermIndex(), OldTermIndex()
    steps = [("colis", "cat:delivery", 1.0), ("colis ~ perdu", "cat:delivery", 2.0),
             ("col*", "cat:delivery", 0.5), ("colis", "cat:delivery", 3.0),
             ("colis", "cat:fraud", 0.5), ("colis perdu", "urg:scam", 1.0)]
    toks = ["mon", "colis", "est", "perdu", "colis", "perdu", "collant"]
    for term, group, weight in steps:
        new.add(term, group, weight)
        old.add(term, group, weight)
        assert _ordered(new.find(toks)) == _ordered(old.find(toks)), term


class _FakeDetector:
    """Deterministic confidences from the text, so that every branch of detect() runs
    without lingua's cost."""

    def __init__(self, salt: int) -> None:
        self.salt = salt

    def compute_language_confidence_values(self, value: str) -> list[Any]:
        seed = zlib.crc32(value.encode("utf-8", "surrogatepass")) * self.salt
        out = []
        for k, lang in enumerate(language.CANDIDATES):
            digit = (seed >> (3 * k)) % 11  # 0..10; 0 leaves the language out
            if digit:
                out.append(_Confidence(lang, digit / 10 - 0.35))
        return out


class _Confidence:
    def __init__(self, lang: Any, value: float) -> None:
        self.language, self.value = lang, value


def test_detect_matches_the_reference():
    hints = lexicon.build_lexicon(ToneConfig()).hints
    fake = (_FakeDetector(1), _FakeDetector(2))
    for value in SAMPLES:
        cleaned = old_clean(value)
        toks = old_tokens(cleaned)
        assert language.detect(cleaned, toks, hints, fake) == old_detect(
            cleaned, toks, hints, fake), value
    real = language.shared_detectors()
    for value in EVAL_TEXTS:
        cleaned = old_clean(value)
        toks = old_tokens(cleaned)
        assert language.detect(cleaned, toks, hints, real) == old_detect(
            cleaned, toks, hints, real), value


def test_rules_match_the_reference():
    rng = random.Random(29)
    groups = [f"cat:{c}" for c in CATEGORIES] + [f"urg:{f}" for f in URGENCY_FLAGS] + ["x"]
    odd = [0.0, -0.0, 1.0, 1, 2.5, -1.0, math.inf, -math.inf, math.nan, 1e-300]
    for _ in range(20_000):
        matches: dict[str, dict[str, float]] = {}
        for group in rng.sample(groups, rng.randint(0, 6)):
            matches[group] = {
                f"t{k}": rng.choice(odd) if rng.random() < 0.1 else rng.choice([0.5, 1, 2, 3])
                for k in range(rng.randint(0, 3))
            }
        polarity = rng.choice([-1.0, -0.25, -0.2, 0.0, 0.5])
        assert rules.categorise(matches, polarity) == old_categorise(matches, polarity)
        assert rules.urgency_flags(matches) == old_urgency_flags(matches)
        # The first two of the sort, also when praise is not first.
        scores = old_category_scores(matches)
        order = rules.TIE_ORDER
        ranked = sorted(order, key=lambda c: (-scores.get(c, 0.0), order.index(c)))
        assert rules._top_two(scores) == (ranked[0], ranked[1]), scores
        # repr: NaN sums compare unequal to themselves.
        assert repr(rules.category_scores(matches)) == repr(old_category_scores(matches))


def test_analyse_matches_the_old_analyzer():
    new, old = get_analyzer(), OldAnalyzer()
    for value in EVAL_TEXTS + [f"@Brand {t}" for t in EVAL_TEXTS] + SAMPLES[-600:]:
        assert new.analyse(value) == old.analyse(value), value
