"""The daily reset: SOD snapshots and EOD high-water marks per day key, time limits run out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from prop_firm.models import (
    PropFirmAccount,
)
from prop_firm.services.day_start import (
    day_start_snapshots_take,
)
from prop_firm.services.rule_engine.checks import (
    account_check,
)
from prop_firm.services.rule_engine.snapshot import (
    ACTIVE,
    sweep_chunk_size,
)
from prop_firm.services.stages import PlanRulesCache
from prop_firm.services.trading_day import day_key

logger = logging.getLogger(__name__)


@dataclass
class ResetStats:
    day: object = None
    snapshots: int = 0
    checked: list[int] = field(default_factory=list)


def daily_reset(
    *, now: datetime | None = None, chunk_size: int | None = None, progress=None
) -> ResetStats:
    """Takes the start-of-day snapshot of every active account not yet snapshotted for the
    current day key (see `day_start_snapshots_take`), then judges accounts whose inactivity
    or time limit has run out."""
    now = now or timezone.now()
    today = day_key(now)
    size = chunk_size or sweep_chunk_size()
    stats = ResetStats(day=today)
    plans = PlanRulesCache()
    due_ids = list(
        PropFirmAccount.objects.filter(status=ACTIVE)
        .exclude(sod_day__gte=today)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for index in range(0, len(due_ids), size):
        ids = due_ids[index : index + size]
        stats.snapshots += day_start_snapshots_take(now=now, account_ids=ids, plans=plans)
        if progress is not None:
            progress(len(ids))
    stats.checked = _time_limits_run_out(now=now, plans=plans)
    for account_id in stats.checked:
        try:
            account_check(account=account_id, now=now)
        except Exception:
            logger.exception("Rule check failed for account %s", account_id)
    return stats


def _time_limits_run_out(*, now: datetime, plans: PlanRulesCache) -> list[int]:
    """Active accounts whose inactivity or stage time limit has run out (one query)."""
    rows = PropFirmAccount.objects.filter(status=ACTIVE).values_list(
        "id", "plan_id", "stage", "phase", "last_fill_at", "stage_started_at", "activated_at"
    )
    rows = list(rows)
    plans.load({row[1] for row in rows})
    due = []
    for account_id, plan_id, stage, phase, last_fill_at, started_at, activated_at in rows:
        plan_rules = plans.get(plan_id, stage, phase)
        started_at = started_at or activated_at or now
        if (
            plan_rules.max_inactive_days is not None
            and now - (last_fill_at or started_at) >= timedelta(days=plan_rules.max_inactive_days)
        ) or (
            plan_rules.max_stage_days is not None
            and plan_rules.profit_target is not None
            and now - started_at >= timedelta(days=plan_rules.max_stage_days)
        ):
            due.append(account_id)
    return due
