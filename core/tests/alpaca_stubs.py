"""HTTP stubs with exactly the shape of Alpaca's real answers (trading API v2, market data v2
for stocks and v1beta3 for crypto), for `responses`."""

from responses import matchers

TRADING = "https://paper-api.alpaca.markets/v2"
DATA = "https://data.alpaca.markets/v2"
CRYPTO = "https://data.alpaca.markets/v1beta3/crypto/us"

AAPL_ASSET = {
    "id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
    "class": "us_equity",
    "exchange": "NASDAQ",
    "symbol": "AAPL",
    "name": "Apple Inc. Common Stock",
    "status": "active",
    "tradable": True,
    "marginable": True,
    "maintenance_margin_requirement": 30,
    "margin_requirement_long": "30",
    "margin_requirement_short": "30",
    "shortable": True,
    "easy_to_borrow": True,
    "fractionable": True,
    "attributes": ["fractional_eh_enabled", "has_options"],
}
DELISTED_ASSET = {
    **AAPL_ASSET,
    "id": "7a3ce2c5-5b2e-4f6b-8e6e-3b1f0a1c9d21",
    "symbol": "OLDCO",
    "name": "Old Co",
    "status": "inactive",
    "tradable": False,
    "exchange": "OTC",
    "attributes": [],
}
BTC_ASSET = {
    "id": "276e2673-764b-4ab6-a611-caf665ca6340",
    "class": "crypto",
    "exchange": "CRYPTO",
    "symbol": "BTC/USD",
    "name": "Bitcoin  / US Dollar",
    "status": "active",
    "tradable": True,
    "marginable": False,
    "maintenance_margin_requirement": 100,
    "shortable": False,
    "easy_to_borrow": False,
    "fractionable": True,
    "attributes": [],
    "min_order_size": "0.0001",
    "min_trade_increment": "0.000000001",
    "price_increment": "1",
}


def stub_assets(mock, equities=(AAPL_ASSET, DELISTED_ASSET), cryptos=(BTC_ASSET,)):
    for asset_class, payload in (("us_equity", equities), ("crypto", cryptos)):
        mock.get(
            f"{TRADING}/assets",
            json=list(payload),
            match=[matchers.query_param_matcher({"asset_class": asset_class})],
        )


def bar(t, o, h, low, c, v, n=120, vw=None):
    return {"t": t, "o": o, "h": h, "l": low, "c": c, "v": v, "n": n, "vw": vw or c}


def stub_bars(mock, symbol, pages, crypto=False):
    """`pages`: lists of bars; every page but the last carries a next_page_token. responses
    answers repeated matches in registration order, so page 2 answers the second request."""
    url = f"{CRYPTO}/bars" if crypto else f"{DATA}/stocks/bars"
    for index, bars in enumerate(pages):
        token = f"page{index + 1}" if index + 1 < len(pages) else None
        mock.get(url, json={"bars": {symbol: bars}, "next_page_token": token})


def stub_latest(mock, quotes: dict, trades: dict, crypto=False):
    base = CRYPTO + "/latest" if crypto else DATA + "/stocks"
    quotes_url = f"{base}/quotes" if crypto else f"{base}/quotes/latest"
    trades_url = f"{base}/trades" if crypto else f"{base}/trades/latest"
    mock.get(quotes_url, json={"quotes": quotes})
    mock.get(trades_url, json={"trades": trades})


def stock_quote(t, bid, ask):
    return {
        "t": t,
        "ax": "V",
        "ap": ask,
        "as": 2,
        "bx": "V",
        "bp": bid,
        "bs": 1,
        "c": ["R"],
        "z": "C",
    }


def stock_trade(t, price):
    return {"t": t, "x": "V", "p": price, "s": 100, "c": ["@"], "i": 52983525033527, "z": "C"}


def crypto_quote(t, bid, ask):
    return {"t": t, "bp": bid, "bs": 0.52, "ap": ask, "as": 0.41}


def crypto_trade(t, price):
    return {"t": t, "p": price, "s": 0.0012, "tks": "B", "i": 6307297460318093}


CLOCK_OPEN = {
    "timestamp": "2026-11-25T10:33:07.519846277-05:00",
    "is_open": True,
    "next_open": "2026-11-27T09:30:00-05:00",
    "next_close": "2026-11-25T16:00:00-05:00",
}

CALENDAR = [
    {
        "date": "2026-11-25",
        "open": "09:30",
        "close": "16:00",
        "session_open": "0400",
        "session_close": "2000",
        "settlement_date": "2026-11-27",
    },
    {
        "date": "2026-11-27",
        "open": "09:30",
        "close": "13:00",
        "session_open": "0400",
        "session_close": "1700",
        "settlement_date": "2026-11-30",
    },
]

RATE_LIMITED = {"code": 42910000, "message": "rate limit exceeded"}
UNAUTHORIZED = {"code": 40110000, "message": "request is not authorized"}
