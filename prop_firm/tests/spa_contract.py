"""What the original web app (patrickodeh1/AlpacaFrontend) reads from this API, as data.

One row per (method, endpoint as the SPA calls it, caller, location, field, JSON type) of
§1–6 of docs/SPA-CONTRACT.md, with the SPA's own file and line. `test_spa_contract.py` walks
the table over a populated database; a renamed, moved or re-typed field fails its row. The
contract's "SPA needs" column is the truth here, not what the backend answered when it was
written (the `verdict` column keeps that answer for the record).

Paths are relative to the SPA's `VITE_API_BASE_URL` (`/api`); `{name}` is filled from the
populated database (`spa_world.World.ids`) or, for a mutation, from the fresh objects its
`fresh` maker builds, so mutations never depend on each other's order.

Location: `top` is the JSON body itself; a dotted path walks into it; `name[]` walks every
element of a list, which must be non-empty so the row cannot pass vacuously
(`results[].plan_details` is the `plan_details` object of every row of `results`).

Types (`?` after a type: the key may be absent or null):

- `num!`  a JSON number (`isinstance(v, (int, float)) and not isinstance(v, bool)`): the SPA
          calls `.toFixed`, adds with `+`, or hands it to lightweight-charts.
- `num`   a JSON number the SPA only displays or compares (checked like `num!`).
- `num|str` a number or a numeric string `Decimal` parses (the SPA wraps it in `Number()`).
- `str!`  a non-null string the SPA calls a string method on; `str` a string.
- `date`  a string `datetime.fromisoformat` parses (the SPA's `new Date(...)`; else
          "Invalid Date").
- `bool`, `arr`, `obj` the JSON types.
- `truthy` any truthy value (`next` while older candles remain).
- `in:A,B` a string among those values.
- `current_account` the id of the account the SPA shows: the first ACTIVE one of
          `GET /prop-firm/accounts/` (`propFirm/index.tsx:27`).
- `2xx`   a mutation whose answer the SPA never reads: any 2xx.
- `4xx`   the SPA's error path: any 4xx, with the field read from the error body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COSMETIC = "COSMETIC in SPA-CONTRACT.md: issue 10 does not require it"


@dataclass(frozen=True)
class Row:
    section: str
    method: str
    path: str  # as the SPA sends it, relative to /api, query string included
    who: str  # trader (alice) | staff | anon
    location: str
    field: str
    type: str
    cite: str
    verdict: str = "ok"  # what the backend answered at commit 1080530
    body: dict | None = None  # the SPA's exact body (JSON)
    fresh: str | None = None  # maker in spa_world.FRESH building this row's own objects
    needs: str | None = None  # "google": runs with Google sign-in configured and stubbed
    skip: str | None = None  # a reason to skip (COSMETIC rows issue 10 does not cover)
    headers: dict = field(default_factory=dict)
    label: str = ""  # tells apart two rows of one endpoint and field (another body)

    @property
    def id(self) -> str:
        where = self.field if self.location == "top" else f"{self.location}.{self.field}"
        label = f" [{self.label}]" if self.label else ""
        return f"{self.section} {self.method} {self.path} {self.who} {where}{label}".strip()


ROWS: list[Row] = []


def rows(section, method, path, who, location, names, type_, cite, verdict="ok", **extra):
    """One row per name of `names` (comma separated), sharing everything else."""
    for name in names.split(","):
        ROWS.append(
            Row(section, method, path, who, location, name.strip(), type_, cite, verdict, **extra)
        )


def mutation(section, method, path, who, cite, verdict="ok", **extra):
    ROWS.append(Row(section, method, path, who, "top", "", "2xx", cite, verdict, **extra))


# The table keeps one call per contract line, laid out for reading, not by the formatter.
# fmt: off
# --------------------------------------------------------------------------------------
# §1 Auth and profile
# --------------------------------------------------------------------------------------
LOGIN = {"email": "alice@example.com", "password": "{password}"}
rows("1", "POST", "/account/login/", "anon", "token", "access,refresh", "str!",
     "Login.tsx:103-104,112", body=LOGIN)
rows("1", "POST", "/account/login/", "anon", "top", "detail", "4xx",
     "utils/errorHandler.ts:29-70", body={"email": "alice@example.com", "password": "wrong"})
REGISTER = {
    "email": "carol@example.com",
    "name": "Carol Newcomer",
    "password": "{password}",
    "password2": "{password}",
    "tc": True,
}
rows("1", "POST", "/account/register/", "anon", "token", "access,refresh", "str!",
     "Registration.tsx:66-72,110-111", body=REGISTER)
rows("1", "POST", "/account/refresh_token/", "anon", "top", "access", "str!",
     "baseApi.ts:39-41,49-55", body={"refresh": "{alice_refresh}"})
rows("1", "POST", "/account/refresh_token/", "anon", "top", "refresh", "str?",
     "baseApi.ts:49-55", body={"refresh": "{alice_refresh}"})
# With GOOGLE_OAUTH_CLIENT_ID set, a token signed by a local key and Google's certificates
# stubbed (account.testing).
rows("1", "POST", "/account/social/google/", "anon", "token", "access,refresh", "str!",
     "userAuthService.ts:49, Login.tsx:80, Registration.tsx:87", "WRONG",
     body={"token": "{google_id_token}"}, needs="google")
rows("1", "GET", "/account/profile/", "trader", "top", "is_admin", "bool",
     "App.tsx:77,210, Login.tsx:118")
rows("1", "GET", "/account/profile/", "trader", "top", "id", "num",
     "profile/index.tsx:52-76, Navbar.tsx:210-255")
rows("1", "GET", "/account/profile/", "trader", "top", "email,name,avatar", "str",
     "profile/index.tsx:52-76, Navbar.tsx:210-255")
rows("1", "GET", "/account/profile/", "trader", "top", "auth_provider", "str",
     "Navbar.tsx:268,387", "COSMETIC")
rows("1", "GET", "/account/profile/", "anon", "top", "detail", "4xx", "App.tsx:159-167")
rows("1", "OPTIONS", "/account/login/", "anon", "top", "", "cors",
     "landing/bootstrapLanding.ts:14",
     headers={"HTTP_ORIGIN": "http://localhost:5173",
              "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
              "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "content-type"})

# --------------------------------------------------------------------------------------
# §2 Core market data
# --------------------------------------------------------------------------------------
rows("2", "GET", "/core/alpaca/", "trader", "top", "data", "arr", "useAlpacaAccount.ts:32-34")
rows("2", "GET", "/core/alpaca/sync_status/", "trader", "data", "is_syncing,needs_sync", "bool",
     "assets/index.tsx:59-63,183-235")
rows("2", "GET", "/core/alpaca/sync_status/", "trader", "data", "total_assets", "num",
     "assets/index.tsx:62,212")
mutation("2", "POST", "/core/alpaca/sync_assets/", "staff", "assets/index.tsx:47,178")
ASSETS = (
    "/core/assets/?limit=25&offset=0&ordering=symbol&search=A&asset_class=us_equity&tradable=true"
)
rows("2", "GET", ASSETS, "trader", "top", "results", "arr", "AssetTable.tsx:96-97")
rows("2", "GET", ASSETS, "trader", "top", "count", "num", "AssetTable.tsx:96-97")
rows("2", "GET", ASSETS, "trader", "results[]", "asset_class", "str!",
     "AssetTable.tsx:324, AssetCard.tsx:79, AssetSearch.tsx:78")
rows("2", "GET", ASSETS, "trader", "results[]", "id", "num", "AssetTable.tsx:298-340")
rows("2", "GET", ASSETS, "trader", "results[]", "symbol,name,exchange", "str",
     "AssetTable.tsx:298-340, AssetCard.tsx:100-132")
rows("2", "GET", ASSETS, "trader", "results[]", "tradable,marginable,shortable", "bool",
     "AssetTable.tsx:298-340, TradingInterface.tsx:588-593")
rows("2", "GET", "/core/assets/?search=AAPL&limit=20", "trader", "results[]",
     "asset_class", "str!", "AssetSearch.tsx:78,128,138")
rows("2", "GET", "/core/assets/?search=AAPL&limit=10", "trader", "results[]", "id", "num",
     "TradingInterface.tsx:148,164 (fetch)")
STATS = "/core/assets/stats/"
rows("2", "GET", STATS, "trader", "top", "asset_classes,exchanges", "arr",
     "AssetToolbar.tsx:80,142,272,308-314")
rows("2", "GET", STATS, "trader", "asset_classes[]", "value,label", "str", "AssetToolbar.tsx:272")
rows("2", "GET", STATS, "trader", "asset_classes[]", "count", "num!", "AssetToolbar.tsx:308-314")
rows("2", "GET", STATS, "trader", "top", "total_count", "num!",
     "AssetToolbar.tsx:80 .toLocaleString")
ASSET = "/core/assets/{asset}/"
rows("2", "GET", ASSET, "trader", "top", "asset_class,status", "str!",
     "AssetDetails.tsx:110,166,174")
rows("2", "GET", ASSET, "trader", "top",
     "tradable,marginable,shortable,easy_to_borrow,fractionable", "bool",
     "AssetDetails.tsx:141-148")
rows("2", "GET", ASSET, "trader", "top", "created_at,updated_at", "date",
     "AssetDetails.tsx:236,242")
rows("2", "GET", ASSET, "trader", "top",
     "maintenance_margin_requirement,margin_requirement_long,margin_requirement_short",
     "num|str?", "AssetDetails.tsx:187-220", "COSMETIC")
for tf in ("1", "5", "15", "60", "240", "1440"):
    CHART = f"/core/assets/{{asset}}/candles_v2/?tf={tf}&limit=500"
    rows("2", "GET", CHART, "trader", "top", "results", "arr", "useCandles.ts:41-69")
    rows("2", "GET", CHART, "trader", "top", "next", "truthy", "useCandles.ts:47-50,82,120")
    rows("2", "GET", CHART, "trader", "results[]", "date", "date",
         "useCandles.ts:32,74, useDerivedSeries.ts:43")
    rows("2", "GET", CHART, "trader", "results[]", "open,high,low,close", "num!",
         "MainChart.tsx:369-372,395-398,466, lightweight-charts.development.mjs:11577", "CRASH")
    rows("2", "GET", CHART, "trader", "results[]", "volume", "num!",
         "useDerivedSeries.ts:73-74, lightweight-charts.development.mjs:11585", "CRASH")
rows("2", "GET", "/core/assets/{asset}/candles_v2/?tf=1&limit=500&offset=500", "trader",
     "results[]", "open,high,low,close,volume", "num!", "useCandles.ts:47-50 (older page)",
     "CRASH")
LIVE = "/core/assets/{asset}/candles_v2/?tf=1&limit=1"
rows("2", "GET", LIVE, "trader", "results[]", "close", "num!",
     "graphs/index.tsx:742 → PaperTradingPanel.tsx:101,191,262,490; lib/functions.ts:58,83-84",
     "CRASH")
rows("2", "GET", LIVE, "trader", "results[]", "c", "num!",
     "TradingInterface.tsx:198-213,305,320,405-424,462,607,990 (fetch)", "CRASH")
rows("2", "GET", "/core/watchlist/", "trader", "results[].asset", "id", "num",
     "TradingInterface.tsx:106-116,588-593 (fetch)")
rows("2", "GET", "/core/watchlist/", "trader", "results[].asset", "symbol,name", "str",
     "TradingInterface.tsx:588-593 (fetch)")

# --------------------------------------------------------------------------------------
# §3 Watchlists (trader)
# --------------------------------------------------------------------------------------
for lists in ("/core/watchlists/", "/core/watchlists/?limit=100&offset=0"):
    rows("3", "GET", lists, "trader", "top", "results", "arr",
         "watchlists/index.tsx:52, AddToWatchlistDialog.tsx:57")
    rows("3", "GET", lists, "trader", "results[]", "id,asset_count", "num",
         "watchlists/index.tsx:58,188-213")
    rows("3", "GET", lists, "trader", "results[]", "name", "str", "watchlists/index.tsx:188-213")
    rows("3", "GET", lists, "trader", "results[]", "description", "str?",
         "AddToWatchlistDialog.tsx:147-160")
    rows("3", "GET", lists, "trader", "results[]", "is_active", "bool",
         "watchlists/index.tsx:188-213")
    rows("3", "GET", lists, "trader", "results[]", "created_at", "date", "watchlists/index.tsx:213")
WATCHLIST_BODY = {"name": "Momentum", "description": "Breakouts", "is_active": True}
rows("3", "POST", "/core/watchlists/", "trader", "data", "id", "num", "WatchListDialog.tsx:73-74",
     body=WATCHLIST_BODY)
WATCHLIST = "/core/watchlists/{watchlist}/"
rows("3", "GET", WATCHLIST, "trader", "top", "name", "str", "WatchListDetail.tsx:93-161")
rows("3", "GET", WATCHLIST, "trader", "top", "description", "str?", "WatchListDetail.tsx:93-161")
rows("3", "GET", WATCHLIST, "trader", "top", "is_active", "bool", "WatchListDetail.tsx:93-161")
rows("3", "GET", WATCHLIST, "trader", "top", "asset_count", "num", "WatchListDetail.tsx:93-161")
rows("3", "GET", WATCHLIST, "trader", "top", "created_at,updated_at", "date",
     "WatchListDetail.tsx:93-161")
rows("3", "GET", WATCHLIST, "trader", "assets[]", "id", "num", "WatchListAssets.tsx:59,85-115")
rows("3", "GET", WATCHLIST, "trader", "assets[]", "added_at", "date", "WatchListAssets.tsx:85-115")
rows("3", "GET", WATCHLIST, "trader", "assets[]", "asset", "obj", "WatchListAssets.tsx:89-90")
rows("3", "GET", WATCHLIST, "trader", "assets[].asset", "id", "num", "WatchListAssets.tsx:85-115")
rows("3", "GET", WATCHLIST, "trader", "assets[].asset", "symbol,name,exchange", "str",
     "WatchListAssets.tsx:85-115")
rows("3", "GET", WATCHLIST, "trader", "assets[].asset", "asset_class", "str!",
     "WatchListAssets.tsx:108")
mutation("3", "PATCH", "/core/watchlists/{fresh_watchlist}/", "trader",
         "watchlistService.ts:82, WatchListDialog.tsx:70", body=WATCHLIST_BODY,
         fresh="watchlist")
mutation("3", "DELETE", "/core/watchlists/{fresh_watchlist}/", "trader",
         "watchlistService.ts:97, WatchListDetail.tsx:52", fresh="watchlist")
mutation("3", "POST", "/core/watchlists/{fresh_watchlist}/add_asset/", "trader",
         "watchlistService.ts:114, AddToWatchlistDialog.tsx:62-66",
         body={"asset_id": "{asset}"}, fresh="watchlist")
GLOBAL = "/core/watchlists/?global=true"
rows("3", "GET", GLOBAL, "trader", "results[]", "assets", "arr",
     "WatchListDialog.tsx:81 (unrouted PropFirmDashboard.tsx:34)", "WRONG")
rows("3", "GET", GLOBAL, "trader", "results[]", "is_global", "bool",
     "GlobalWatchListsSelect.tsx:33 (unmounted)", "WRONG")

# --------------------------------------------------------------------------------------
# §4 Paper trading
# --------------------------------------------------------------------------------------
for trades in (
    "/paper-trading/trades/",
    "/paper-trading/trades/?asset={asset}",
    "/paper-trading/trades/?status=OPEN",
    "/paper-trading/trades/?asset={asset}&current_price=190.25",
):
    rows("4", "GET", trades, "trader", "top", "data", "arr", "paperTradingApi.ts:57-67")
    rows("4", "GET", trades, "trader", "data[]", "id,asset", "num", "graphs/index.tsx:140-142")
    rows("4", "GET", trades, "trader", "data[]", "status", "str!",
         "PaperTradingPanel.tsx:661,871 .toLowerCase")
    rows("4", "GET", trades, "trader", "data[]", "direction,asset_symbol,quantity,notes", "str",
         "TradingInterface.tsx:736-816, MainChart.tsx:135-138,207")
    # A pending order has no fill yet: no entry price, cost, value or time (null, which the
    # SPA's Number() reads as 0; the contract's "decimal str or null", ok). Open trades must
    # have them all: see the ?status=OPEN rows below.
    rows("4", "GET", trades, "trader", "data[]", "entry_price,entry_cost,current_value",
         "num|str?", "TradingInterface.tsx:81,724-727, PaperTradingPanel.tsx:50-55,676-728")
    rows("4", "GET", trades, "trader", "data[]",
         "unrealized_pl,realized_pl,exit_price,stop_loss,take_profit", "num|str?",
         "TradingInterface.tsx:802,808,832,851, MainChart.tsx:61-66,131,194-196")
    rows("4", "GET", trades, "trader", "data[]", "entry_time", "date?", "MainChart.tsx:128-130")
OPEN_TRADES = "/paper-trading/trades/?status=OPEN"
rows("4", "GET", OPEN_TRADES, "trader", "data[]",
     "entry_price,entry_cost,current_value,unrealized_pl,stop_loss,take_profit", "num|str",
     "TradingInterface.tsx:81,724-727,802,808, MainChart.tsx:131,194-196 (open trades)",
     label="open")
rows("4", "GET", OPEN_TRADES, "trader", "data[]", "entry_time", "date",
     "MainChart.tsx:128-130 (markers of open trades)", label="open")
rows("4", "GET", OPEN_TRADES, "trader", "data[]", "status", "in:OPEN",
     "PaperTradingPanel.tsx:661 (the open list)", label="open")
rows("4", "GET", "/paper-trading/trades/", "trader", "data[]", "account", "current_account",
     "TradingInterface.tsx:80-86 (adds every open trade's P/L to the account shown)", "WRONG")
TRADE_BODY = {
    "asset": "{asset}",
    "direction": "LONG",
    "quantity": "1",
    "entry_price": "190.25",
    "notes": "",
    "stop_loss": "150.00",
    "take_profit": "250.00",
}
rows("4", "POST", "/paper-trading/trades/", "trader", "data", "asset", "num",
     "TradingInterface.tsx:302-316, paperTradingApi.ts:85-92", body=TRADE_BODY, label="Trade tab")
rows("4", "POST", "/paper-trading/trades/", "trader", "data", "asset", "num",
     "PaperTradingPanel.tsx:216-225 (target_price)",
     body={"asset": "{asset}", "direction": "SHORT", "quantity": "2", "entry_price": "190.25",
           "target_price": "180.00", "notes": "from the chart"}, label="chart panel")
rows("4", "POST", "/paper-trading/trades/", "trader", "top", "msg", "4xx",
     "TradingInterface.tsx:332,479",
     body={"asset": "{asset}", "direction": "LONG", "quantity": "-1", "entry_price": "190.25",
           "notes": ""})
mutation("4", "PATCH", "/paper-trading/trades/{fresh_trade}/", "trader",
         "TradingInterface.tsx:355-378 (strings)",
         body={"stop_loss": "150.00", "take_profit": "250.00"}, fresh="open_trade",
         label="strings")
mutation("4", "PATCH", "/paper-trading/trades/{fresh_trade}/", "trader",
         "TradingInterface.tsx:362-366 (cleared: null)",
         body={"stop_loss": None, "take_profit": None}, fresh="open_trade", label="nulls")
mutation("4", "PATCH", "/paper-trading/trades/{fresh_trade}/", "trader",
         "graphs/index.tsx:147 (numbers)",
         body={"stop_loss": 150.5, "take_profit": 250}, fresh="open_trade", label="numbers")
mutation("4", "POST", "/paper-trading/trades/{fresh_trade}/close/", "trader",
         "TradingInterface.tsx:460-463", body={"exit_price": "190.25"}, fresh="open_trade",
         label="Trade tab")
mutation("4", "POST", "/paper-trading/trades/{fresh_trade}/close/", "trader",
         "PaperTradingPanel.tsx:279-283", body={"exit_price": "190.25", "notes": "done"},
         fresh="open_trade", label="chart panel")
mutation("4", "POST", "/paper-trading/trades/{fresh_trade}/cancel/", "trader",
         "PaperTradingPanel.tsx:305,809 (OPEN trades list)", "WRONG", body={},
         fresh="open_trade", label="open trade")
mutation("4", "POST", "/paper-trading/trades/{fresh_trade}/cancel/", "trader",
         "PaperTradingPanel.tsx:305 (a pending order)", body={}, fresh="pending_order",
         label="pending order")
mutation("4", "DELETE", "/paper-trading/trades/{fresh_trade}/", "trader",
         "PaperTradingPanel.tsx:323,948 (CLOSED trades list, Remove)", "WRONG",
         fresh="closed_trade")

# --------------------------------------------------------------------------------------
# §5 Prop firm (trader)
# --------------------------------------------------------------------------------------
PLANS = "/prop-firm/plans/"
rows("5", "GET", PLANS, "trader", "top", "data", "arr", "propFirm/index.tsx:25")
rows("5", "GET", PLANS, "trader", "data[]", "id", "num", "PlanCard.tsx:33-62")
rows("5", "GET", PLANS, "trader", "data[]", "name,plan_type,description", "str",
     "PlanCard.tsx:33-62")
rows("5", "GET", PLANS, "trader", "data[]",
     "price,starting_balance,profit_target,max_daily_loss,profit_split", "num|str",
     "PlanCard.tsx:14-25 parseFloat")
ACCOUNTS = "/prop-firm/accounts/"
rows("5", "GET", ACCOUNTS, "trader", "top", "data", "arr", "propFirm/index.tsx:26")
rows("5", "GET", ACCOUNTS, "trader", "data[]", "status,account_number,plan_name,stage", "str",
     "propFirm/index.tsx:27, AccountCard.tsx:37-42")
rows("5", "GET", ACCOUNTS, "trader", "data[]", "id", "num", "propFirm/index.tsx:27")
rows("5", "GET", ACCOUNTS, "trader", "data[]", "current_balance,starting_balance,profit_earned",
     "num|str", "AccountCard.tsx:15-18, TradingInterface.tsx:85-90")
rows("5", "GET", ACCOUNTS, "trader", "data[].plan_details",
     "profit_target,max_daily_loss,max_position_size", "num|str",
     "TradingInterface.tsx:85-90,227 (max_position_size is a percent of balance)")
rows("5", "GET", ACCOUNTS, "trader", "data[]",
     "trading_days,total_winning_trades,total_losing_trades", "num", "AccountCard.tsx:77,81")
rows("5", "GET", ACCOUNTS, "trader", "data[]", "is_verified,stripe_session_completed", "bool",
     "TradingInterface.tsx:262")
rows("5", "POST", "/prop-firm/checkout/create_session/", "trader", "data", "session_url", "str!",
     "baseApi.ts:438, propFirm/index.tsx:31-38",
     body={"plan_id": "{plan}", "success_url": "http://localhost:5173/prop-firm?success=true",
           "cancel_url": "http://localhost:5173/prop-firm?canceled=true"})

# --------------------------------------------------------------------------------------
# §6 Admin pages
# --------------------------------------------------------------------------------------
DASH = "/prop-firm/admin/dashboard/"
rows("6.1", "GET", DASH, "staff", "top",
     "users_count,active_accounts,accounts_count,plans_count,payouts_count", "num",
     "admin/index.tsx:51,59,67,75", "WRONG")
rows("6.1", "GET", DASH, "staff", "revenue_stats",
     "total_revenue,monthly_revenue,pending_payouts", "num|str", "admin/index.tsx:219,226,232",
     "WRONG")
rows("6.1", "GET", DASH, "staff", "top", "recent_accounts,recent_violations", "arr",
     "admin/index.tsx:44-45", "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_accounts[]", "id", "num", "admin/index.tsx:314-325",
     "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_accounts[]", "account_number,user_email,status", "str",
     "admin/index.tsx:314-325", "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_accounts[]", "current_balance", "num|str",
     "admin/index.tsx:314-325", "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_accounts[]", "created_at", "date",
     "admin/index.tsx:314-325", "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_violations[]", "id", "num", "admin/index.tsx:369-381",
     "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_violations[]", "account_number,description", "str",
     "admin/index.tsx:369-381", "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_violations[]", "violation_type", "str!",
     "admin/index.tsx:369-381", "WRONG")
rows("6.1", "GET", DASH, "staff", "recent_violations[]", "created_at", "date",
     "admin/index.tsx:369-381", "WRONG")

USERS = "/prop-firm/admin/users/?page=1&search="
rows("6.2", "GET", USERS, "staff", "top", "results", "arr", "AdminUsers.tsx:66-67")
rows("6.2", "GET", USERS, "staff", "top", "count", "num", "AdminUsers.tsx:66-67")
rows("6.2", "GET", USERS, "staff", "results[]", "id", "num", "AdminUsers.tsx:216-246")
rows("6.2", "GET", USERS, "staff", "results[]", "name,email", "str", "AdminUsers.tsx:216-246")
rows("6.2", "GET", USERS, "staff", "results[]", "is_admin,is_verified", "bool",
     "AdminUsers.tsx:339-367")
rows("6.2", "GET", USERS, "staff", "results[]", "accounts_count", "num", "AdminUsers.tsx:254,351",
     "WRONG")
rows("6.2", "GET", USERS, "staff", "results[]", "total_balance", "num|str",
     "AdminUsers.tsx:258,355", "WRONG")
rows("6.2", "GET", USERS, "staff", "results[]", "created_at", "date", "AdminUsers.tsx:264,359",
     "WRONG")
rows("6.2", "GET", USERS, "staff", "results[]", "auth_provider", "str", "AdminUsers.tsx:251,347",
     "COSMETIC")
rows("6.2", "GET", "/prop-firm/admin/users/?page=1&search=alice", "staff", "results[]",
     "accounts_count", "num", "AdminUsers.tsx:56-59 (search)", "WRONG")
mutation("6.2", "PATCH", "/prop-firm/admin/users/{bob}/", "staff", "AdminUsers.tsx:87-91",
         body={"name": "Bob T.", "email": "bob@example.com"})
mutation("6.2", "DELETE", "/prop-firm/admin/users/{fresh_user}/", "staff",
         "AdminUsers.tsx:73 (a user without accounts; 409 USER_HAS_ACCOUNTS otherwise)",
         "COSMETIC", fresh="user")
mutation("6.2", "POST", "/prop-firm/admin/users/{bob}/toggle_admin/", "staff", "AdminUsers.tsx:102")
mutation("6.2", "POST", "/prop-firm/admin/users/{bob}/toggle_verified/", "staff",
         "AdminUsers.tsx:112")

ADMIN_ACCOUNTS = "/prop-firm/admin/accounts/?page=1&search=&status="
for listing in (ADMIN_ACCOUNTS, "/prop-firm/admin/accounts/?page=1&search=&status=ACTIVE"):
    rows("6.3", "GET", listing, "staff", "top", "results", "arr", "AdminAccounts.tsx:83-84")
    rows("6.3", "GET", listing, "staff", "top", "count", "num", "AdminAccounts.tsx:83-84")
    rows("6.3", "GET", listing, "staff", "results[]", "pnl_percentage", "num!",
         "AdminAccounts.tsx:172,179 (x || 0).toFixed(2)", "CRASH")
    rows("6.3", "GET", listing, "staff", "results[]", "total_pnl,current_balance", "num|str",
         "AdminAccounts.tsx:171-178,317")
    rows("6.3", "GET", listing, "staff", "results[]", "account_number,plan_name,status,stage",
         "str", "AdminAccounts.tsx:301-314")
    rows("6.3", "GET", listing, "staff", "results[]", "user_email", "str",
         "AdminAccounts.tsx:303", "WRONG")
    rows("6.3", "GET", listing, "staff", "results[]", "days_active", "num", "AdminAccounts.tsx:320",
         "WRONG")
DETAIL = "/prop-firm/admin/accounts/{breached_account}/"
rows("6.3", "GET", DETAIL, "staff", "top", "current_balance,total_pnl", "num|str",
     "AdminAccounts.tsx:410,419", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "top", "pnl_percentage", "num!", "AdminAccounts.tsx:419",
     "WRONG")
rows("6.3", "GET", DETAIL, "staff", "top", "trading_days,open_trades", "num",
     "AdminAccounts.tsx:427-462", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "top", "user_name,user_email,plan_name,status,stage", "str",
     "AdminAccounts.tsx:427-462", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "top", "recent_trades,violations", "arr",
     "AdminAccounts.tsx:486-531", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "recent_trades[]", "id", "num", "AdminAccounts.tsx:486-509",
     "WRONG")
rows("6.3", "GET", DETAIL, "staff", "recent_trades[]", "symbol,direction", "str",
     "AdminAccounts.tsx:486-509", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "recent_trades[]", "quantity,entry_price", "num|str",
     "AdminAccounts.tsx:486-509", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "recent_trades[]", "exit_price,realized_pl", "num|str?",
     "AdminAccounts.tsx:486-509", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "violations[]", "id", "num", "AdminAccounts.tsx:520-531",
     "WRONG")
rows("6.3", "GET", DETAIL, "staff", "violations[]", "type", "str", "AdminAccounts.tsx:520-531",
     "WRONG")
rows("6.3", "GET", DETAIL, "staff", "violations[]", "description", "str",
     "AdminAccounts.tsx:520-531", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "violations[]", "created_at", "date",
     "AdminAccounts.tsx:520-531", "WRONG")
rows("6.3", "GET", DETAIL, "staff", "top", "admin_notes", "str", "AdminAccounts.tsx:548-550",
     "WRONG")
mutation("6.3", "POST", "/prop-firm/admin/accounts/{fresh_account}/activate/", "staff",
         "AdminAccounts.tsx:88", fresh="pending_account")
mutation("6.3", "POST", "/prop-firm/admin/accounts/{fresh_account}/update_balance/", "staff",
         "AdminAccounts.tsx:98", fresh="active_account")
mutation("6.3", "POST", "/prop-firm/admin/accounts/{fresh_account}/add_note/", "staff",
         "AdminAccounts.tsx:141", body={"note": "Called the trader about the breach."},
         fresh="active_account")
for new_status in ("SUSPENDED", "FAILED", "CLOSED"):
    mutation("6.3", "POST", "/prop-firm/admin/accounts/{fresh_account}/change_status/", "staff",
             f"baseApi.ts:220-223, AdminAccounts.tsx:111-114,584-588 ({new_status})", "WRONG",
             body={"status": new_status}, fresh="active_account", label=new_status)
mutation("6.3", "DELETE", "/prop-firm/admin/accounts/{fresh_account}/", "staff",
         "AdminAccounts.tsx:128", fresh="active_account")

ADMIN_PLANS = "/prop-firm/admin/plans/"
rows("6.4", "GET", ADMIN_PLANS, "staff", "top", "results", "arr", "AdminPlans.tsx:272,465")
rows("6.4", "GET", ADMIN_PLANS, "staff", "results[]", "name,description", "str",
     "AdminPlans.tsx:467-489,538-590")
rows("6.4", "GET", ADMIN_PLANS, "staff", "results[]", "is_active", "bool",
     "AdminPlans.tsx:467-489")
rows("6.4", "GET", ADMIN_PLANS, "staff", "results[]", "min_trading_days", "num",
     "AdminPlans.tsx:538-590")
rows("6.4", "GET", ADMIN_PLANS, "staff", "results[]",
     "starting_balance,price,profit_target,max_daily_loss,max_total_loss,max_position_size,"
     "profit_split", "num|str", "AdminPlans.tsx:365-373,468-482,548-576")
rows("6.4", "GET", ADMIN_PLANS, "staff", "results[]", "leverage", "num", "AdminPlans.tsx:373,580",
     "WRONG")
rows("6.4", "GET", ADMIN_PLANS, "staff", "results[]", "active_accounts", "num",
     "AdminPlans.tsx:584", "WRONG")
PLAN_BODY = {
    "name": "$25K Starter",
    "description": "A smaller challenge",
    "starting_balance": 25000,
    "price": 149,
    "max_daily_loss": 1250,
    "max_total_loss": 2500,
    "profit_target": 2500,
    "min_trading_days": 5,
    "max_position_size": 25,  # a percent of balance (what the Trade tab reads)
    "profit_split": 80,
    "leverage": 2,
    "is_active": True,
}
mutation("6.4", "POST", ADMIN_PLANS, "staff", "AdminPlans.tsx:289-300 (numbers)", "WRONG",
         body=PLAN_BODY)
# The SPA never reads the answer; these say `leverage` is kept, not ignored.
rows("6.4", "POST", ADMIN_PLANS, "staff", "data", "leverage", "num",
     "AdminPlans.tsx:289-300,373,580 (leverage kept)", "WRONG", body=PLAN_BODY,
     label="leverage kept")
rows("6.4", "PATCH", "/prop-firm/admin/plans/{fresh_plan}/", "staff", "data", "leverage", "num",
     "AdminPlans.tsx:315-327,373,580 (leverage kept)", "WRONG", body=PLAN_BODY, fresh="plan",
     label="leverage kept")
# The form's "$" label invites dollars: refused with a sentence (a percent of balance).
rows("6.4", "POST", ADMIN_PLANS, "staff", "top", "detail", "4xx",
     "AdminPlans.tsx:195-204 (placeholder 5000)", "WRONG",
     body={**PLAN_BODY, "max_position_size": 5000}, label="dollars")
mutation("6.4", "PATCH", "/prop-firm/admin/plans/{fresh_plan}/", "staff",
         "AdminPlans.tsx:315-327 (same body)", "WRONG", body=PLAN_BODY, fresh="plan")
mutation("6.4", "DELETE", "/prop-firm/admin/plans/{fresh_plan}/", "staff",
         "AdminPlans.tsx:341 (a plan without accounts; 409 PLAN_IN_USE otherwise)", "COSMETIC",
         fresh="plan")
mutation("6.4", "POST", "/prop-firm/admin/plans/{fresh_plan}/toggle_active/", "staff",
         "AdminPlans.tsx:352", fresh="plan")

for payouts in (
    "/prop-firm/admin/payouts/?page=1&search=&status=",
    "/prop-firm/admin/payouts/?page=1&search=alice&status=",
):
    rows("6.5", "GET", payouts, "staff", "top", "results", "arr", "AdminPayouts.tsx:67-68")
    rows("6.5", "GET", payouts, "staff", "top", "count", "num", "AdminPayouts.tsx:67-68,233,330")
    rows("6.5", "GET", payouts, "staff", "results[]", "id", "num", "AdminPayouts.tsx:261-276")
    rows("6.5", "GET", payouts, "staff", "results[]", "account_number", "str",
         "AdminPayouts.tsx:261-276")
    rows("6.5", "GET", payouts, "staff", "results[]", "amount,profit_split", "num|str",
         "AdminPayouts.tsx:261-276,371-407")
    rows("6.5", "GET", payouts, "staff", "results[]", "requested_at", "date",
         "AdminPayouts.tsx:261-276")
    rows("6.5", "GET", payouts, "staff", "results[]", "completed_at", "str?",
         "AdminPayouts.tsx:371-407")
    # REJECTED is ours and shown as a plain badge; APPROVED (no Complete button) is the bug.
    rows("6.5", "GET", payouts, "staff", "results[]", "status",
         "in:PENDING,PROCESSING,COMPLETED,FAILED,CANCELLED,REJECTED",
         "AdminPayouts.tsx:129-133,294,312", "WRONG")
    rows("6.5", "GET", payouts, "staff", "results[]", "user_email", "str",
         "AdminPayouts.tsx:263,375", "WRONG")
    rows("6.5", "GET", payouts, "staff", "results[]", "profit_earned", "num|str",
         "AdminPayouts.tsx:271,386", "WRONG")
    rows("6.5", "GET", payouts, "staff", "results[]", "notes,rejection_reason", "str",
         "AdminPayouts.tsx:412-426,455", "WRONG")
for state in ("PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"):
    rows("6.5", "GET", f"/prop-firm/admin/payouts/?page=1&search=&status={state}", "staff",
         "results[]", "status", f"in:{state}", "AdminPayouts.tsx:56-60 (status filter)",
         "WRONG" if state == "PROCESSING" else "ok")
mutation("6.5", "POST", "/prop-firm/admin/payouts/{fresh_payout}/approve/", "staff",
         "AdminPayouts.tsx:72", fresh="pending_payout")
mutation("6.5", "POST", "/prop-firm/admin/payouts/{fresh_payout}/complete/", "staff",
         "AdminPayouts.tsx:82 (no body, after Approve)", "WRONG", fresh="approved_payout")
mutation("6.5", "POST", "/prop-firm/admin/payouts/{fresh_payout}/reject/", "staff",
         "AdminPayouts.tsx:97-100", body={"reason": "Consistency rule not met."},
         fresh="pending_payout")
mutation("6.5", "PATCH", "/prop-firm/admin/payouts/{fresh_payout}/", "staff",
         "AdminPayouts.tsx:115-118", "WRONG", body={"notes": "Paid by wire on Monday."},
         fresh="pending_payout")

VIOLATIONS = "/prop-firm/admin/violations/"
rows("6.6", "GET", VIOLATIONS, "staff", "top", "results", "arr", "AdminViolations.tsx:31,68,86,93")
rows("6.6", "GET", VIOLATIONS, "staff", "results[]", "violation_type", "str!",
     "AdminViolations.tsx:43,100 .replace")
rows("6.6", "GET", VIOLATIONS, "staff", "results[]", "id", "num", "AdminViolations.tsx:96-112")
rows("6.6", "GET", VIOLATIONS, "staff", "results[]", "account_number,description", "str",
     "AdminViolations.tsx:96-112")
rows("6.6", "GET", VIOLATIONS, "staff", "results[]", "created_at", "date",
     "AdminViolations.tsx:96-112")
rows("6.6", "GET", VIOLATIONS, "staff", "results[]", "threshold_value,actual_value", "num|str?",
     "AdminViolations.tsx:106,109")
rows("6.6", "GET", VIOLATIONS, "staff", "results[]", "user_email", "str",
     "AdminViolations.tsx:98", "WRONG")

for admin_trades in (
    "/prop-firm/admin/trades/?page=1&search=&status=",
    "/prop-firm/admin/trades/?page=1&search=&status=CLOSED",
):
    rows("6.7", "GET", admin_trades, "staff", "top", "results", "arr", "AdminTrades.tsx:35-36")
    rows("6.7", "GET", admin_trades, "staff", "top", "count", "num", "AdminTrades.tsx:35-36")
    rows("6.7", "GET", admin_trades, "staff", "results[]", "quantity", "num|str",
         "AdminTrades.tsx:41-43,202-205,295-310")
    # null for a pending order (no fill yet): Number(null).toFixed(2) shows 0.00, no crash.
    rows("6.7", "GET", admin_trades, "staff", "results[]", "entry_price",
         "num|str" if admin_trades.endswith("CLOSED") else "num|str?",
         "AdminTrades.tsx:41-43,202-205,295-310")
    rows("6.7", "GET", admin_trades, "staff", "results[]", "exit_price", "num|str?",
         "AdminTrades.tsx:295-310")
    rows("6.7", "GET", admin_trades, "staff", "results[]",
         "asset_symbol,direction,status,account_number", "str", "AdminTrades.tsx:196-220,281")
    rows("6.7", "GET", admin_trades, "staff", "results[]", "created_at", "date",
         "AdminTrades.tsx:196-220")
    rows("6.7", "GET", admin_trades, "staff", "results[]", "user_email", "str",
         "AdminTrades.tsx:195,277", "WRONG")
rows("6.7", "GET", "/prop-firm/admin/trades/?page=1&search=&status=CLOSED", "staff", "results[]",
     "closed_at", "date", "AdminTrades.tsx:317-320", "COSMETIC")
rows("6.7", "GET", "/prop-firm/admin/trades/statistics/", "staff", "top",
     "total_trades,open_trades,closed_trades", "num", "AdminTrades.tsx:102-118", "WRONG")

ADMIN_ASSETS = "/prop-firm/admin/assets/?page=1"
rows("6.8", "GET", ADMIN_ASSETS, "staff", "top", "results", "arr", "AdminAssetsPage.tsx:25-26")
rows("6.8", "GET", ADMIN_ASSETS, "staff", "top", "count", "num", "AdminAssetsPage.tsx:25-26")
rows("6.8", "GET", ADMIN_ASSETS, "staff", "results[]", "symbol,name,asset_class,exchange,status",
     "str", "AdminAssetsPage.tsx:80-104")
rows("6.8", "GET", ADMIN_ASSETS, "staff", "results[]", "tradable,marginable", "bool",
     "AdminAssetsPage.tsx:80-104")
rows("6.8", "GET", ADMIN_ASSETS, "staff", "results[]", "watchlists_count,trades_count", "num",
     "AdminAssetsPage.tsx:107-108", "WRONG")

for admin_lists in (
    "/prop-firm/admin/watchlists/?page=1&search=",
    "/prop-firm/admin/watchlists/?page=1&search=alice",
):
    rows("6.9", "GET", admin_lists, "staff", "top", "results", "arr",
         "AdminWatchlistsPage.tsx:68-69")
    rows("6.9", "GET", admin_lists, "staff", "top", "count", "num", "AdminWatchlistsPage.tsx:68-69")
    rows("6.9", "GET", admin_lists, "staff", "results[]", "name", "str",
         "AdminWatchlistsPage.tsx:220-248")
    rows("6.9", "GET", admin_lists, "staff", "results[]", "is_active,is_default", "bool",
         "AdminWatchlistsPage.tsx:220-248")
    rows("6.9", "GET", admin_lists, "staff", "results[]", "created_at", "date",
         "AdminWatchlistsPage.tsx:248")
    rows("6.9", "GET", admin_lists, "staff", "results[]", "user_email", "str",
         "AdminWatchlistsPage.tsx:225", "WRONG")
    rows("6.9", "GET", admin_lists, "staff", "results[]", "assets_count", "num",
         "AdminWatchlistsPage.tsx:243", "WRONG")
ADMIN_LIST = "/prop-firm/admin/watchlists/{watchlist}/"
rows("6.9", "GET", ADMIN_LIST, "staff", "top", "name,user_email", "str",
     "AdminWatchlistsPage.tsx:328-353", "WRONG")
rows("6.9", "GET", ADMIN_LIST, "staff", "top", "is_active,is_default", "bool",
     "AdminWatchlistsPage.tsx:328-353", "WRONG")
rows("6.9", "GET", ADMIN_LIST, "staff", "top", "assets_count", "num",
     "AdminWatchlistsPage.tsx:328-353", "WRONG")
rows("6.9", "GET", ADMIN_LIST, "staff", "top", "created_at", "date",
     "AdminWatchlistsPage.tsx:328-353", "WRONG")
rows("6.9", "GET", ADMIN_LIST, "staff", "assets[]", "id", "num", "AdminWatchlistsPage.tsx:358-364",
     "WRONG")
rows("6.9", "GET", ADMIN_LIST, "staff", "assets[]", "symbol,name", "str",
     "AdminWatchlistsPage.tsx:358-364", "WRONG")
mutation("6.9", "PATCH", "/prop-firm/admin/watchlists/{fresh_watchlist}/", "staff",
         "AdminWatchlistsPage.tsx:76-80",
         body={"name": "Renamed by staff", "is_active": False, "is_default": False},
         fresh="watchlist")
mutation("6.9", "DELETE", "/prop-firm/admin/watchlists/{fresh_watchlist}/", "staff",
         "AdminWatchlistsPage.tsx:94", fresh="watchlist")
mutation("6.9", "POST", "/prop-firm/admin/watchlists/{fresh_watchlist}/toggle_active/", "staff",
         "AdminWatchlistsPage.tsx:105", fresh="watchlist")

# fmt: on


def _check_unique_ids() -> None:
    seen: set[str] = set()
    for row in ROWS:
        assert row.id not in seen, f"two rows share the id {row.id!r}"
        seen.add(row.id)


_check_unique_ids()
