"""The Django admin's extras for the firm: the dashboard (figures and server-side SVG charts),
the intermediate pages of actions that need a reason or a reference, and their forms.

The ModelAdmin classes themselves live in `prop_firm/admin/` (one module per model family);
this package keeps them thin.
"""
