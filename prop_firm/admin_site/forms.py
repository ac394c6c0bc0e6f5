"""The forms of the admin actions' intermediate pages: one value per selected object."""

from django import forms


class ObjectsForm(forms.Form):
    """A form shown for the objects an action was run on; `value_for(obj)` is what the
    action's service receives for that object."""

    def __init__(self, *args, objects, **kwargs):
        super().__init__(*args, **kwargs)
        self.objects = objects

    def value_for(self, obj) -> str:
        raise NotImplementedError


class ReasonForm(ObjectsForm):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Recorded in each account's activity (and shown to the trader where the "
        "state change is notified).",
    )

    def value_for(self, obj) -> str:
        return self.cleaned_data["reason"]


class NoteForm(ObjectsForm):
    note = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Appended, dated and signed, to the staff notes of each account; never "
        "shown to the trader.",
    )

    def value_for(self, obj) -> str:
        return self.cleaned_data["note"]


class PayoutReasonForm(ReasonForm):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Sent to the trader; the withdrawn profit is credited back to the account.",
    )


class PayoutReferenceForm(ObjectsForm):
    """One reference per payout: each manual payment has its own (bank, transaction hash)."""

    def __init__(self, *args, objects, **kwargs):
        super().__init__(*args, objects=objects, **kwargs)
        for payout in objects:
            self.fields[self.field_name(payout)] = forms.CharField(
                max_length=255,
                label=(
                    f"Payout #{payout.pk}: {payout.trader_share} {payout.currency.upper()} "
                    f"by {payout.get_payment_method_display().lower()}"
                ),
                help_text="The payment's reference (bank transfer id, transaction hash...).",
            )

    @staticmethod
    def field_name(payout) -> str:
        return f"reference_{payout.pk}"

    def value_for(self, obj) -> str:
        return self.cleaned_data[self.field_name(obj)]
