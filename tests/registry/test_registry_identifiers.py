"""INN and SNILS check digits: known numbers, generated numbers, and corruptions."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.registry.identifiers import (
    fake_inn,
    fake_snils,
    format_snils,
    inn_check_digits,
    inn_is_valid,
    snils_check_number,
    snils_is_valid,
)

seeds = st.integers(0, 2**64)


@pytest.mark.parametrize("inn", ["7707083893", "7736050003", "500100732259", "773173084809"])
def test_known_valid_inns(inn):
    assert inn_is_valid(inn)


@pytest.mark.parametrize("inn", ["7707083894", "500100732250", "500100732269", "77070838931", "770708389",
                                 "abcdefghij", "", "７７０７０８３８９３", None, 7707083893])
def test_invalid_inns(inn):
    assert not inn_is_valid(inn)


@given(seeds, st.sampled_from([10, 12]))
def test_generated_inns_are_valid(seed, length):
    value = fake_inn(random.Random(seed), length)
    assert len(value) == length and value.isdigit()
    assert inn_is_valid(value)
    assert 1 <= int(value[:2]) <= 89  # a region code


@given(st.from_regex(r"\A[0-9]{9}\Z") | st.from_regex(r"\A[0-9]{10}\Z"))
def test_check_digits_complete_any_body(body):
    assert inn_is_valid(body + inn_check_digits(body))


@pytest.mark.parametrize("body", ["00000000٠", "１２３４５６７８９", "12345678", "12345678901"])
def test_check_digits_need_nine_or_ten_ascii_digits(body):
    with pytest.raises(ValueError):
        inn_check_digits(body)


@given(seeds, st.sampled_from([10, 12]), st.integers(1, 9))
def test_a_wrong_last_digit_is_always_caught(seed, length, delta):
    value = fake_inn(random.Random(seed), length)
    corrupted = value[:-1] + str((int(value[-1]) + delta) % 10)
    assert not inn_is_valid(corrupted)


@pytest.mark.parametrize(("snils", "valid"), [
    ("112-233-445 95", True), ("11223344595", True), ("112-233-445 96", False), ("087-654-303 00", True),
    ("001-001-998 00", True),  # below the checked range: any check number
    ("001-001-998 42", True), ("112-233-44595", True), ("112 233 445 95", False), ("", False), (None, False)])
def test_known_snils(snils, valid):
    assert snils_is_valid(snils) is valid


def test_snils_check_number_rules():
    assert snils_check_number("112233445") == 95
    assert snils_check_number(1) == 1  # sums below 100 are the check number itself
    # weighted sums: 920000003 -> 9*9 + 2*8 + 3*1 = 100, 920000004 -> 101, 920000005 -> 102: 100 and 101 give 00
    assert snils_check_number("920000003") == 0
    assert snils_check_number("920000004") == 0
    assert snils_check_number("920000005") == 1
    assert snils_check_number("999999999") == (9 * 45) % 101
    with pytest.raises(ValueError):
        snils_check_number("12345")


@given(seeds)
def test_generated_snils_are_valid_and_formatted(seed):
    value = fake_snils(random.Random(seed))
    assert snils_is_valid(value)
    assert len(value) == 14 and value[3] == "-" and value[11] == " "


@given(st.integers(1_001_999, 999_999_999), st.integers(1, 99))
def test_a_wrong_snils_check_number_is_always_caught(number, delta):
    good = snils_check_number(number)
    assert snils_is_valid(format_snils(number))
    assert not snils_is_valid(format_snils(number, (good + delta) % 100))


def test_fakes_are_reproducible():
    assert fake_inn(random.Random(1)) == fake_inn(random.Random(1))
    assert fake_snils(random.Random(1)) == fake_snils(random.Random(1))
    assert fake_snils(random.Random(1)) != fake_snils(random.Random(2))
