"""Device settings as data (records/schema.py): what a practitioner typed is checked against
the treatment's fields, with an error in words for each wrong value. No database."""

import pytest

from records.schema import DEFAULT_FIELDS, SchemaError, check_schema, clean_settings, describe

MICROCURRENT = DEFAULT_FIELDS["microcurrent"]
LED = DEFAULT_FIELDS["light_therapy"]


def test_it_keeps_typed_values_as_numbers():
    values, errors = clean_settings(
        MICROCURRENT, {"intensity_start": "100", "intensity_end": " 250 ", "minutes": ""}
    )

    assert (values, errors) == ({"intensity_start": 100, "intensity_end": 250}, {})


def test_it_words_each_error():
    _, errors = clean_settings(
        MICROCURRENT,
        {"intensity_start": "1e3", "intensity_end": "5000", "minutes": "0", "voltage": "3"},
    )

    assert errors == {
        "__all__": "Not a setting of this treatment: voltage.",
        "intensity_start": "Intensity at start must be a whole number.",
        "intensity_end": "Intensity at end must be at most 1000 µA.",
        "minutes": "Minutes must be at least 1 min.",
    }


def test_a_required_field_must_be_given():
    _, errors = clean_settings(LED, {"minutes": "10"})

    assert errors == {"wavelength": "Wavelength is required."}


def test_a_choice_is_one_of_its_choices():
    good, _ = clean_settings(LED, {"wavelength": "633", "minutes": "10"})
    _, bad = clean_settings(LED, {"wavelength": "600", "minutes": "10"})

    assert good == {"wavelength": 633, "minutes": 10}
    assert bad == {"wavelength": "Wavelength must be one of 415, 633, 830 nm."}


def test_a_decimal_is_kept_as_text_and_nan_is_refused():
    fields = [{"name": "hz", "type": "decimal", "min": "0.5", "max": "10"}]

    assert clean_settings(fields, {"hz": "2.50"}) == ({"hz": "2.50"}, {})
    assert clean_settings(fields, {"hz": "NaN"})[1] == {"hz": "hz must be a number."}


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"name": "x"}, "must be a list"),
        ([{"name": "Bad Name", "type": "text"}], "name must be"),
        ([{"name": "x", "type": "colour"}], "type must be one of"),
        ([{"name": "x", "type": "integer", "min": 5, "max": 1}], "min is above max"),
        ([{"name": "x", "type": "choice"}], "needs a list of choices"),
        ([{"name": "x", "type": "text"}, {"name": "x", "type": "text"}], "appears twice"),
    ],
)
def test_a_schema_that_cannot_be_used_is_refused(fields, problem):
    with pytest.raises(SchemaError, match=problem):
        check_schema(fields)


def test_the_built_in_schemas_can_be_used():
    for fields in DEFAULT_FIELDS.values():
        assert check_schema(fields) == fields


def test_it_describes_settings_in_the_schemas_order():
    lines = describe(MICROCURRENT, {"intensity_end": 250, "intensity_start": 100, "old": 1})

    assert lines == ["Intensity at start: 100 µA", "Intensity at end: 250 µA", "old: 1"]
