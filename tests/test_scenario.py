"""The scenario file: defaults, paths, unknown keys, bad values."""

import datetime as dt

import pytest

from solver.errors import InputError
from solver.input.scenario import load_scenario, parse_scenario

BASE = {"scenario": {"name": "t", "as_of": dt.date(2025, 9, 1), "data": "d"}}


def test_defaults_are_filled_and_echoed():
    """Every contract default is present in the resolved scenario."""
    r = parse_scenario(BASE).resolved()
    assert r["quotas"]["teacher_rotation_min"] == 0.10
    assert r["quotas"]["key_share_of_rotated_min"] == 0.20
    assert r["eligibility"]["vice_principal"] == r["eligibility"]["principal"]
    assert r["commute"]["max_km"] == 15.0
    assert r["solver"]["workers"] == 2
    assert r["balance"]["objective"] == "cv"


def test_vice_principal_defaults_to_principal_but_can_differ():
    """Banan's 10/15-year rule: vice principals may have their own thresholds."""
    sc = parse_scenario(
        {
            **BASE,
            "eligibility": {
                "principal": {"min_years_at_school": 10},
                "vice_principal": {"min_years_at_school": 15},
            },
        }
    )
    assert sc.eligibility.for_role("principal").min_years_at_school == 10
    assert sc.eligibility.for_role("vice_principal").min_years_at_school == 15


def test_unknown_key_names_the_closest_known_key():
    """A misspelt key is an error that names the key and the closest known one."""
    with pytest.raises(InputError) as e:
        parse_scenario({**BASE, "quotas": {"teacher_rotaton_min": 0.1}})
    (p,) = e.value.problems
    assert p.key == "quotas.teacher_rotaton_min"
    assert "did you mean 'quotas.teacher_rotation_min'" in p.message


def test_unknown_section_is_reported():
    """An unknown section is an error naming the closest section."""
    with pytest.raises(InputError) as e:
        parse_scenario({**BASE, "quota": {}})
    assert "did you mean 'quotas'" in str(e.value)


def test_bad_share_names_the_key():
    """A share outside [0, 1] names its key."""
    with pytest.raises(InputError) as e:
        parse_scenario({**BASE, "quotas": {"school_outflow_max": 1.5}})
    assert e.value.problems[0].key == "quotas.school_outflow_max"


def test_data_path_is_relative_to_the_scenario_file(tmp_path):
    """`data` is resolved against the scenario file's folder."""
    f = tmp_path / "sub" / "s.toml"
    f.parent.mkdir()
    f.write_text('[scenario]\nname = "x"\nas_of = 2025-09-01\ndata = "../d"\n', encoding="utf-8")
    assert load_scenario(f).scenario.data == (tmp_path / "d").resolve()


def test_invalid_toml_names_the_file(tmp_path):
    """A TOML syntax error is reported with the file name."""
    f = tmp_path / "bad.toml"
    f.write_text("[scenario\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_scenario(f)
    assert e.value.problems[0].file == str(f)
