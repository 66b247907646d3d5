"""Full-size restricted lists made up for tests and benchmarks (no network, deterministic).

Names are built the way listed company names look: a place, a brand of one to three pinyin or
Russian-looking syllables, one to three generic words and a legal form, with aliases (a short
brand, a Chinese-character form for some, a reordered or abbreviated form).
"""

from __future__ import annotations

import random

from screening.model.reference import Entry, ReferenceList, References

PLACES = [
    "Beijing",
    "Shanghai",
    "Shenzhen",
    "Hangzhou",
    "Wuhan",
    "Tianjin",
    "Chengdu",
    "Xiamen",
    "Nanjing",
    "Suzhou",
    "Hefei",
    "Xian",
    "Moscow",
    "Kazan",
    "Tehran",
    "Minsk",
    "Pyongyang",
    "Caracas",
    "Harbin",
    "Dalian",
    "Qingdao",
    "Ningbo",
    "Changsha",
]
SYLLABLES = [
    "hua",
    "wei",
    "xin",
    "tai",
    "long",
    "jin",
    "hai",
    "kang",
    "zhong",
    "guo",
    "tian",
    "feng",
    "yuan",
    "rui",
    "hong",
    "sheng",
    "bao",
    "ming",
    "rost",
    "tek",
    "gaz",
    "prom",
    "neft",
    "sber",
    "vtb",
    "mik",
    "ron",
    "kal",
    "ash",
    "nik",
    "ov",
    "avia",
    "tel",
    "kom",
]
GENERIC = [
    "Technology",
    "Electronics",
    "Communications",
    "Group",
    "Holdings",
    "International",
    "Industrial",
    "Trading",
    "Energy",
    "Materials",
    "Semiconductor",
    "Aviation",
    "Petroleum",
    "Bank",
    "Logistics",
    "Digital",
    "Information",
]
FORMS = ("Co., Ltd.", "Limited", "Corporation", "JSC", "PJSC", "LLC", "Inc.", "Group Co., Ltd.")
CJK = "华为中兴海康威视大华宁德时代国轩高科浪潮飞腾天津北京上海深圳"


def _name(rng: random.Random) -> tuple[str, str]:
    brand = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()
    words = rng.sample(GENERIC, rng.randint(1, 3))
    place = rng.choice(PLACES) if rng.random() < 0.6 else ""
    name = " ".join(x for x in (place, brand, *words, rng.choice(FORMS)) if x)
    return name, brand


def generate_list(name: str, entries: int, *, seed: int = 1) -> ReferenceList:
    """A reference list of ``entries`` made-up entries with about 2.5 aliases each."""
    rng = random.Random(seed)
    out = []
    for i in range(entries):
        full, brand = _name(rng)
        aliases = [f"{brand} {i}"]
        if rng.random() < 0.5:
            aliases.append("".join(rng.choice(CJK) for _ in range(rng.randint(2, 6))) + "有限公司")
        if rng.random() < 0.7:
            aliases.append(" ".join(reversed(full.split()[:-1])))
        if rng.random() < 0.3:
            aliases.append(full.replace("Technology", "Tech").replace("International", "Intl"))
        out.append(Entry(value=f"{full} {i}", attributes={"aliases": aliases}))
    return ReferenceList(name, "generated", "tests/list_generator.py", None, None, tuple(out))


def generate_references(entries: int = 20_000, *, seed: int = 1) -> References:
    """An OFAC SDN-sized list under the SDN list's reference name."""
    ref = generate_list("restricted_ofac_sdn", entries, seed=seed)
    return References({ref.name: ref})


def queries(count: int, *, seed: int = 2) -> list[str]:
    """Names to screen: made-up company names, most of them not listed."""
    rng = random.Random(seed)
    return [_name(rng)[0] for _ in range(count)]
