"""An ordinary alpaca-py bot, pointed at the firm: only the key, the secret and the URL differ
from a bot written for Alpaca itself.

    APCA_API_KEY_ID=PK... APCA_API_SECRET_KEY=... FIRM_URL=http://127.0.0.1:8000/alpaca \
        python docs/examples/alpaca_bot.py

It connects, reads the account, the firm's rules and the clock, fetches bars and the latest
quote, buys when the price is above its 20-hour average (sells short otherwise), reads its
position, closes half of it and then the rest. See docs/alpaca.md for how to get a key.
"""

import os
from datetime import UTC, datetime, timedelta

import requests
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestQuoteRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import ClosePositionRequest, MarketOrderRequest

KEY = os.environ["APCA_API_KEY_ID"]
SECRET = os.environ["APCA_API_SECRET_KEY"]
URL = os.environ.get("FIRM_URL", "http://127.0.0.1:8000/alpaca")
SYMBOL = os.environ.get("SYMBOL", "AAPL")

trading = TradingClient(KEY, SECRET, url_override=URL)
data = StockHistoricalDataClient(KEY, SECRET, url_override=URL)

account = trading.get_account()
print(
    f"account {account.account_number} {account.status.value}: equity {account.equity}, "
    f"buying power {account.buying_power}, trading blocked: {account.trading_blocked}"
)

# What Alpaca has no field for: the firm's floors and target (plain HTTP, same headers).
rules = requests.get(
    f"{URL}/v2/prop/rules",
    headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET},
    timeout=10,
).json()
print(
    f"daily loss floor {rules['daily_loss_floor']} (room {rules['daily_loss_room']}), "
    f"max loss floor {rules['max_loss_floor']}, profit target {rules['profit_target']}"
)

clock = trading.get_clock()
print(f"market open: {clock.is_open}, next close {clock.next_close:%Y-%m-%d %H:%M %Z}")
if not clock.is_open:
    raise SystemExit("The market is closed: market orders would be refused.")

start = datetime.now(UTC) - timedelta(days=5)
bars = data.get_stock_bars(
    StockBarsRequest(symbol_or_symbols=SYMBOL, timeframe=TimeFrame.Hour, start=start)
)[SYMBOL]
average = sum(bar.close for bar in bars[-20:]) / len(bars[-20:])
quote = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=SYMBOL))[SYMBOL]
print(
    f"{len(bars)} hourly bars of {SYMBOL}; 20-hour average {average:.2f}; "
    f"bid {quote.bid_price} ask {quote.ask_price}"
)

side = OrderSide.BUY if quote.ask_price > average else OrderSide.SELL
order = trading.submit_order(
    MarketOrderRequest(symbol=SYMBOL, qty=10, side=side, time_in_force=TimeInForce.DAY)
)
print(
    f"order {order.id}: {order.side.value} {order.qty} {SYMBOL} {order.status.value} "
    f"at {order.filled_avg_price}"
)

position = trading.get_open_position(SYMBOL)
print(
    f"position: {position.qty} {SYMBOL} ({position.side.value}), avg {position.avg_entry_price}"
    f", market value {position.market_value}, unrealized P&L {position.unrealized_pl}"
)

half = trading.close_position(SYMBOL, ClosePositionRequest(percentage="50"))
print(f"closed half: {half.side.value} {half.qty} at {half.filled_avg_price}")
rest = trading.close_position(SYMBOL)
print(f"closed the rest: {rest.side.value} {rest.qty} at {rest.filled_avg_price}")

print(f"positions left: {trading.get_all_positions()}")
print(f"equity now {trading.get_account().equity}")
