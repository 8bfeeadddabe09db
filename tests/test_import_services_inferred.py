"""`import load` of an export without a services file, against a real PostgreSQL: each account's services are
those its meters and balances name (with no month they began), the report says once how many were taken so,
and the books still pass `provision check`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provision.books.seeding import check_data
from seed.legacy.importer import import_export
from seed.legacy.mapping import standard_mapping
from tests.import_load import KEY, copy_export, query, seeded_export

pytestmark = [pytest.mark.docker, pytest.mark.slow]

MISSING = (
    "SELECT count(*) FROM (SELECT DISTINCT account_id, service_id FROM okno.{table}) x "
    "LEFT JOIN okno.account_service s USING (account_id, service_id) WHERE s.account_id IS NULL"
)


@pytest.fixture(scope="module")
def export(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return seeded_export(pg_dsn, tmp_path_factory)


def test_services_come_from_meters_and_balances_without_a_services_file(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path
) -> None:
    folder = copy_export(export["folder"], tmp_path / "no-services")
    mapping = standard_mapping(folder)
    mapping.files.pop("services").path.unlink()

    result = import_export(pg_dsn, mapping, KEY)

    assert result.rejects.total == 0
    assert query(pg_dsn, MISSING.format(table="meter"))[0][0] == 0  # every account with meters has their services
    assert query(pg_dsn, MISSING.format(table="balance"))[0][0] == 0
    taken, unknown_since = query(
        pg_dsn, "SELECT count(*), count(*) FILTER (WHERE since IS NULL) FROM okno.account_service"
    )[0]
    named = "SELECT count(*) FROM (SELECT account_id, service_id FROM okno.meter{more}) u"
    by_meters = query(pg_dsn, named.format(more=" GROUP BY 1, 2"))[0][0]
    by_both = query(pg_dsn, named.format(more=" UNION SELECT account_id, service_id FROM okno.balance"))[0][0]
    assert taken == by_both == unknown_since
    assert 0 < by_meters < by_both  # some services only the balances name (heating has no meters)
    said = [flag.to_dict() for flag in result.flags if flag.to_dict()["code"] == "load.services_found"]
    assert said == [{"code": "load.services_found", "args": {"count": str(taken)}}]
    assert [c.name for c in check_data(pg_dsn) if not c.ok] == []


def test_a_services_file_is_taken_as_it_is(pg_dsn: str, export: dict[str, Any], tmp_path: Path) -> None:
    folder = copy_export(export["folder"], tmp_path / "with-services")
    result = import_export(pg_dsn, standard_mapping(folder), KEY)
    assert not [flag for flag in result.flags if flag.to_dict()["code"] == "load.services_found"]
    assert (
        query(pg_dsn, "SELECT count(*) FROM okno.account_service WHERE since IS NULL")[0][0]
        < result.rows["account_service"]
    )
