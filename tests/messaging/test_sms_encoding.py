"""Tests of the SMS encoding and segment calculator (messaging.encoding)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.encoding import GSM7_BASIC, GSM7_EXTENDED, analyse, is_gsm7, segment_count, sms_encoding

GSM, UCS = "GSM-7", "UCS-2"

SEGMENT_CASES = [
    ("empty text", "", GSM, 1),
    ("one GSM character", "a", GSM, 1),
    ("160 GSM characters", "a" * 160, GSM, 1),
    ("161 GSM characters", "a" * 161, GSM, 2),
    ("306 GSM characters", "a" * 306, GSM, 2),
    ("307 GSM characters", "a" * 307, GSM, 3),
    ("459 GSM characters", "a" * 459, GSM, 3),
    ("460 GSM characters", "a" * 460, GSM, 4),
    ("80 extended characters", "{" * 80, GSM, 1),
    ("81 extended characters", "{" * 81, GSM, 2),
    ("159 basic plus one extended", "a" * 159 + "€", GSM, 2),
    ("158 basic plus one extended", "a" * 158 + "€", GSM, 1),
    ("153 extended characters", "[" * 153, GSM, 2),
    ("154 extended characters", "]" * 154, GSM, 3),
    ("70 characters with an em dash", "—" + "a" * 69, UCS, 1),
    ("71 characters with an em dash", "—" + "a" * 70, UCS, 2),
    ("70 curly quotes", "“" * 70, UCS, 1),
    ("134 UCS-2 characters", "’" * 134, UCS, 2),
    ("135 UCS-2 characters", "’" * 135, UCS, 3),
    ("35 emoji", "👍" * 35, UCS, 1),
    ("36 emoji", "👍" * 36, UCS, 2),
    ("one emoji in 69 GSM characters", "a" * 68 + "👍", UCS, 1),
    ("one emoji in 70 GSM characters", "a" * 69 + "👍", UCS, 2),
    ("160 characters with one curly quote", "a" * 159 + "’", UCS, 3),
    ("Spanish offer with É", "É" * 160, GSM, 1),
    ("Spanish offer with Á", "Á", UCS, 1),
    ("a lone surrogate", "\ud800", UCS, 1),
]


@pytest.mark.parametrize(
    ("label", "text", "encoding", "segments"), SEGMENT_CASES, ids=[case[0] for case in SEGMENT_CASES]
)
def test_messages_are_encoded_and_split_into_the_right_number_of_segments(label, text, encoding, segments):
    assert sms_encoding(text) == encoding
    assert segment_count(text) == segments
    assert analyse(text) == (encoding, segments)


GSM_CHARACTERS = list(
    "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà"
) + ["\n", "\r", "^", "{", "}", "[", "]", "~", "|", "€", "\\", "\f"]


@pytest.mark.parametrize("char", GSM_CHARACTERS, ids=repr)
def test_every_gsm_03_38_character_keeps_the_message_gsm7(char):
    assert is_gsm7(f"Reply YES {char}")
    assert sms_encoding(char) == GSM


NON_GSM_CHARACTERS = [*"—–“”‘’…👍ÁáíóúçÊê`•", "\t", "\u00a0", "\u200b"]


@pytest.mark.parametrize("char", NON_GSM_CHARACTERS, ids=repr)
def test_one_character_outside_gsm_03_38_turns_the_message_ucs2(char):
    assert not is_gsm7(f"Reply YES {char}")
    assert sms_encoding("a" * 100 + char) == UCS


@pytest.mark.parametrize("char", sorted(GSM7_EXTENDED), ids=repr)
def test_extended_characters_cost_two_septets(char):
    assert segment_count(char * 80) == 1
    assert segment_count(char * 81) == 2


def test_the_basic_table_has_the_127_characters_of_gsm_03_38_and_the_extension_table_ten():
    assert len(GSM7_BASIC) == 127  # 128 code points minus the escape
    assert len(GSM7_EXTENDED) == 10
    assert not GSM7_BASIC & GSM7_EXTENDED


@settings(max_examples=500, deadline=None, database=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=400))
def test_segment_count_is_always_at_least_one_and_never_raises(text):
    encoding, segments = analyse(text)
    assert encoding in (GSM, UCS)
    assert segments >= 1
    assert segment_count(text + text) >= segments


@settings(max_examples=500, deadline=None, database=None)
@given(st.text(alphabet=sorted(GSM7_BASIC), max_size=800))
def test_basic_gsm_text_needs_one_segment_per_153_characters_once_over_160(text):
    expected = 1 if len(text) <= 160 else -(-len(text) // 153)
    assert analyse(text) == (GSM, expected)
