"""A plan's stages: evaluation phases 1..n, then FUNDED; and their rule parameters."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from alpacabackend.cache import ProcessCache
from prop_firm import rules
from prop_firm.models import AccountStage, PlanPhase, PropFirmPlan

# Plans and their phases, per process: the order path judges every order against them and
# they change a few times a year. A save or delete in this process clears the cache at
# once; other processes see an edit after at most PLAN_CACHE_SECONDS.
PLAN_CACHE_SECONDS = 60.0
_plans = ProcessCache(PLAN_CACHE_SECONDS)


@receiver(post_save, sender=PropFirmPlan)
@receiver(post_delete, sender=PropFirmPlan)
@receiver(post_save, sender=PlanPhase)
@receiver(post_delete, sender=PlanPhase)
def plans_cache_clear(**_) -> None:
    _plans.clear()


def plan_cached(plan_id: int) -> tuple[PropFirmPlan, list[PlanPhase]]:
    """A plan and its extra phases, from the process cache (two queries on a miss)."""
    return _plans.read(
        plan_id,
        lambda: (
            PropFirmPlan.objects.get(pk=plan_id),
            list(PlanPhase.objects.filter(plan_id=plan_id)),
        ),
    )


@dataclass(frozen=True, slots=True)
class Stage:
    stage: str
    phase: int
    profit_target: Decimal | None
    min_trading_days: int
    name: str


def plan_stages(plan: PropFirmPlan, phases=None) -> list[Stage]:
    """Every stage of a plan in order. `phases` are the plan's PlanPhase rows when the
    caller already has them (the sweep loads them once for every plan)."""
    if phases is None:
        phases = list(plan.extra_phases.all())
    if plan.plan_type == "INSTANT":
        return [Stage(AccountStage.FUNDED, 1, None, 0, "Funded")]
    stages = [
        Stage(AccountStage.EVALUATION, 1, plan.profit_target, plan.min_trading_days, "Phase 1")
    ]
    for phase in sorted(phases, key=lambda p: p.number):
        stages.append(
            Stage(
                AccountStage.EVALUATION,
                phase.number,
                phase.profit_target,
                phase.min_trading_days,
                phase.name or f"Phase {phase.number}",
            )
        )
    stages.append(Stage(AccountStage.FUNDED, len(stages) + 1, None, 0, "Funded"))
    return stages


def current_stage(plan: PropFirmPlan, *, stage: str, phase: int, phases=None) -> Stage:
    stages = plan_stages(plan, phases)
    if stage == AccountStage.FUNDED:
        return stages[-1]
    for candidate in stages:
        if candidate.stage == stage and candidate.phase == phase:
            return candidate
    raise ValueError(f"Plan {plan.pk} has no {stage} phase {phase}.")


def next_stage(plan: PropFirmPlan, *, stage: str, phase: int, phases=None) -> Stage | None:
    stages = plan_stages(plan, phases)
    if stage == AccountStage.FUNDED:
        return None
    for index, candidate in enumerate(stages):
        if candidate.stage == stage and candidate.phase == phase:
            return stages[index + 1] if index + 1 < len(stages) else None
    return None


def stage_rules(
    plan: PropFirmPlan, *, stage: str, phase: int, phases=None, starting_balance=None
) -> rules.PlanRules:
    """The pure engine's parameters for one stage of a plan. B0 is the account's own
    `starting_balance` when given (what was deposited), never a later edit of the plan."""
    current = current_stage(plan, stage=stage, phase=phase, phases=phases)
    return rules.PlanRules(
        starting_balance=plan.starting_balance if starting_balance is None else starting_balance,
        max_daily_loss=plan.max_daily_loss,
        max_total_loss=plan.max_total_loss,
        profit_target=current.profit_target,
        min_trading_days=current.min_trading_days,
        max_position_size=plan.max_position_size,
        max_leverage=plan.max_leverage,
        daily_loss_basis=plan.daily_loss_basis,
        drawdown_mode=plan.drawdown_mode,
        drawdown_lock_at_start=plan.drawdown_lock_at_start,
        consistency_pct=plan.consistency_pct,
        max_inactive_days=plan.max_inactive_days,
        # The time limit is the evaluation's: a funded stage has no target and no limit.
        max_stage_days=plan.max_stage_days if current.profit_target is not None else None,
    )


def account_rules(account, phases=None) -> rules.PlanRules:
    plan = account.plan if phases is not None else None
    if plan is None:
        plan, phases = plan_cached(account.plan_id)
    return stage_rules(
        plan,
        stage=account.stage,
        phase=account.phase,
        phases=phases,
        starting_balance=account.starting_balance,
    )


def floor_rules(account) -> rules.PlanRules:
    """The account's loss rules alone (the same for every stage): for floors from stored
    marks, with the account's own B0."""
    plan = account.plan
    return rules.PlanRules(
        starting_balance=account.starting_balance,
        max_daily_loss=plan.max_daily_loss,
        max_total_loss=plan.max_total_loss,
        daily_loss_basis=plan.daily_loss_basis,
        drawdown_mode=plan.drawdown_mode,
        drawdown_lock_at_start=plan.drawdown_lock_at_start,
    )


class PlanRulesCache:
    """Every plan's stage rules, loaded with two queries whatever the number of accounts."""

    def __init__(self) -> None:
        self._plans: dict[int, PropFirmPlan] = {}
        self._phases: dict[int, list[PlanPhase]] = {}
        self._rules: dict[tuple, rules.PlanRules] = {}

    def load(self, plan_ids: Iterable[int]) -> None:
        missing = set(plan_ids) - self._plans.keys()
        if not missing:
            return
        for plan in PropFirmPlan.objects.filter(pk__in=missing):
            self._plans[plan.pk] = plan
            self._phases[plan.pk] = []
        for phase in PlanPhase.objects.filter(plan_id__in=missing):
            self._phases[phase.plan_id].append(phase)

    def get(self, plan_id: int, stage: str, phase: int, starting_balance=None) -> rules.PlanRules:
        """The rules of one stage for an account whose own B0 is `starting_balance`."""
        key = (plan_id, stage, phase, starting_balance)
        if key not in self._rules:
            self._rules[key] = stage_rules(
                self._plans[plan_id],
                stage=stage,
                phase=phase,
                phases=self._phases[plan_id],
                starting_balance=starting_balance,
            )
        return self._rules[key]
