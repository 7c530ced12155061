"""The `cameoguard` CLI: JSON output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safety.edges.cli import main


class Cli:
    def __init__(self, home: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.capsys = capsys
        self.env = {"CAMEOGUARD_DATABASE_URL": database_url}

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--home", str(self.home), *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *args: str) -> dict[str, object]:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        data: dict[str, object] = json.loads(out)
        return data


@pytest.fixture
def cli(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    test_packs: dict[str, Path],
) -> Cli:
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", database_url)
    # The CLI runs the real face models; faceless test clips need not wait for the slow detector.
    monkeypatch.setenv("CAMEOGUARD_ADULT_POLICY", str(test_packs["default-fast"]))
    monkeypatch.setenv("CAMEOGUARD_TEEN_POLICY", str(test_packs["teen-fast"]))
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(tmp_path / "home", database_url, capsys)


def test_generate_show_report_audit(cli: Cli) -> None:
    assert cli.json("init")["home"]
    assert cli.json("init")["home"], "init is idempotent"
    assert cli.json("user", "add", "maya") == {"handle": "maya", "age_band": "adult", "guardians": []}
    assert cli.json("user", "add", "jun", "--teen")["age_band"] == "teen"
    assert cli.json("follow", "jun", "maya")["created"] is True
    result = cli.json("generate", "--creator", "maya", "--prompt", "a lighthouse in fog", "--duration", "1.5")
    assert result["decision"] == "publish"
    assert {"video_id", "decision", "reasons", "scores", "checks_run", "policy", "published_path", "timings_ms"} <= set(
        result
    )
    assert Path(str(result["published_path"])).is_file()
    shown = cli.json("show", str(result["video_id"]))
    assert shown["status"] == "published" and shown["published_path"] == result["published_path"]
    remix = cli.json("generate", "--creator", "jun", "--prompt", "remix it", "--remix-of", str(result["video_id"]))
    assert remix["decision"] == "publish"
    assert cli.json("show", str(remix["video_id"]))["remix_of"] == result["video_id"]
    reported = cli.json("report", str(result["video_id"]), "--by", "jun", "--reason", "spam")
    assert str(reported["review_item_id"]).startswith("rev_")
    assert cli.json("audit", "verify")["ok"] is True
    checked = cli.json("invariants", "--quiescent")
    assert checked["ok"] is True and "consent_at_publish" in str(checked["checked"]), checked


def test_check_command_on_a_file(cli: Cli, clip: Path) -> None:
    cli("user", "add", "maya")
    result = cli.json("check", "--creator", "maya", "--prompt", "a calm lake", "--video", str(clip))
    assert result["decision"] == "publish"
    code, out, _ = cli("check", "--creator", "maya", "--prompt", "a calm lake", "--video", str(clip))
    assert code == 0 and "publish" in out


@pytest.mark.parametrize("kind", ["missing", "empty", "corrupt", "unknown_creator"])
def test_undecidable_input_exits_non_zero_with_one_line(cli: Cli, clip: Path, tmp_path: Path, kind: str) -> None:
    cli("user", "add", "maya")
    video, creator = clip, "maya"
    if kind == "missing":
        video = tmp_path / "nope.mp4"
    elif kind == "empty":
        video = tmp_path / "empty.mp4"
        video.write_bytes(b"")
    elif kind == "corrupt":
        video = tmp_path / "corrupt.mp4"
        video.write_bytes(b"\x00" * 4096)
    else:
        creator = "stranger"
    code, out, err = cli("check", "--creator", creator, "--prompt", "x", "--video", str(video), "--json")
    assert code == 3
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not list((cli.home / "media" / "published").rglob("*.mp4"))


def test_errors_for_unknown_things(cli: Cli) -> None:
    assert cli("show", "vid_nope")[0] == 3
    assert cli("generate", "--creator", "ghost", "--prompt", "x")[0] == 3
    cli("user", "add", "maya")
    code, _, err = cli("user", "add", "maya")
    assert code == 4 and "already exists" in err
    assert cli("user", "add", "bad handle!")[0] == 3
    assert cli("no-such-command")[0] == 2


def test_fail_checks_env_blocks_publication(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("user", "add", "maya")
    monkeypatch.setenv("CAMEOGUARD_FAIL_CHECKS", "media")
    result = cli.json("generate", "--creator", "maya", "--prompt", "a lighthouse", "--duration", "1")
    assert result["decision"] == "block" and result["published_path"] is None


def test_policy_validate(cli: Cli, tmp_path: Path) -> None:
    assert cli.json("policy", "validate")["valid"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\n")
    code, _, err = cli("policy", "validate", str(bad))
    assert code == 1 and f"{bad}:2: version must be a non-empty string" in err


def test_audit_verify_names_the_broken_row(cli: Cli, database_url: str) -> None:
    cli("user", "add", "maya")
    cli("user", "add", "theo")
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET subject = 'someone' WHERE seq = 2"))
    engine.dispose()
    code, out, _ = cli("audit", "verify", "--json")
    assert code == 1
    assert json.loads(out)["first_broken_seq"] == 2


def test_invariants_name_a_row_changed_behind_the_system(cli: Cli, database_url: str) -> None:
    cli("user", "add", "maya")
    video = cli.json("generate", "--creator", "maya", "--prompt", "a lighthouse in fog", "--duration", "1")
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE videos SET status = 'purged' WHERE id = :id"), {"id": video["video_id"]})
    engine.dispose()
    code, out, _ = cli("invariants", "--json")
    assert code == 1
    broken = {(v["invariant"], v["subject"]) for v in json.loads(out)["violations"]}
    assert ("status_moves", video["video_id"]) in broken
    assert ("purged_is_gone", video["video_id"]) in broken


def test_list_settings_take_a_comma_form(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMEOGUARD_CALLBACK_ALLOWED_HOSTS", "127.0.0.1,example.org")
    monkeypatch.setenv("CAMEOGUARD_TEEN_POLICY_CHOICES", "teen_strict, teen")
    monkeypatch.setenv("CAMEOGUARD_FAIL_CHECKS", "speech,media")
    code, _out, err = cli("init", "--json")
    assert code == 0, err
    from safety import Settings

    settings = Settings()
    assert settings.callback_allowed_hosts == ("127.0.0.1", "example.org")
    assert settings.teen_policy_choices == ("teen_strict", "teen") and settings.fail_checks == {"speech", "media"}
    monkeypatch.setenv("CAMEOGUARD_CALLBACK_ALLOWED_HOSTS", '["127.0.0.1", "example.org"]')
    assert Settings().callback_allowed_hosts == ("127.0.0.1", "example.org"), "the JSON form still works"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CAMEOGUARD_CHECK_WORKERS", "zero"),
        ("CAMEOGUARD_ENV", "prod"),
        ("CAMEOGUARD_QUALITY_SHARE", "2"),
        ("CAMEOGUARD_SUBMISSION_LEASE_S", "-1"),
    ],
)
def test_a_bad_setting_stops_every_process_with_its_name(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    for command in (
        ["serve", "--port", "18080"],
        ["worker"],
        ["review", "serve", "--port", "18501"],
        ["scheduler", "run", "--run-for", "1"],
        ["migrate"],
        ["user", "add", "maya"],
    ):
        code, out, err = cli(*command)
        assert code == 5, (command, out, err)
        assert err.count("\n") == 1 and err.startswith(f"error: {variable} is not valid"), (command, err)
