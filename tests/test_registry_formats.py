"""Registry formats and files without a database: the built-ins, writing and reading back, and every
whole-file fault refused with the file, the line and the field."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from seed.errors import RegistryError
from seed.registry import codec, formats
from seed.registry.codec import format_amount, parse_amount, read_registry, write_registry

BUILTINS = ("bank", "post", "csv")


def lines_of(fmt: formats.Format, amounts: list[int]) -> list[dict[str, str]]:
    day = dt.datetime(2026, 11, 27, 9, 30, 0)
    return [
        {
            "account": f"{1000000 + k}",
            "name": "Щербакова Ёлка Эдуардовна",
            "address": "г. Заречный, ул. Мира, д. 5, кв. 12",
            "period": dt.date(2026, 11, 1).strftime(fmt.period_format),
            "amount": format_amount(fmt, amount),
            "commission": format_amount(fmt, 0),
            "transfer": format_amount(fmt, amount),
            "date": day.strftime(fmt.date_format),
            "time": day.strftime(fmt.time_format),
            "transaction": f"T{k:08d}",
            "branch": "0042",
        }
        for k, amount in enumerate(amounts)
    ]


def control(fmt: formats.Format, count: int, total: int) -> dict[str, str]:
    return {
        "count": str(count),
        "total": format_amount(fmt, total),
        "number": "2026112701",
        "date": dt.date(2026, 11, 27).strftime(fmt.date_format),
    }


@pytest.mark.parametrize("name", BUILTINS)
def test_each_builtin_writes_what_it_reads(name: str, tmp_path: Path) -> None:
    fmt = formats.find_format(name)
    amounts = [123456, 100, 99, 5_000_000]
    path = tmp_path / f"{name}.txt"
    write_registry(path, fmt, lines_of(fmt, amounts), control(fmt, len(amounts), sum(amounts)))
    raw = path.read_bytes()
    assert (b"\r\n" in raw) == (fmt.line_end == "\r\n")
    assert "Щербакова Ёлка".encode(fmt.encoding) in raw  # written in the agent's encoding
    registry = read_registry(path, fmt)
    assert [line.amount for line in registry.lines] == amounts
    assert registry.count == 4 and registry.total == sum(amounts)
    assert registry.number == "2026112701" and registry.date == dt.date(2026, 11, 27)
    assert registry.lines[0].account == "1000000" and registry.lines[0].paid_on == dt.date(2026, 11, 27)
    assert registry.lines[0].payer == "Щербакова Ёлка Эдуардовна"
    assert len(registry.checksum) == 64


def test_a_client_format_overrides_a_builtin_and_a_new_one_needs_no_code(tmp_path: Path) -> None:
    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "kassa.toml").write_text(
        'agent = "Касса ТСЖ"\nencoding = "utf-8"\ndelimiter = "|"\ndecimal = "."\n'
        'fields = ["account", "amount", "date"]\ndate_format = "%Y%m%d"\n'
        '[footer]\nprefix = "ИТОГО|"\nfields = ["count", "total"]\n',
        encoding="utf-8",
    )
    fmt = formats.find_format("kassa", agents)
    path = tmp_path / "r.txt"
    path.write_text("77|150.50|20261127\n78|9.50|20261127\nИТОГО|2|160.00\n", encoding="utf-8")
    registry = read_registry(path, fmt)
    assert [(line.account, line.amount) for line in registry.lines] == [("77", 15050), ("78", 950)]
    assert set(formats.format_files(agents)) == {*BUILTINS, "kassa"}


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('agent = "A"\nfields = ["account", "amount"]\nsize = 3\n', "unknown field size"),
        ('agent = "A"\nfields = ["account", "amount", "sum"]\n[footer]\nfields = ["count", "total"]\n', "sum"),
        ('agent = "A"\nfields = ["account"]\n[footer]\nfields = ["count", "total"]\n', "fields has no 'amount'"),
        ('agent = "A"\nfields = ["account", "amount"]\n', "neither the header nor the footer"),
        ('fields = ["account", "amount"]\n[footer]\nfields = ["count", "total"]\n', "field agent = None"),
        (
            'agent = "A"\nencoding = "klingon"\nfields = ["account", "amount"]\n[footer]\nfields = ["count","total"]\n',
            "field encoding = 'klingon'",
        ),
        (
            'agent = "A"\nfields = ["account", "amount"]\nwidths = [5]\n[footer]\nfields = ["count", "total"]\n',
            "field widths",
        ),
        (
            'agent = "A"\nfields = ["account", "amount"]\n[footer]\nfields = ["count", "total"]\nprefix = 1\n',
            "field footer.prefix = 1",
        ),
        (
            'agent = "A"\nfields = ["account", "amount"]\ndate_format = "%Q"\n[footer]\nfields = ["count", "total"]\n',
            "field date_format",
        ),
        (
            'agent = "A"\nfields = ["account", "amount"]\n[footer]\nfields = ["count", "total"]\nwhat = 1\n',
            "unknown field footer.what",
        ),
        (
            'agent = "A"\nfields = ["account", "amount", "account"]\n[footer]\nfields = ["count", "total"]\n',
            "each field at most once",
        ),
        ("agent = \n", "is not valid TOML"),
    ],
)
def test_a_broken_format_file_is_named_with_its_field(tmp_path: Path, toml: str, fragment: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(RegistryError, match="broken.toml") as refused:
        formats.read_format(path)
    assert fragment in f"{refused.value} {refused.value.fix}"


def test_an_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(RegistryError, match="no registry format 'sber'") as refused:
        formats.find_format("sber")
    assert "bank, csv, post" in refused.value.fix


def written(tmp_path: Path, name: str, amounts: list[int], count: int | None = None, total: int | None = None) -> Path:
    fmt = formats.find_format(name)
    path = tmp_path / f"{name}.txt"
    ctl = control(fmt, len(amounts) if count is None else count, sum(amounts) if total is None else total)
    write_registry(path, fmt, lines_of(fmt, amounts), ctl)
    return path


def refused(path: Path, name: str) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        read_registry(path, formats.find_format(name))
    assert str(path) in str(caught.value)
    return caught.value


def test_control_sums_are_checked(tmp_path: Path) -> None:
    error = refused(written(tmp_path, "bank", [100, 200], total=301), "bank")
    assert error.line == 3 and "total 3,01 differs from the lines' sum 3,00" in str(error)
    error = refused(written(tmp_path, "post", [100, 200], count=3), "post")
    assert "says 3 payments, the file has 2" in str(error)


def test_a_file_cut_short_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path, "bank", [100, 200, 300])
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"=")])
    assert "the file is cut short" in str(refused(path, "bank"))


def test_a_file_in_another_encoding_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = written(tmp_path, "bank", [100, 200])  # cp1251
    error = refused(path, "post")  # read as cp866
    assert "another encoding" in str(error) or "is not cp866" in str(error)
    utf8 = tmp_path / "utf8.txt"
    utf8.write_bytes(path.read_bytes().decode("cp1251").encode("utf-8"))
    error = refused(utf8, "bank")
    assert error.line == 1 and "garbled text in cp1251" in str(error)
    cut = tmp_path / "cut.txt"
    cut.write_bytes(written(tmp_path, "csv", [100]).read_bytes().replace("Щ".encode(), b"\xd0"))
    error = refused(cut, "csv")
    assert error.line == 2 and "is not utf-8 text" in str(error)


def test_a_malformed_line_or_amount_is_refused_with_its_line_and_field(tmp_path: Path) -> None:
    path = written(tmp_path, "bank", [100, 200])
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    path.write_bytes("\r\n".join([lines[0], lines[1].rsplit(";", 2)[0], *lines[2:]]).encode("cp1251"))
    assert "line 2: the line has 10 fields, the format 'bank' has 12" in str(refused(path, "bank"))
    path = written(tmp_path, "bank", [100, 200])
    text = path.read_bytes().decode("cp1251").replace(";1,00;", ";1.00;", 1)
    path.write_bytes(text.encode("cp1251"))
    error = refused(path, "bank")
    assert error.line == 1 and "field amount: '1.00' is not an amount with the decimal mark ','" in str(error)


def test_a_line_whose_date_cannot_be_read_is_kept_with_its_problem(tmp_path: Path) -> None:
    path = written(tmp_path, "csv", [100, 200])
    path.write_text(path.read_text(encoding="utf-8").replace("2026-11-27,09", "2026-13-27,09", 1), encoding="utf-8")
    registry = read_registry(path, formats.find_format("csv"))
    assert [line.problem for line in registry.lines] == [codec.BAD_DATE, ""]
    assert registry.lines[0].paid_on is None


@pytest.mark.parametrize(
    ("name", "text", "kopecks"),
    [
        ("bank", "1234,56", 123456),
        ("bank", "1234", 123400),
        ("bank", "0,5", 50),
        ("bank", "-10,00", -1000),
        ("bank", "1 234,56", 123456),
        ("bank", "12.34", None),
        ("bank", "abc", None),
        ("post", "000000123456", 123456),
        ("post", "12,34", None),
        ("csv", "12.34", 1234),
        ("csv", "12,34", None),
    ],
)
def test_amounts_in_roubles_or_kopecks(name: str, text: str, kopecks: int | None) -> None:
    assert parse_amount(formats.find_format(name), text) == kopecks


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_reading_in_blocks_gives_what_a_whole_read_gives(
    name: str, block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is read a block at a time: a line, a "\\r\\n" or a UTF-8 letter cut by a block's end reads as
    if the file had been read whole; the checksum is the file's."""
    fmt = formats.find_format(name)
    path = written(tmp_path, name, [100, 250, 1_000_000, 5])
    whole = read_registry(path, fmt)
    monkeypatch.setattr(codec, "BLOCK", block)
    blocks = read_registry(path, fmt)
    assert blocks == whole and len(blocks.lines) == 4
    assert blocks.lines[0].payer == "Щербакова Ёлка Эдуардовна"


