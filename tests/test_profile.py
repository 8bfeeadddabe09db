"""Profiles: defaults, validation messages that name the file and field, init, unknown clients."""

from __future__ import annotations

import pytest

from provision.clients.lifecycle import init_client
from provision.clients.profile import builtin_profile, load_profile
from provision.clients.render import client_env
from provision.clients.workspace import Workspace, validate_client_name
from provision.errors import InputError, ProfileError


def test_demo_works_with_no_file(workspace: Workspace) -> None:
    profile = load_profile(workspace, "demo")
    assert profile.source is None
    assert profile.host == "127.0.0.1"
    assert profile.port is None  # picked once, kept in state.json
    assert profile.locale == "ru_RU.UTF-8"
    assert profile.image == "postgres:15"
    assert profile == builtin_profile("demo")


def test_init_writes_a_commented_profile_that_loads(workspace: Workspace) -> None:
    path = init_client(workspace, "vodokanal-ensk", title="МУП «Водоканал» г. Энск")
    text = path.read_text(encoding="utf-8")
    assert "# " in text and "[postgres]" in text and "[seed]" in text
    profile = load_profile(workspace, "vodokanal-ensk")
    assert profile.title == "МУП «Водоканал» г. Энск"
    assert profile.port is None  # "auto": `up` picks a free one then, not one that may be taken by that time
    with pytest.raises(InputError, match="already exists"):
        init_client(workspace, "vodokanal-ensk")


def test_two_inits_get_different_ports(workspace: Workspace) -> None:
    init_client(workspace, "a-client")
    init_client(workspace, "b-client")
    assert client_env(workspace, "a-client").port != client_env(workspace, "b-client").port


def test_typo_names_file_field_and_suggestion(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    path = write_profile("x", "[postgres]\nprot = 5433\n")
    with pytest.raises(ProfileError) as info:
        load_profile(workspace, "x")
    assert str(path) in info.value.message
    assert "postgres.prot" in info.value.message
    assert info.value.fix is not None and "did you mean 'port'" in info.value.fix


@pytest.mark.parametrize(
    ("text", "field", "allowed"),
    [
        ("[postgres]\nport = 80\n", "postgres.port", "1024 to 65535"),
        ('[postgres]\nhost = "localhost:5"\n', "postgres.host", "IP address"),
        ('[postgres]\nmemory_limit = "lots"\n', "postgres.memory_limit", "512m"),
        ('[postgres]\ntimezone = "Moscow"\n', "postgres.timezone", "Europe/Moscow"),
        ('[postgres]\nuser = "Robert; drop"\n', "postgres.user", "lowercase SQL name"),
        ('[seed]\nmode = "magic"\n', "seed.mode", "'synthetic'"),
        ('[services.app]\nports = ["8080"]\n', "services.app.image", "required"),
        ('[services.db]\nimage = "x"\n', "services.db", "not 'db'"),
    ],
)
def test_bad_values_are_refused_with_what_is_allowed(
    workspace: Workspace,
    write_profile,
    text: str,
    field: str,
    allowed: str,  # type: ignore[no-untyped-def]
) -> None:
    write_profile("x", text)
    with pytest.raises(ProfileError) as info:
        load_profile(workspace, "x")
    assert field in info.value.message
    assert allowed in (info.value.fix or "")


def test_broken_toml_names_the_line(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("x", 'title = "ok"\n[postgres\nport = 5\n')
    with pytest.raises(ProfileError, match=r"invalid TOML.*line 2"):
        load_profile(workspace, "x")


def test_non_utf8_profile_is_refused(workspace: Workspace) -> None:
    path = workspace.files("x").profile
    path.parent.mkdir(parents=True)
    path.write_bytes('title = "Водоканал"\n'.encode("cp1251"))
    with pytest.raises(ProfileError, match="not UTF-8"):
        load_profile(workspace, "x")


def test_image_tag_must_match_major(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("x", '[postgres]\nimage = "postgres:16"\nmajor = 15\n')
    with pytest.raises(ProfileError, match="does not match postgres.major"):
        load_profile(workspace, "x")


def test_unknown_client_suggests_close_names(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("vodokanal", 'title = "v"\n')
    with pytest.raises(InputError) as info:
        load_profile(workspace, "vodokanall")
    assert "unknown client 'vodokanall'" in info.value.message
    assert "did you mean vodokanal" in (info.value.fix or "")


@pytest.mark.parametrize("name", ["Client", "-x", "x_y", "a" * 41, "", "кириллица"])
def test_client_names_are_checked(name: str) -> None:
    with pytest.raises(InputError, match="invalid client name"):
        validate_client_name(name)


def test_anonymization_rules_are_validated(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("rso", '[anonymize]\nbirth_date = "drop"\naddress = "keep"\n')
    assert dict(load_profile(workspace, "rso").anonymize) == {"birth_date": "drop", "address": "keep"}
    write_profile("rso", '[anonymize]\nnames = "keep"\n')
    with pytest.raises(ProfileError, match=r"anonymize.names = 'keep' is not allowed") as info:
        load_profile(workspace, "rso")
    assert "pseudonym" in (info.value.fix or "")
    write_profile("rso", "[anonymize]\nnoise = 0.05\n")
    assert load_profile(workspace, "rso").noise == 0.05
    write_profile("rso", "[anonymize]\nnoise = 2\n")
    with pytest.raises(ProfileError, match="anonymize.noise = 2 is not allowed"):
        load_profile(workspace, "rso")
    write_profile("rso", '[anonymize]\nphones = "drop"\n')
    with pytest.raises(ProfileError, match="unknown field anonymize.phones"):
        load_profile(workspace, "rso")


def test_the_image_follows_the_major_and_the_major_an_official_tag(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    """Setting one of them is enough: a major alone names postgres:<major>, an official tag alone its major."""
    for text, image, major in (
        ("[postgres]\nmajor = 17\n", "postgres:17", 17),
        ('[postgres]\nimage = "postgres:18.1"\n', "postgres:18.1", 18),
        ('[postgres]\nimage = "vendor/pg:2"\n', "vendor/pg:2", 15),  # not an official tag: the default major
    ):
        write_profile("pg", text)
        profile = load_profile(workspace, "pg")
        assert (profile.image, profile.major) == (image, major)
