"""Normalization keeps a map back to the text as stored."""

from extractor.ingest.normalize import normalize


def test_full_width_digits_and_punctuation_become_ascii() -> None:
    n = normalize("第二十条第（一）项：１２３")
    assert n.text == "第二十条第(一)项:123"


def test_nbsp_ideographic_space_and_zero_width_characters() -> None:
    n = normalize("a\u00a0b\u3000c\u200bd\ufeffe")
    assert n.text == "a b cde"


def test_word_bookmark_artefacts_are_removed() -> None:
    n = normalize("\t[bookmark: _GoBack]0\n")
    assert n.text == "\t0\n"


def test_crlf_becomes_lf() -> None:
    assert normalize("a\r\nb\rc").text == "a\nb\nc"


def test_every_normalized_span_maps_back_to_the_original_characters() -> None:
    original = "规章\t[bookmark: _GoBack]１２\u200b3万元\r\n"
    n = normalize(original)
    start = n.text.index("123万元")
    src = n.to_source(start, start + len("123万元"))
    assert original[src[0]:src[1]] == "１２\u200b3万元"
