"""Django admin, the staff's daily tool: every prop_firm model, with the flows behind actions.

No state is edited here. Status, money and audit fields are read-only; each action calls the
service that owns the change (lifecycle, rule engine, payouts, payments), which locks, checks
the transition and writes the audit row. Actions needing a reason, a note or a reference go
through an intermediate page (`prop_firm.admin_site.actions`). Lists pin their queries with
`list_select_related` and annotations: the page costs the same for 3 rows or 100.

One module per model family; importing them registers their ModelAdmins with `admin.site`
(Django's autodiscovery imports this package):

- `plans`: plans and their phases;
- `accounts`: prop accounts, their inlines and lifecycle actions;
- `audit`: activity, rule violations, equity snapshots;
- `payments`: purchases, webhook events, local checkout sessions;
- `payouts`: payouts and their staff review;
- `common`: what they share (read-only bases, cells, counts).

The dashboard (`admin:prop_firm_dashboard`) lives in `prop_firm.admin_site`.
"""

from django.contrib import admin

from prop_firm.admin import accounts, audit, payments, payouts, plans  # noqa: F401  (registers)
from prop_firm.admin_site.views import dashboard_install
from prop_firm.alpaca_api import admin as _alpaca_api_admin  # noqa: F401  (API keys)

dashboard_install(admin.site)