def test_a_fault_past_the_first_lines_is_found_where_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The precheck reads only the first lines; the load reading on finds a later fault with its line."""
    monkeypatch.setattr(codec, "BLOCK", 64)
    path = written(tmp_path, "bank", [100] * 30)
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    lines[25] = lines[25].replace(";1,00;", ";1.00;", 1)
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    reader = codec.RegistryReader(path, formats.find_format("bank"))
    reader.precheck(lines=10)  # the first ten lines are fine
    with pytest.raises(RegistryError) as caught:
        list(reader)
    assert caught.value.line == 26 and "field amount: '1.00'" in str(caught.value)
    with pytest.raises(RuntimeError):
        reader.registry  # noqa: B018 - no control values for a file refused


U16 = (
    'agent = "Касса ТСЖ «Рассвет»"\nencoding = "UTF-16"\ndelimiter = "|"\ndecimal = "."\n'
    'fields = ["account", "name", "period", "amount", "date"]\ndate_format = "%Y%m%d"\nperiod_format = "%m%y"\n'
    '[header]\nprefix = "РЕЕСТР|"\nfields = ["number", "date"]\n'
    '[footer]\nprefix = "ИТОГО|"\nfields = ["count", "total"]\n'
)


@pytest.mark.parametrize("block", [1, 3, 1 << 20])
def test_a_utf16_format_writes_and_reads_its_registries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    (tmp_path / "u16.toml").write_text(U16, encoding="utf-8")
    fmt = formats.find_format("u16", tmp_path)
    assert fmt.encoding == "utf-16"
    path = tmp_path / "r.txt"
    amounts = [15050, 950, 100]
    write_registry(path, fmt, lines_of(fmt, amounts), control(fmt, 3, sum(amounts)))
    raw = path.read_bytes()
    assert raw.startswith(b"\xff\xfe") and raw.count(b"\xff\xfe") == 1  # one byte-order mark, at the start
    assert raw.decode("utf-16").startswith("РЕЕСТР|2026112701|20261127\r\n")
    monkeypatch.setattr(codec, "BLOCK", block)
    registry = read_registry(path, fmt)
    assert [(line.amount, line.payer) for line in registry.lines][0] == (15050, "Щербакова Ёлка Эдуардовна")
    assert registry.total == sum(amounts) and registry.lines[0].period == dt.date(2026, 11, 1)


@pytest.mark.parametrize("encoding", ["base64", "rot13", "hex", "zlib", "latin-1"])
def test_a_codec_that_is_not_a_text_encoding_for_the_format_is_refused(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "odd.toml"
    path.write_text(U16.replace('"UTF-16"', f'"{encoding}"'), encoding="utf-8")
    with pytest.raises(RegistryError, match=f"odd.toml: field encoding = '{encoding}'") as refused:
        formats.read_format(path)
    said = f"{refused.value} {refused.value.fix}"
    if encoding == "latin-1":  # a text encoding, without the letters of the format's prefixes
        assert "cannot carry the format's own text 'РЕЕСТР|'" in said
    else:
        assert "is not allowed" in said and "utf-16 (not base64, rot13, hex or zip)" in said


def test_formats_and_load_refuse_a_bad_encoding_and_a_nul_byte_at_its_line(workspace: Workspace) -> None:
    """As a person meets them: exit 2, the file, the line or field, and the fix; nothing asked of a database
    (the refusals come before the client's database is needed)."""
    agents = workspace.files("demo").agents
    agents.mkdir(parents=True)
    (agents / "b64.toml").write_text(U16.replace('"UTF-16"', '"base64"'), encoding="utf-8")
    result = CliRunner().invoke(app, ["registry", "formats", "demo"])
    assert result.exit_code == 2 and "b64.toml: field encoding = 'base64' is not allowed" in result.output
    assert "fix: allowed: a text encoding Python knows" in result.output and "Traceback" not in result.output
    (agents / "b64.toml").unlink()
    path = written(workspace.root, "csv", [100, 200, 300])
    data = path.read_bytes().split(b"\n")
    data[2] = data[2].replace(b",", b"\x00,", 1)  # line 3
    path.write_bytes(b"\n".join(data))
    result = CliRunner().invoke(app, ["registry", "load", "demo", str(path), "--agent", "csv"])
    assert result.exit_code == 2, result.output
    assert f"{path}, line 3: holds a NUL byte" in result.output and "nothing was loaded" in result.output


def test_a_registry_date_that_cannot_be_true_is_named_at_its_own_line(tmp_path: Path) -> None:
    for bad in ("2026-13-01", "9999-12-31", "1900-01-01"):
        path = written(tmp_path, "csv", [100, 200])  # the date is in the header, line 1
        path.write_text(path.read_text(encoding="utf-8").replace("2026-11-27", bad, 1), encoding="utf-8")
        error = refused(path, "csv")
        assert error.line == 1 and f"field date: '{bad}' is not a registry's date" in str(error), str(error)
    path = written(tmp_path, "bank", [100, 200])  # the date is in the footer, line 3
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    lines[2] = lines[2].replace("27-11-2026", "31-12-9999")
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    error = refused(path, "bank")
    assert error.line == 3 and "'31-12-9999' is not a registry's date" in str(error)


def test_a_period_that_cannot_be_read_is_the_line_s_problem(tmp_path: Path) -> None:
    path = written(tmp_path, "bank", [100, 200, 300])
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    lines[1] = lines[1].replace(";1126;", ";1326;")
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    registry = read_registry(path, formats.find_format("bank"))
    assert [line.problem for line in registry.lines] == ["", codec.BAD_PERIOD, ""]
    assert registry.lines[0].period == dt.date(2026, 11, 1) and registry.lines[1].period is None


def test_a_fifo_or_a_device_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    """Opening a FIFO waits for a writer and /dev/zero never ends: both are named, at once."""
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(RegistryError, match="pipe.toml: is a FIFO"):
        formats.read_format(fifo)
    with pytest.raises(RegistryError, match="/dev/zero: is a device"):
        formats.read_format(Path("/dev/zero"))
    with pytest.raises(RegistryError, match="pipe.toml: is a FIFO") as caught:
        codec.RegistryReader(fifo, formats.find_format("csv")).precheck()
    assert caught.value.fix == "give the registry's file itself"
