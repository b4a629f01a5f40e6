"""Words that end in a period without ending a sentence (lower case, without the final dot)."""

from __future__ import annotations

COMMON = frozenset({"e.g", "i.e", "etc", "vs", "cf", "ca", "approx", "dr", "prof", "st"})

BY_LANGUAGE: dict[str, frozenset[str]] = {
    "en": frozenset(
        {"mr", "mrs", "ms", "jr", "sr", "mt", "gen", "gov", "sen", "rep", "rev", "inc", "ltd",
         "co", "corp", "fig", "vol", "pp", "jan", "feb", "apr", "aug", "sep", "sept", "oct",
         "nov", "dec", "dept", "est"}
    ),
    "fr": frozenset(
        {"m", "mm", "mme", "mmes", "mlle", "mlles", "me", "pr", "ste", "av", "bd", "boul",
         "env", "ex", "p.ex", "vol", "chap", "éd", "tél", "janv", "févr", "avr", "juil", "sept",
         "oct", "nov", "déc"}
    ),
    "es": frozenset(
        {"sr", "sra", "srta", "sres", "d", "dña", "dra", "lic", "ing", "arq", "av", "avda",
         "pág", "págs", "núm", "tel", "ud", "uds", "vd", "vds", "p.ej", "ej", "aprox", "cía",
         "ene", "dic"}
    ),
    "de": frozenset(
        {"z.b", "z.t", "d.h", "u.a", "u.ä", "usw", "bzw", "vgl", "ggf", "evtl", "inkl",
         "zzgl", "nr", "str", "hr", "fr", "bspw", "sog", "gem", "abs", "jh", "mio", "mrd",
         "tel", "dipl", "ing"}
    ),
    "it": frozenset({"sig", "sigg", "sig.ra", "dott", "avv", "ing", "ecc", "pag", "es"}),
    "pt": frozenset({"sr", "sra", "srta", "dra", "av", "pág", "exmo", "exma", "v.ex"}),
    "nl": frozenset({"dhr", "mevr", "bijv", "bv", "enz", "d.w.z", "o.a", "nr"}),
    "ru": frozenset({"г", "гг", "т.е", "т.д", "т.п", "др", "ул", "им", "стр", "тыс", "млн"}),
}  # fmt: skip

# Languages that write ordinal numbers with a period ("am 3. Oktober").
ORDINAL_PERIOD = frozenset(
    {"de", "da", "no", "nb", "fi", "cs", "sk", "sl", "hr", "sr", "bs", "pl", "hu", "et", "lv",
     "is", "fo", "tr"}
)  # fmt: skip


def is_abbreviation(word: str, language: str, *, ordinal_position: bool = False) -> bool:
    """Whether the period after ``word`` marks an abbreviation, an initial or an ordinal.

    ``ordinal_position``: the word follows a lower-case word or opens the sentence, where a
    number is an ordinal ("am 3. Oktober"), unlike after a noun ("von Gleis 4. Am Abend").
    """
    folded = word.lower()
    if len(folded) == 1 and folded.isalpha():
        return True  # an initial: "J. Smith", "M. Dupont"
    if folded.isdigit():
        return ordinal_position and language in ORDINAL_PERIOD and len(folded) <= 3
    return folded in COMMON or folded in BY_LANGUAGE.get(language, frozenset())
