"""config.toml errors name the key and say what is expected; a good file loads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.config.load import load_config
from engine.kernel.errors import ConfigError

SHIPPED = (Path(__file__).resolve().parents[2] / "config.toml").read_text(encoding="utf-8")
SHIPPED_WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _load_broken(tmp_path: Path, old: str, new: str) -> ConfigError:
    assert old in SHIPPED, f"the shipped config no longer holds {old!r}"
    path = _write(tmp_path, SHIPPED.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: "), "the error names the file first"
    return err.value


def test_shipped_config_loads_into_typed_values(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, SHIPPED))
    assert cfg.timezone == "Europe/Stockholm"
    assert cfg.agreement.start == dt.date(2009, 10, 15)
    assert cfg.agreement.period_months == 12
    assert cfg.agreement.renewal_reminder_days == (90, 30, 7)
    assert {"chair", "member", "official", "police", "security", "admin"} <= cfg.role_keys
    assert {"trygghetsgruppen", "ksau", "polisen"} <= cfg.group_keys
    assert len(cfg.focus_areas) == 6
    # A relative SQLite path is relative to the config file, not to the working directory.
    assert cfg.database_url == f"sqlite:///{tmp_path.resolve() / 'var' / 'samverkan.db'}"
    assert cfg.workflows_dir == tmp_path.resolve() / "workflows"


def test_config_is_frozen(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, SHIPPED))
    with pytest.raises(AttributeError):
        cfg.timezone = "UTC"  # type: ignore[misc]


def test_overrides_replace_fields(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, SHIPPED), database_url="sqlite://", language="en")
    assert (cfg.database_url, cfg.language) == ("sqlite://", "en")


def test_bad_timezone_names_the_key_and_an_example(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'timezone = "Europe/Stockholm"', 'timezone = "Europe/Hoor"')
    assert err.key == "timezone"
    assert "unknown time zone 'Europe/Hoor'" in err.problem
    assert "Europe/Stockholm" in err.problem


def test_missing_agreement_start_is_named(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, "start = 2009-10-15\n", "")
    assert (err.key, err.problem) == ("agreement.start", "is missing")


def test_agreement_start_must_be_a_date(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, "start = 2009-10-15", 'start = "15 oktober 2009"')
    assert err.key == "agreement.start"
    assert "expected date" in err.problem


def test_agreement_start_may_not_be_a_date_time(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, "start = 2009-10-15", "start = 2009-10-15T10:00:00")
    assert err.key == "agreement.start"
    assert "not a date-time" in err.problem


def test_on_holiday_takes_one_of_two_words(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'lead_days = 14\n', 'lead_days = 14\non_holiday = "skip"\n')
    assert err.key == "recurring[2].on_holiday"
    assert err.problem == 'expected "next_working_day" or "keep", got \'skip\''


def test_unknown_top_level_key_lists_the_known_ones(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'language = "sv"', 'language = "sv"\ncolour = "blue"')
    assert err.key == "colour"
    assert "unknown key" in err.problem
    assert "timezone" in err.problem
    assert "agreement" in err.problem


def test_unknown_key_inside_a_table_is_named_with_its_table(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'url = "sqlite:///var/samverkan.db"',
                       'url = "sqlite:///var/samverkan.db"\npool_size = 5')
    assert err.key == "database.pool_size"
    assert "expected one of url" in err.problem


def test_unknown_key_in_an_array_of_tables_names_the_index(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'key = "member"', 'key = "member"\ncolour = "red"')
    assert err.key == "roles[1].colour"


def test_wrong_type_says_what_is_expected(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, "period_months = 12", 'period_months = "tolv"')
    assert err.key == "agreement.period_months"
    assert err.problem == "expected int, got 'tolv'"


def test_period_must_be_positive(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, "period_months = 12", "period_months = 0")
    assert (err.key, err.problem) == ("agreement.period_months", "must be at least 1")


def test_bad_language(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'language = "sv"', 'language = "de"')
    assert err.key == "language"
    assert '"sv" or "en"' in err.problem


def test_bad_mail_security(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'security = "none"', 'security = "tls"')
    assert err.key == "mail.security"


def test_duplicate_group_key(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'key = "ksau"', 'key = "trygghetsgruppen"')
    assert err.key == "groups[1].key"
    assert "duplicate key 'trygghetsgruppen'" in err.problem


def test_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'language = "sv"', "language = ")
    assert err.key == "(syntax)"


def test_missing_file_says_how_to_choose_another(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pass --config PATH or set SAMVERKAN_CONFIG"):
        load_config(tmp_path / "nowhere.toml")


def test_mail_ca_file_is_read_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "smtp-ca.pem").write_text("", encoding="utf-8")
    cfg = load_config(_write(tmp_path, SHIPPED.replace('ca_file = ""', 'ca_file = "smtp-ca.pem"', 1)))
    assert cfg.mail.ca_file == str((tmp_path / "smtp-ca.pem").resolve())
    assert load_config(_write(tmp_path, SHIPPED)).mail.ca_file == ""


def test_missing_mail_ca_file(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'ca_file = ""', 'ca_file = "nowhere.pem"')
    assert err.key == "mail.ca_file"
    assert "not found" in err.problem


def _build_broken(tmp_path: Path, text: str) -> ConfigError:
    """`text` as config.toml loads, but building the engine on it (with the shipped workflows) fails."""
    from samverkan.bootstrap import build_engine

    text = text.replace('workflows_dir = "workflows"', f'workflows_dir = "{SHIPPED_WORKFLOWS.as_posix()}"', 1)
    path = _write(tmp_path, text)
    cfg = load_config(path, database_url="sqlite://")  # the workflow files are not read yet
    with pytest.raises(ConfigError) as err:
        build_engine(cfg)
    assert str(err.value).startswith(f"{path.resolve()}: "), "the error names the file first"
    assert "\n" not in str(err.value)
    return err.value


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('renewed_states = ["extended", "revised"]', 'renewed_states = ["extendd", "revised"]',
     "agreement.renewed_states", "agreement_renewal has no state 'extendd'; known: opened,"),
    ('renewed_states = ["extended", "revised"]', 'renewed_states = ["extended", "discussed"]',
     "agreement.renewed_states", "'discussed' is not an end state of agreement_renewal; expected some of extended,"),
    ('renewal_workflow = "agreement_renewal"', 'renewal_workflow = "agreement_renewel"',
     "agreement.renewal_workflow", "no workflow 'agreement_renewel'; known: action, acute_matter,"),
    ('workflow = "monthly_review"\n# The joint', 'workflow = "monthly_reveiw"\n# The joint',
     "recurring[2].workflow", "no workflow 'monthly_reveiw'; known: action, acute_matter,"),
    ('workflow = "acute_matter"', 'workflow = "acute_mater"', "obligations[4].workflow", "no workflow 'acute_mater'"),
    ('states = ["held"]\nrequired = 3', 'states = ["hel"]\nrequired = 3', "obligations[1].states",
     "safety_group_meeting has no state 'hel'; known: planned,"),
    ('required_state = "held"', 'required_state = "hold"', "obligations[3].required_state",
     "monthly_review has no state 'hold'; known: scheduled,"),
])
def test_a_workflow_or_state_config_names_must_exist_when_the_engine_is_built(
        tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    assert old in SHIPPED
    err = _build_broken(tmp_path, SHIPPED.replace(old, new, 1))
    assert err.key == key
    assert err.problem.startswith(problem), err.problem


@pytest.mark.parametrize("value", ["[]", '["extended", 5]', '"extended"'])
def test_renewed_states_must_be_a_list_of_names(tmp_path: Path, value: str) -> None:
    err = _load_broken(tmp_path, 'renewed_states = ["extended", "revised"]', f"renewed_states = {value}")
    assert err.key == "agreement.renewed_states"


def test_a_non_numeric_cron_step_names_the_schedule_key(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, 'schedule = "0 9 * * mon#1"', 'schedule = "0 9 * * */x"')
    assert err.key == "recurring[2].schedule"
    assert err.problem.startswith("day_of_week: step 'x' in '*/x' is not a whole number (e.g. ")


@pytest.mark.parametrize(("value", "problem"), [("-1", "0 to 5"), ("9", "0 to 5"), ('"1"', "expected int")])
def test_trusted_proxies_is_a_small_count_of_hops(tmp_path: Path, value: str, problem: str) -> None:
    err = _load_broken(tmp_path, "trusted_proxies = 0", f"trusted_proxies = {value}")
    assert err.key == "web.trusted_proxies"
    assert problem in err.problem


def test_session_max_hours_is_between_an_hour_and_a_week(tmp_path: Path) -> None:
    err = _load_broken(tmp_path, "session_max_hours = 12", "session_max_hours = 0")
    assert err.key == "web.session_max_hours"
    assert "1 to 168 hours" in err.problem


def test_web_settings_are_read_and_default_to_no_proxy_and_twelve_hours(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, SHIPPED.replace("trusted_proxies = 0", "trusted_proxies = 1")))
    assert (cfg.web.trusted_proxies, cfg.web.session_max_hours) == (1, 12)
    without = SHIPPED.replace("trusted_proxies = 0\n", "").replace("session_max_hours = 12\n", "")
    assert load_config(_write(tmp_path, without)).web.trusted_proxies == 0


def test_files_folder_is_read_relative_to_the_config_file_with_its_limits(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, SHIPPED.replace("max_size_mb = 25", "max_size_mb = 2.5", 1)))
    assert cfg.files.dir == tmp_path / "var" / "files"
    assert cfg.files.max_bytes == int(2.5 * 1024 * 1024)
    assert cfg.files.allowed == ("pdf", "image", "office", "text")


@pytest.mark.parametrize(("old", "new", "key", "says"), [
    ('allowed = ["pdf", "image", "office", "text"]', 'allowed = ["pdf", "exe"]', "files.allowed",
     "expected a non-empty list of 'pdf', 'image', 'office', 'text'"),
    ("max_size_mb = 25", "max_size_mb = 0", "files.max_size_mb", "more than 0"),
    ('dir = "var/files"', 'dir = ""', "files.dir", "expected the folder"),
])
def test_bad_files_settings_are_named(tmp_path: Path, old: str, new: str, key: str, says: str) -> None:
    err = _load_broken(tmp_path, old, new)
    assert err.key == key
    assert says in err.problem
