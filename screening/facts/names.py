"""Name normalization for restricted-party screening, across scripts and languages.

A party may be written in Chinese, in Russian, in a postal-era romanization or with a legal form
in any of a dozen languages; a list entry is usually written in English with aliases. Both sides
are reduced to the same key:

1. Unicode compatibility forms folded (NFKC: full-width ``Ｈｕａｗｅｉ`` is ``Huawei``).
2. Chinese, Japanese and Korean legal forms removed (``股份有限公司``,
   ``株式会社``, ``주식회사``) and generic company words translated to
   the English word a list would use (``技术`` and ``科技`` → ``technology``,
   ``集团`` → ``group``, ``银行`` → ``bank``; :data:`CJK_TERMS`).
3. Transliteration to ASCII with ``anyascii`` (Chinese by pinyin syllables, each run of
   characters kept as one word as English spellings of Chinese names write it: ``华为`` →
   ``huawei``; Cyrillic, Greek, Arabic and the rest by their usual romanization: ``Газпром`` →
   ``gazprom``), diacritics dropped.
4. Lower case, ``&`` and ``+`` read as ``and``, punctuation removed.
5. Multi-word legal forms removed at either end (``public joint stock company``, ``aktsionernoe
   obshchestvo``, ``limited liability company``, ``kabushiki kaisha``; :data:`LEGAL_PHRASES`),
   then single-word forms (``ltd``, ``gmbh``, ``ooo``, ``pao``; :data:`LEGAL_SUFFIXES`,
   :data:`LEGAL_PREFIXES`).
6. Spelling variants mapped to one form (``peking`` → ``beijing``, ``rossii`` → ``russia``,
   ``technologies`` → ``technology``, ``intl`` → ``international``; :data:`VARIANTS`) and the
   connecting words ``of`` and ``the`` dropped.

The OpenSanctions libraries (``rigour``, ``normality``, ``fingerprints``) do much of this, but
they require PyICU, a C++ extension that builds only where the ICU development files are
installed; dealscreen must install on a machine that has only Python, so it uses ``anyascii``
(pure Python) and the tables below. Everything here is deterministic and reads no clock.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

# Legal forms of Chinese, Japanese and Korean companies, removed wherever they end the name
# (longest first, repeatedly: ``集团有限公司`` is ``group`` + ``有限公司``).
CJK_LEGAL_FORMS: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
    "有限会社",
    "合同会社",
    "주식회사",
    "유한회사",
    "公司",
)
# Generic words of Chinese company names and the English word lists use for them.
CJK_TERMS: dict[str, str] = {
    "集成电路": "integrated circuit",
    "集成電路": "integrated circuit",
    "新能源": "new energy",
    "半导体": "semiconductor",
    "半導體": "semiconductor",
    "研究所": "research institute",
    "研究院": "research institute",
    "控股": "holdings",
    "集团": "group",
    "集團": "group",
    "技术": "technology",
    "技術": "technology",
    "科技": "technology",
    "国际": "international",
    "國際": "international",
    "电子": "electronics",
    "電子": "electronics",
    "通信": "communications",
    "通讯": "communications",
    "通訊": "communications",
    "数字": "digital",
    "數字": "digital",
    "制造": "manufacturing",
    "製造": "manufacturing",
    "能源": "energy",
    "电池": "battery",
    "電池": "battery",
    "材料": "materials",
    "银行": "bank",
    "銀行": "bank",
    "网络": "network",
    "網絡": "network",
    "信息": "information",
    "智能": "intelligent",
    "软件": "software",
    "軟件": "software",
    "光电": "optoelectronics",
    "汽车": "automotive",
    "汽車": "automotive",
    "设备": "equipment",
    "設備": "equipment",
    "工业": "industrial",
    "工業": "industrial",
    "贸易": "trading",
    "貿易": "trading",
    "投资": "investment",
    "投資": "investment",
    "发展": "development",
    "發展": "development",
    "物流": "logistics",
    "航空": "aviation",
    "航天": "aerospace",
    "电力": "power",
    "電力": "power",
    "石油": "petroleum",
    "化工": "chemical",
    "矿业": "mining",
    "礦業": "mining",
    "大学": "university",
    "大學": "university",
    "中国": "china",
    "中國": "china",
    "香港": "hong kong",
    "股份": "",
}
# Multi-word legal forms (after transliteration and lower-casing), removed at either end.
LEGAL_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in sorted(
        [
            "public joint stock company",
            "open joint stock company",
            "closed joint stock company",
            "joint stock company",
            "joint stock commercial bank",
            "limited liability company",
            "limited liability partnership",
            "limited partnership",
            "public limited company",
            "private limited company",
            "private limited",
            "company limited",
            "co ltd",
            "state corporation",
            "gosudarstvennaya korporatsiya",
            "goskorporatsiya",
            "publichnoe aktsionernoe obshchestvo",
            "otkrytoe aktsionernoe obshchestvo",
            "zakrytoe aktsionernoe obshchestvo",
            "nepublichnoe aktsionernoe obshchestvo",
            "aktsionernoe obshchestvo",
            "obshchestvo s ogranichennoy otvetstvennostyu",
            "obshchestvo s ogranichennoi otvetstvennostiu",
            "tovarystvo z obmezhenoyu vidpovidalnistyu",
            "gesellschaft mit beschrankter haftung",
            "societe anonyme",
            "societe par actions simplifiee",
            "sociedad anonima",
            "sociedad limitada",
            "societa per azioni",
            "societa a responsabilita limitata",
            "besloten vennootschap",
            "naamloze vennootschap",
            "kabushiki kaisha",
            "yugen kaisha",
            "sdn bhd",
            "pte ltd",
            "pvt ltd",
            "sp z oo",
        ],
        key=lambda p: (-len(p.split()), p),
    )
)
LEGAL_SUFFIXES = frozenset(
    [
        "co",
        "company",
        "cos",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "lc",
        "corp",
        "corporation",
        "gmbh",
        "ag",
        "kg",
        "kgaa",
        "sa",
        "sas",
        "sarl",
        "spa",
        "srl",
        "sl",
        "bv",
        "nv",
        "plc",
        "lp",
        "llp",
        "pte",
        "pty",
        "pvt",
        "kk",
        "oy",
        "oyj",
        "ab",
        "asa",
        "as",
        "jsc",
        "pjsc",
        "ojsc",
        "cjsc",
        "oao",
        "ooo",
        "zao",
        "pao",
        "ao",
        "tov",
        "pat",
        "coltd",
        "sdn",
        "bhd",
        "tbk",
        "ltda",
        "se",
        "aktiengesellschaft",
        "kft",
        "zrt",
        "sro",
        "doo",
        "ad",
        "eood",
        "ead",
    ]
)
LEGAL_PREFIXES = frozenset(
    ["jsc", "pjsc", "ojsc", "cjsc", "oao", "ooo", "zao", "pao", "ao", "tov", "pat", "the"]
)
VARIANTS: dict[str, str] = {
    # Postal-era and Wade-Giles romanizations of Chinese places, mapped to pinyin.
    "amoy": "xiamen",
    "anhwei": "anhui",
    "canton": "guangzhou",
    "chekiang": "zhejiang",
    "chungking": "chongqing",
    "fukien": "fujian",
    "hangchow": "hangzhou",
    "hupeh": "hubei",
    "kiangsu": "jiangsu",
    "kwangtung": "guangdong",
    "nanking": "nanjing",
    "peking": "beijing",
    "shantung": "shandong",
    "shenzen": "shenzhen",
    "sinkiang": "xinjiang",
    "szechuan": "sichuan",
    "szechwan": "sichuan",
    "tientsin": "tianjin",
    "tsingtao": "qingdao",
    # Russian words and places as romanized from Cyrillic, mapped to their English form.
    "moskva": "moscow",
    "rossii": "russia",
    "rossiya": "russia",
    "rossiyskiy": "russian",
    "rossiiskii": "russian",
    "sankt": "saint",
    # Abbreviations and number.
    "intl": "international",
    "natl": "national",
    "tech": "technology",
    "technologies": "technology",
    "hldgs": "holdings",
    "holding": "holdings",
    "grp": "group",
    "mfg": "manufacturing",
    "sci": "science",
    "electronic": "electronics",
    "corp": "corporation",
    "kontsern": "concern",
    "hi": "high",
    "info": "information",
    "communication": "communications",
}
CONNECTORS = frozenset({"of", "the"})
GENERIC_WORDS = frozenset(
    [
        "technology",
        "group",
        "holdings",
        "international",
        "corporation",
        "corps",
        "company",
        "industrial",
        "industry",
        "industries",
        "development",
        "electronics",
        "communications",
        "information",
        "digital",
        "science",
        "trading",
        "investment",
        "china",
        "chinese",
        "national",
        "bank",
        "energy",
        "new",
        "materials",
        "manufacturing",
        "systems",
        "system",
        "services",
        "service",
        "network",
        "networks",
        "solutions",
        "enterprise",
        "enterprises",
        "research",
        "institute",
        "university",
        "and",
    ]
)
"""Words so common in company names that a near-match of the rest is what tells parties apart."""
WORD_MATCH = 80.0
"""A distinctive word of one name must match a word of the other at least this well (0-100)."""
_DROP = re.compile(r"[.'’`ʹʼ]")
_NON_WORD = re.compile(r"[^\w]+|_")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_TERM = re.compile("|".join(sorted((re.escape(t) for t in CJK_TERMS), key=len, reverse=True)))


def _cjk(text: str) -> str:
    """Remove CJK legal forms at the end and translate generic CJK words (spaced out)."""
    changed = True
    while changed:
        changed = False
        for form in CJK_LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text, changed = text[: -len(form)].rstrip(), True
    return _CJK_TERM.sub(lambda m: f" {CJK_TERMS[m.group(0)]} ", text)


def _transliterate(text: str) -> str:
    """ASCII text: runs of CJK characters become one word each; other scripts romanized."""
    if text.isascii():
        return text
    if not _CJK.search(text):
        return anyascii(text)
    out: list[str] = []
    for i, char in enumerate(text):
        if _CJK.match(char):
            out.append(anyascii(char).lower())
            if i + 1 < len(text) and not _CJK.match(text[i + 1]):
                out.append(" ")
        else:
            if i and _CJK.match(text[i - 1]):
                out.append(" ")
            out.append(anyascii(char))
    return "".join(out)


# Each legal phrase with its length and its first and last words, in LEGAL_PHRASES order: a
# phrase is compared in full only where its end word is the name's (a quick test first).
_PHRASES: tuple[tuple[tuple[str, ...], int, str, str], ...] = tuple(
    (phrase, len(phrase), phrase[0], phrase[-1]) for phrase in LEGAL_PHRASES
)

_PHRASE_FIRST = frozenset(phrase[0] for phrase in LEGAL_PHRASES)
_PHRASE_LAST = frozenset(phrase[-1] for phrase in LEGAL_PHRASES)


_PHRASES_BY_WORD: dict[str, frozenset[int]] = {}
for _i, (_phrase, _n, _first, _last) in enumerate(_PHRASES):
    for _word in {_first, _last}:
        _PHRASES_BY_WORD[_word] = _PHRASES_BY_WORD.get(_word, frozenset()) | {_i}


def _phrases_for(words: list[str]) -> list[tuple[tuple[str, ...], int, str, str]]:
    """The legal phrases (in LEGAL_PHRASES order) whose first or last word is one of ``words``."""
    found: set[int] = set()
    for word in words:
        found.update(_PHRASES_BY_WORD.get(word, ()))
    return [_PHRASES[i] for i in sorted(found)]


def _strip_forms(words: list[str]) -> list[str]:
    """Remove legal forms, multi-word first, at both ends; never the whole name."""
    core = list(words)
    changed = True
    while changed and len(core) > 1:
        changed = False
        # No phrase starts or ends the name: none can in this pass (the name is unchanged).
        # Nor can one whose first and last words are not in the name (the name only loses
        # words): the others are tried, in the order of LEGAL_PHRASES.
        for phrase, n, first, last in (
            _phrases_for(core) if core[-1] in _PHRASE_LAST or core[0] in _PHRASE_FIRST else ()
        ):
            if len(core) <= n:
                continue
            if core[-1] == last and tuple(core[-n:]) == phrase:
                core, changed = core[:-n], True
            elif core[0] == first and tuple(core[:n]) == phrase:
                core, changed = core[n:], True
        if len(core) > 1 and core[-1] in LEGAL_SUFFIXES:
            core, changed = core[:-1], True
        if len(core) > 1 and core[0] in LEGAL_PREFIXES:
            core, changed = core[1:], True
    return core


# Bounded small: a bulk review sees mostly unique names, and each entry (~280 bytes) stays for
# the life of a worker; 65,536 entries grew each review worker by ~18 MB. List entries are
# normalized once when a list's index is built, so only repeats of a deal's names are served.
@functools.lru_cache(maxsize=4096)
def normalize(name: str) -> str:
    """A name reduced to lower-case ASCII words without punctuation, legal forms or connectors."""
    if name.isascii():
        # For ASCII the Unicode steps leave the text as it is (ASCII is its own NFKC and NFKD
        # form, has no combining marks, CJK forms or terms, or anything to transliterate, and
        # casefolds as it lowers), dropping `.'`` is three replacements and the words are the
        # runs of letters and digits (``\w`` less ``_``): ``tests/test_names_fast.py`` holds
        # this to :func:`_normalize_any`.
        text = name.strip().lower().replace("&", " and ").replace("+", " and ")
        words = _ASCII_WORD.findall(text.replace(".", "").replace("'", "").replace("`", ""))
        return _core(words)
    return _normalize_any(name)


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def _normalize_any(name: str) -> str:
    """:func:`normalize` by its general steps, for any name."""
    text = _unicode_lower(name)
    text = text.replace("&", " and ").replace("+", " and ")
    return _core(_NON_WORD.sub(" ", _DROP.sub("", text)).split())


def _core(words: list[str]) -> str:
    """The words without legal forms and connectors, variants spelt one way."""
    if not words:
        return ""
    core = [VARIANTS.get(w, w) for w in _strip_forms(words)]
    kept = [w for w in core if w not in CONNECTORS]
    return " ".join(kept or core)


def _unicode_lower(name: str) -> str:
    """Any name as lower-case ASCII text: CJK forms and terms, transliteration, diacritics."""
    text = _cjk(unicodedata.normalize("NFKC", name).strip())
    text = unicodedata.normalize("NFKD", _transliterate(text))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def compact(name: str) -> str:
    """The normalized name without spaces: the key of an exact match."""
    return normalize(name).replace(" ", "")


def sorted_tokens(normalized: str) -> str:
    """The words of a normalized name in sorted order: word order does not change the key."""
    return " ".join(sorted(normalized.split()))


def distinctive_words(normalized: str) -> list[str]:
    """The words of a normalized name that are neither generic nor one or two letters."""
    return [w for w in normalized.split() if len(w) > 2 and w not in GENERIC_WORDS]


def words_align(a: str, b: str) -> bool:
    """Whether every distinctive word of each normalized name has a close word in the other.

    A fuzzy score over whole names is dominated by shared common words: "Contemporary Art
    Technology" scores 83 against "Contemporary Amperex Technology" just as the typing error
    "Huawey" scores 83 against "Huawei". Comparing word by word tells them apart: ``art`` is
    nothing like any word of the other name, while ``huawey`` is close to ``huawei``. Generic
    words need no counterpart, but may be one (a misspelt ``developement`` finds ``development``).
    """
    from rapidfuzz import fuzz, process  # imported when first needed: it costs a cold start

    left, right = a.split(), b.split()
    return all(
        process.extractOne(w, right, scorer=fuzz.ratio, score_cutoff=WORD_MATCH) is not None
        for w in distinctive_words(a)
    ) and all(
        process.extractOne(w, left, scorer=fuzz.ratio, score_cutoff=WORD_MATCH) is not None
        for w in distinctive_words(b)
    )


_PARENTHESIS = re.compile(r"\(([^()]*)\)|（([^（）]*)）")
_ACRONYM = re.compile(r"[A-Z0-9&-]{2,10}")


def name_variants(name: str) -> list[str]:
    """The name, and for ``Name (ACRONYM)`` also ``Name`` and ``ACRONYM``.

    Records and lists often carry a short name in parentheses (``Petróleos de Venezuela, S.A.
    (PDVSA)``). Only an acronym-like parenthetical (2 to 10 capitals or digits) is split off: a
    word such as ``(Europe)`` or ``(Shanghai)`` names a different, local company and stays.
    """
    out = [name]
    if "(" not in name and "（" not in name:
        return out  # no parenthetical to split off
    inner = [(a or b).strip() for a, b in _PARENTHESIS.findall(name)]
    if inner and all(_ACRONYM.fullmatch(i) for i in inner):
        outer = " ".join(_PARENTHESIS.sub(" ", name).split())
        for variant in [outer, *inner]:
            if variant and variant not in out:
                out.append(variant)
    return out


def contains_cjk(name: str) -> bool:
    """Whether a name has Chinese, Japanese or Korean characters."""
    return bool(_CJK.search(name))
