"""The Alpaca-compatible API: an unmodified alpaca-py bot trades a prop account.

Keys belong to one prop account (`models.ApiKey`); every order goes through paper trading's
`order_place` (the same rules, fills, ledger and audit as the web app); answers take the shapes
of alpaca-py's pydantic models (`shapes`), errors Alpaca's `{"code", "message"}` (`errors`).
"""
