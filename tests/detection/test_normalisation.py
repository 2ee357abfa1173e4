import pytest

from detection.normalisation import elongation_matches, normalise, original_span, skeleton


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IDIOT", "idiot"),
        ("Straße", "strasse"),
        ("idiöt", "idiot"),
        ("idio\u0308t", "idiot"),  # the accent as a separate combining mark
        ("\uff49\uff44\uff49\uff4f\uff54", "idiot"),  # full-width letters
        ("idi\u200bot", "idiot"),  # a zero-width space inside the word
        ("idi\u00adot", "idiot"),  # a soft hyphen
        ("\u2110diot", "idiot"),  # a script capital I
    ],
)
def test_normalise_folds_case_accents_and_look_alikes(text, expected):
    assert normalise(text)[0] == expected


@pytest.mark.parametrize("text", ["i.d.i.o.t", "i d i o t", "i-d-i-o-t", "i_d_i_o_t", "I*D*I*O*T"])
def test_normalise_joins_letters_spelled_out_with_one_separator(text):
    assert normalise(f"you {text}!")[0] == "you idiot!"


@pytest.mark.parametrize(
    "text", ["e.g. this", "a b", "i  d  i  o  t", "well-known", "a. b. c. smith"]
)
def test_normalise_leaves_pairs_double_separators_and_words_apart(text):
    assert normalise(text)[0] == text


def test_normalise_keeps_repeated_letters_for_regular_expressions():
    assert normalise("Sooooo")[0] == "sooooo"


def test_normalise_maps_every_character_back_to_the_original():
    text = "Straße, i.d.i.ö.t"
    normalised, origin = normalise(text)

    assert normalised == "strasse, idiot"
    assert len(origin) == len(normalised)
    # Both s of ß come from the ß; the joined letters from their own positions.
    assert [text[position] for position in origin[4:6]] == ["ß", "ß"]
    assert [text[position] for position in origin[-5:]] == ["i", "d", "i", "ö", "t"]


def test_original_span_takes_in_a_trailing_combining_accent():
    text = "idio\u0308t idiot\u0301 x"
    normalised, origin = normalise(text)
    start = normalised.index("idiot", 1)

    assert original_span(text, origin, start, start + 5) == (7, 13)


def test_normalise_empty_emoji_and_non_latin_text():
    assert normalise("") == ("", [])
    assert normalise("😀👍🏽")[0] == "😀👍🏽"
    assert normalise("Привет, мир")[0] == "привет, мир"
    assert normalise("日本語")[0] == "日本語"


def test_skeleton_collapses_letter_runs_and_separator_runs_but_not_digits():
    shape = skeleton("goood,  1000 ok")

    assert shape.text == "god 1000 ok"
    assert shape.run_lengths[:4] == [1, 3, 1, 3]  # g, ooo, d, ",  "
    assert shape.run_starts[4:8] == [8, 9, 10, 11]


@pytest.mark.parametrize(
    ("written", "watched", "matches"),
    [(1, 1, True), (2, 2, True), (2, 1, False), (1, 2, False), (3, 1, True), (5, 2, True)],
)
def test_elongation_matches_only_three_or_more_as_any_count(written, watched, matches):
    assert elongation_matches(written, watched) is matches
