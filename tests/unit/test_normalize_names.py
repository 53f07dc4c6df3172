"""Canonical names: the alias table (data) and the matching rules."""
from __future__ import annotations

import json

import pytest

from nkner.pipeline.normalize import ALIAS_LABELS, canonical_name, load_aliases, match_key
from nkner.pipeline.normalize.names import build_index, read_alias_table

CASES = [
    # --- China as a state
    ("Beijing", "ACTOR", "China"),
    ("Beijing’s", "ACTOR", "China"),
    ("Beijing's", "ACTOR", "China"),
    ("the Chinese government", "ACTOR", "China"),
    ("Chinese government", "ACTOR", "China"),
    ("Chinese Government", "ACTOR", "China"),
    ("The Chinese government’s", "ACTOR", "China"),
    ("Chinese authorities", "ACTOR", "China"),
    ("chinese authorities", "ACTOR", "China"),
    ("PRC", "ACTOR", "China"),
    ("People's Republic of China", "ACTOR", "China"),
    ("People’s Republic of China", "ACTOR", "China"),
    ("China", "ACTOR", "China"),
    ("China’s", "ACTOR", "China"),
    # --- North Korea
    ("Pyongyang", "ACTOR", "North Korea"),
    ("the North Korean regime", "ACTOR", "North Korea"),
    ("North Korean government", "ACTOR", "North Korea"),
    ("North Korean authorities", "ACTOR", "North Korea"),
    ("DPRK", "ACTOR", "North Korea"),
    ("Democratic People’s Republic of Korea", "ACTOR", "North Korea"),
    ("Kim regime", "ACTOR", "North Korea"),
    ("Kim Jong Un regime", "ACTOR", "North Korea"),
    ("North korea", "ACTOR", "North Korea"),
    ("North Korea’s", "ACTOR", "North Korea"),
    # --- South Korea
    ("Seoul", "ACTOR", "South Korea"),
    ("South Korean government", "ACTOR", "South Korea"),
    ("the South Korean government", "ACTOR", "South Korea"),
    ("South Korean authorities", "ACTOR", "South Korea"),
    ("ROK", "ACTOR", "South Korea"),
    ("Republic of Korea", "ACTOR", "South Korea"),
    # --- UN bodies
    ("UN Refugee Agency", "ACTOR", "UNHCR"),
    ("UN Refugee agency", "ACTOR", "UNHCR"),
    ("United Nations Refugee Agency", "ACTOR", "UNHCR"),
    ("Office of the UN High Commissioner for Refugees", "ACTOR", "UNHCR"),
    ("UN High Commissioner for Refugees", "ACTOR", "UNHCR"),
    ("United Nations High Commissioner for Refugees", "ACTOR", "UNHCR"),
    ("the UNHCR", "ACTOR", "UNHCR"),
    ("UNHCR’s", "ACTOR", "UNHCR"),
    ("United Nations Office of the High Commissioner for Human Rights", "ACTOR", "OHCHR"),
    ("UN Human Rights Office", "ACTOR", "OHCHR"),
    ("UN Commission of Inquiry", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("COI", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("COI’s", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("the Commission of Inquiry", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("UN COI", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("UNCOI", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("United Nations Commission of Inquiry", "ACTOR", "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("United Nations Commission of Inquiry on human rights in North Korea", "ACTOR",
     "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("Commission of Inquiry on Human Rights in the DPRK", "ACTOR",
     "UN Commission of Inquiry on Human Rights in the DPRK"),
    ("UN Human Rights Council", "ACTOR", "UN Human Rights Council"),
    ("United Nations Human Rights Council", "ACTOR", "UN Human Rights Council"),
    ("HRC", "ACTOR", "UN Human Rights Council"),
    ("UNGA", "ACTOR", "UN General Assembly"),
    ("UN General Assembly", "ACTOR", "UN General Assembly"),
    ("United Nations General Assembly", "ACTOR", "UN General Assembly"),
    ("the General Assembly", "ACTOR", "UN General Assembly"),
    ("United Nations", "ACTOR", "United Nations"),
    ("UN", "ACTOR", "United Nations"),
    ("U.N.", "ACTOR", "United Nations"),
    ("UN Special Rapporteur on the situation of human rights in the DPRK", "ACTOR",
     "UN Special Rapporteur on human rights in the DPRK"),
    ("Committee against Torture", "ACTOR", "UN Committee against Torture"),
    # --- NGOs, others
    ("HRW", "ACTOR", "Human Rights Watch"),
    ("Human Rights Watch", "ACTOR", "Human Rights Watch"),
    ("the Human Rights Watch", "ACTOR", "Human Rights Watch"),
    ("HRNK", "ACTOR", "Committee for Human Rights in North Korea"),
    ("Russian government", "ACTOR", "Russia"),
    ("U.S.", "ACTOR", "United States"),
    ("EU", "ACTOR", "European Union"),
    ("Ministry of People’s Security", "ACTOR", "Ministry of Social Security (DPRK)"),
    ("Ministry of Social Security", "ACTOR", "Ministry of Social Security (DPRK)"),
    ("Ministry for Protection of the State", "ACTOR", "Ministry of State Security (DPRK)"),
    ("Kim Jong-un", "ACTOR", "Kim Jong Un"),
    ("Kim Jong Un", "ACTOR", "Kim Jong Un"),
    # --- legal instruments
    ("Refugee Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("the Refugee Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("1951 Refugee Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("1951 UN Refugee Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("1951 United Nations Refugee Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("1951 Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("1951 Convention relating to the Status of Refugees", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("1951 UN Convention Related to the Status of Refugees", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("United Nations Refugee Convention", "LEGAL_INSTRUMENT", "1951 Refugee Convention"),
    ("Convention Against Torture", "LEGAL_INSTRUMENT", "Convention Against Torture"),
    ("Convention against Torture", "LEGAL_INSTRUMENT", "Convention Against Torture"),
    ("Torture Convention", "LEGAL_INSTRUMENT", "Convention Against Torture"),
    ("CAT", "LEGAL_INSTRUMENT", "Convention Against Torture"),
    ("1984 UN Convention Against Torture", "LEGAL_INSTRUMENT", "Convention Against Torture"),
    ("Convention against Torture and Other Cruel, Inhuman or Degrading Treatment or Punishment",
     "LEGAL_INSTRUMENT", "Convention Against Torture"),
    ("1967 Protocol", "LEGAL_INSTRUMENT", "1967 Protocol"),
    ("Protocol Relating to the Status of Refugees", "LEGAL_INSTRUMENT", "1967 Protocol"),
    ("1967 Protocol Relating to the Status of Refugees", "LEGAL_INSTRUMENT", "1967 Protocol"),
    ("Sino-Korean Border Agreement of 1964", "LEGAL_INSTRUMENT", "1964 China–North Korea border agreement"),
    ("Sino–Korean Border Agreement of 1964", "LEGAL_INSTRUMENT", "1964 China–North Korea border agreement"),
    ("1964 border agreement", "LEGAL_INSTRUMENT", "1964 China–North Korea border agreement"),
    ("1986 border agreement", "LEGAL_INSTRUMENT", "1986 China–North Korea border protocol"),
    ("1986 border protocol", "LEGAL_INSTRUMENT", "1986 China–North Korea border protocol"),
    ("Mutual Cooperation Protocol for the Work of Maintaining National Security and Social Order in the "
     "Border Areas", "LEGAL_INSTRUMENT", "1986 China–North Korea border protocol"),
    ("1995 agreement between the UNHCR and China", "LEGAL_INSTRUMENT", "1995 UNHCR–China agreement"),
    ("1995 agreement between UNHCR and China", "LEGAL_INSTRUMENT", "1995 UNHCR–China agreement"),
    ("1995 UNHCR–China agreement", "LEGAL_INSTRUMENT", "1995 UNHCR–China agreement"),
    ("1995 UNHCR-China agreement", "LEGAL_INSTRUMENT", "1995 UNHCR–China agreement"),
    ("1995 UNHCR - China agreement", "LEGAL_INSTRUMENT", "1995 UNHCR–China agreement"),
    ("Land Borders Law", "LEGAL_INSTRUMENT", "China Land Borders Law"),
    ("“Land Borders Law”", "LEGAL_INSTRUMENT", "China Land Borders Law"),
    ("Convention on the Elimination of All Forms of Discrimination against Women", "LEGAL_INSTRUMENT", "CEDAW"),
    # --- locations
    ("DPRK", "LOCATION", "North Korea"),
    ("Democratic People’s Republic of Korea", "LOCATION", "North Korea"),
    ("north Korea", "LOCATION", "North Korea"),
    ("Hermit Kingdom", "LOCATION", "North Korea"),
    ("PRC", "LOCATION", "China"),
    ("Republic of Korea", "LOCATION", "South Korea"),
    ("Tumen", "LOCATION", "Tumen River"),
    ("the Tumen River", "LOCATION", "Tumen River"),
    ("Yalu", "LOCATION", "Yalu River"),
    ("Jilin Province", "LOCATION", "Jilin"),
]


@pytest.mark.parametrize("text,label,expected", CASES)
def test_canonical_name(text, label, expected):
    assert canonical_name(text, label) == expected


NO_MATCH = [
    # groups of persons and agencies are not folded into the state
    ("Chinese officials", "ACTOR"),
    ("Chinese police", "ACTOR"),
    ("Chinese security forces", "ACTOR"),
    ("North Korean refugees", "ACTOR"),
    ("UN officials", "ACTOR"),
    ("UN human rights experts", "ACTOR"),
    ("Minister of Social Security", "ACTOR"),
    # ambiguous
    ("regime", "ACTOR"),
    ("Korea", "ACTOR"),
    ("North", "LOCATION"),
    ("Ministry of State Security", "ACTOR"),  # exists in both China and North Korea
    ("Ministry of Public Security", "ACTOR"),
    ("Article 33", "LEGAL_INSTRUMENT"),
    ("Protocol", "LEGAL_INSTRUMENT"),
    ("policy", "LEGAL_INSTRUMENT"),
    # capitals are cities when they are places
    ("Pyongyang", "LOCATION"),
    ("Seoul", "LOCATION"),
    ("Beijing", "LOCATION"),
    ("northeastern China", "LOCATION"),
    # label scoping: an alias of one label is not an alias of another
    ("Beijing", "LEGAL_INSTRUMENT"),
    ("Refugee Convention", "ACTOR"),
    ("China", "NUMBER"),
    ("2014", "DATE"),
    ("China", "EVENT"),
    ("China", "NOT_A_LABEL"),
    # near misses must not match
    ("Chinese governments", "ACTOR"),
    ("Beijing Olympics", "ACTOR"),
    ("the", "ACTOR"),
    ("", "ACTOR"),
    ("   ", "ACTOR"),
]


@pytest.mark.parametrize("text,label", NO_MATCH)
def test_no_match(text, label):
    assert canonical_name(text, label) is None


def test_label_is_case_insensitive_and_bad_input_is_none():
    assert canonical_name("PRC", "actor") == "China"
    assert canonical_name(None, "ACTOR") is None  # type: ignore[arg-type]
    assert canonical_name("PRC", None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("text,key", [
    ("  The   Chinese\tgovernment’s ", "chinese government"),
    ("U.N.", "un"),
    ("U.S. government", "us government"),
    ("UNHCR–China", "unhcr china"),
    ("Sino-Korean", "sino korean"),
    ("“Land Borders Law”", "land borders law"),
    ("the Koreas’", "koreas"),
    ("Theresa", "theresa"),  # only a whole leading word "the" goes
    ("People’s Republic", "people's republic"),
])
def test_match_key(text, key):
    assert match_key(text) == key


# ---------------------------------------------------------------------------------------------
# the table itself
# ---------------------------------------------------------------------------------------------
def test_table_structure_and_comment():
    raw = read_alias_table()
    assert raw["_comment"]
    assert set(raw) == {"_comment", *ALIAS_LABELS}
    for label in ALIAS_LABELS:
        assert raw[label], label
        for canonical, aliases in raw[label].items():
            assert isinstance(aliases, list)
            assert all(isinstance(a, str) and a.strip() for a in aliases)
            assert canonical == canonical.strip()


def test_required_entries_present():
    raw = read_alias_table()
    for canonical in ("China", "North Korea", "South Korea", "UNHCR", "United Nations",
                      "UN Human Rights Council", "UN General Assembly", "Human Rights Watch",
                      "UN Commission of Inquiry on Human Rights in the DPRK"):
        assert canonical in raw["ACTOR"], canonical
    for canonical in ("1951 Refugee Convention", "1967 Protocol", "Convention Against Torture",
                      "1986 China–North Korea border protocol", "1995 UNHCR–China agreement",
                      "China Land Borders Law"):
        assert canonical in raw["LEGAL_INSTRUMENT"], canonical


def test_every_canonical_maps_to_itself_and_every_alias_to_its_canonical():
    raw = read_alias_table()
    for label in ALIAS_LABELS:
        for canonical, aliases in raw[label].items():
            for alias in [canonical, *aliases]:
                assert canonical_name(alias, label) == canonical, (label, alias)


def test_no_redundant_aliases():
    """An alias that normalizes to the same key as another of the same canonical is dead weight."""
    raw = read_alias_table()
    for label in ALIAS_LABELS:
        for canonical, aliases in raw[label].items():
            keys = [match_key(a) for a in [canonical, *aliases]]
            assert len(keys) == len(set(keys)), (label, canonical)


def test_index_sizes_match_table():
    raw = read_alias_table()
    index = load_aliases()
    for label in ALIAS_LABELS:
        n = sum(1 + len(a) for a in raw[label].values())
        assert len(index[label]) == n


def test_conflicting_alias_is_rejected():
    with pytest.raises(ValueError, match="maps to both"):
        build_index({"ACTOR": {"China": ["Beijing"], "Beijing City": ["the Beijing"]}})


def test_unknown_label_and_empty_alias_are_rejected():
    with pytest.raises(ValueError, match="unknown label"):
        build_index({"PERSON": {}})
    with pytest.raises(ValueError, match="empty alias"):
        build_index({"ACTOR": {"China": ["()"]}})


def test_same_alias_under_two_labels_is_allowed():
    index = build_index({"ACTOR": {"UN Committee against Torture": ["CAT"]},
                         "LEGAL_INSTRUMENT": {"Convention Against Torture": ["CAT"]}})
    assert index["ACTOR"]["cat"] == "UN Committee against Torture"
    assert index["LEGAL_INSTRUMENT"]["cat"] == "Convention Against Torture"


def test_table_is_valid_json_file():
    from importlib import resources

    text = resources.files("nkner.pipeline").joinpath("data/aliases.json").read_text("utf-8")
    assert json.loads(text) == read_alias_table()
