"""The rule engine's I/O: load account state, ask `prop_firm.rules`, persist and act.

Three ways in:
- per account (`account_check_locked`, `account_check`, `RuleEngine`): after every fill,
  on `refresh_balance`, and for the few accounts a sweep flags. Locks the account, loads
  its state, evaluates with the latest quotes and acts: breach → liquidate + violation +
  FAILED; pass → next stage; 80% warning → one activity per rule per day. After a fill
  (the order path) the state is the account row's running totals (trading days, realised
  profit, best day: `fills_book`) and the positions the pre-trade check read, with the
  fills applied: nothing grows with the history. Elsewhere the totals are rebuilt from the
  whole history (`fill_stats_from_history`), which heals any drift.
- the sweep (`sweep_chunks`, `sweep_chunk`): every active account marked to market in a
  constant number of queries per chunk, only material changes written in bulk (a raised
  PEAK_E or F_t, an equity point when due), only flagged accounts taking the per-account
  path.
- the daily reset (`daily_reset`): SOD snapshots and EOD high-water marks per day key.

Invariants: the balance changes only through the ledger (never here); PEAK_E, EOD_HWM and
the stored max-loss floor only rise; a stale quote never fails an account (`rules.evaluate`
reports no loss breach then); running any of these twice on the same state records nothing
twice (violations are unique per rule, warnings keyed by day, stages linked one-to-one).
"""

from __future__ import annotations

from prop_firm.services.rule_engine.checks import (
    RuleEngine,
    account_check,
    account_check_locked,
    account_evaluate,
    account_mark,
    account_quotes_refresh,
)
from prop_firm.services.rule_engine.resets import (
    ResetStats,
    daily_reset,
)
from prop_firm.services.rule_engine.snapshot import (
    ACTIVE,
    FILL_STATS_FIELDS,
    RULE_LABELS,
    AccountSnapshot,
    CheckResult,
    account_snapshot_live,
    account_snapshot_load,
    fill_stats_from_history,
    fills_book,
    max_quote_age,
    positions_remember,
    rule_quotes,
    snapshot_interval,
    sweep_chunk_size,
)
from prop_firm.services.rule_engine.sweeps import (
    SweepContext,
    SweepStats,
    sweep,
    sweep_chunk,
    sweep_chunks,
)

__all__ = [
    "ACTIVE",
    "FILL_STATS_FIELDS",
    "RULE_LABELS",
    "AccountSnapshot",
    "CheckResult",
    "ResetStats",
    "RuleEngine",
    "SweepContext",
    "SweepStats",
    "account_check",
    "account_check_locked",
    "account_evaluate",
    "account_mark",
    "account_quotes_refresh",
    "account_snapshot_live",
    "account_snapshot_load",
    "daily_reset",
    "fill_stats_from_history",
    "fills_book",
    "max_quote_age",
    "positions_remember",
    "rule_quotes",
    "snapshot_interval",
    "sweep",
    "sweep_chunk",
    "sweep_chunk_size",
    "sweep_chunks",
]
