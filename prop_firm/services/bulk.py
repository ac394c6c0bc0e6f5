"""The sweep's bulk writes: one statement per chunk, whatever its size.

Django's `bulk_update` writes `CASE WHEN id = … THEN …` per field, which is quadratic on
PostgreSQL and split into many statements on SQLite (999 parameters). Here the rows travel
as one JSON parameter and are joined in SQL (`jsonb_to_recordset` on PostgreSQL,
`json_each` on SQLite), so a chunk of 10 or of 10,000 accounts is one UPDATE and one INSERT.
Other databases fall back to the ORM.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, Value
from django.db.models.functions import Greatest

from alpacabackend.money import MONEY_DIGITS
from prop_firm.models import EquitySnapshot, PropFirmAccount

_ACCOUNTS = PropFirmAccount._meta.db_table
_SNAPSHOTS = EquitySnapshot._meta.db_table
_MONEY = DecimalField(**MONEY_DIGITS)


@dataclass(frozen=True, slots=True)
class Marks:
    account_id: int
    equity: Decimal
    unrealized_pl: Decimal
    peak_equity: Decimal
    max_loss_floor: Decimal
    marked_at: datetime
    snapshot_at: datetime | None


def _instant(value: datetime | None):
    if value is None:
        return None
    if connection.vendor == "postgresql":
        return value.isoformat()
    return str(connection.ops.adapt_datetimefield_value(value))


_PG_MARKS = f"""
UPDATE {_ACCOUNTS} AS a SET
    equity = v.e, unrealized_pl = v.u,
    peak_equity = GREATEST(a.peak_equity, v.p),
    max_loss_floor = GREATEST(a.max_loss_floor, v.f),
    last_marked_at = v.m, equity_snapshot_at = v.s
FROM jsonb_to_recordset(%s::jsonb)
    AS v(i bigint, e numeric, u numeric, p numeric, f numeric, m timestamptz, s timestamptz)
WHERE a.id = v.i AND a.status = 'ACTIVE'
"""  # noqa: S608 - table names from the models, values bound as one parameter

_SQLITE_MARKS = f"""
UPDATE {_ACCOUNTS} SET
    equity = v.e, unrealized_pl = v.u,
    peak_equity = MAX(peak_equity, v.p),
    max_loss_floor = MAX(max_loss_floor, v.f),
    last_marked_at = v.m, equity_snapshot_at = v.s
FROM (
    SELECT json_extract(value, '$.i') AS i,
           CAST(json_extract(value, '$.e') AS NUMERIC) AS e,
           CAST(json_extract(value, '$.u') AS NUMERIC) AS u,
           CAST(json_extract(value, '$.p') AS NUMERIC) AS p,
           CAST(json_extract(value, '$.f') AS NUMERIC) AS f,
           json_extract(value, '$.m') AS m,
           json_extract(value, '$.s') AS s
    FROM json_each(%s)
) AS v
WHERE {_ACCOUNTS}.id = v.i AND {_ACCOUNTS}.status = 'ACTIVE'
"""  # noqa: S608

_PG_SNAPSHOTS = f"""
INSERT INTO {_SNAPSHOTS} (account_id, at, balance, equity)
SELECT v.i, v.m, v.b, v.e
FROM jsonb_to_recordset(%s::jsonb) AS v(i bigint, m timestamptz, b numeric, e numeric)
ON CONFLICT DO NOTHING
"""  # noqa: S608

_SQLITE_SNAPSHOTS = f"""
INSERT OR IGNORE INTO {_SNAPSHOTS} (account_id, at, balance, equity)
SELECT json_extract(value, '$.i'), json_extract(value, '$.m'),
       CAST(json_extract(value, '$.b') AS NUMERIC), CAST(json_extract(value, '$.e') AS NUMERIC)
FROM json_each(%s)
"""  # noqa: S608


def marks_write(rows: list[Marks]) -> None:
    """Stores E, U, PEAK_E, F_t and the mark instants of ACTIVE accounts in one statement.
    PEAK_E and F_t are written as GREATEST(stored, new): a high-water mark never falls, even
    when a fill wrote a higher one since the sweep read the row."""
    if not rows:
        return
    if connection.vendor in ("postgresql", "sqlite"):
        payload = json.dumps(
            [
                {
                    "i": r.account_id,
                    "e": str(r.equity),
                    "u": str(r.unrealized_pl),
                    "p": str(r.peak_equity),
                    "f": str(r.max_loss_floor),
                    "m": _instant(r.marked_at),
                    "s": _instant(r.snapshot_at),
                }
                for r in rows
            ]
        )
        sql = _PG_MARKS if connection.vendor == "postgresql" else _SQLITE_MARKS
        with connection.cursor() as cursor:
            cursor.execute(sql, [payload])
        return
    PropFirmAccount.objects.filter(status="ACTIVE").bulk_update(
        [
            PropFirmAccount(
                id=r.account_id,
                equity=r.equity,
                unrealized_pl=r.unrealized_pl,
                peak_equity=Greatest(F("peak_equity"), Value(r.peak_equity, _MONEY)),
                max_loss_floor=Greatest(F("max_loss_floor"), Value(r.max_loss_floor, _MONEY)),
                last_marked_at=r.marked_at,
                equity_snapshot_at=r.snapshot_at,
            )
            for r in rows
        ],
        [
            "equity",
            "unrealized_pl",
            "peak_equity",
            "max_loss_floor",
            "last_marked_at",
            "equity_snapshot_at",
        ],
    )


def snapshots_write(rows: list[tuple[int, datetime, Decimal, Decimal]]) -> None:
    """Equity points `(account_id, at, balance, equity)` in one statement; an existing point
    of the same account and instant is kept (two workers on one chunk write it once)."""
    if not rows:
        return
    if connection.vendor in ("postgresql", "sqlite"):
        payload = json.dumps(
            [
                {"i": i, "m": _instant(at), "b": str(balance), "e": str(equity)}
                for i, at, balance, equity in rows
            ]
        )
        sql = _PG_SNAPSHOTS if connection.vendor == "postgresql" else _SQLITE_SNAPSHOTS
        with connection.cursor() as cursor:
            cursor.execute(sql, [payload])
        return
    EquitySnapshot.objects.bulk_create(
        [
            EquitySnapshot(account_id=i, at=at, balance=balance, equity=equity)
            for i, at, balance, equity in rows
        ],
        ignore_conflicts=True,
    )
