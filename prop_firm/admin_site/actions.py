"""How the admin's actions run: one service call per selected object, each in the service's
own transaction, so one refusal (a `StateConflict`: the account is already failed, the payout
already paid...) is reported for that object and never undoes the others.

Actions that need a reason, a note or a reference first answer Django's intermediate page
(as `delete_selected` does): a form posted back to the changelist with the same `action` and
`_selected_action` values, plus `apply`.
"""

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from alpacabackend.api.errors import ApplicationError
from prop_firm.admin_site.forms import ObjectsForm

APPLY = "apply"


def run_each(
    modeladmin,
    request,
    objects: Iterable,
    call: Callable,
    *,
    done: str,
    log: Callable = str,
    label: Callable = str,
) -> int:
    """Calls `call(obj)` for each object; reports each refusal (prefixed with
    `label(obj)`) and the number done."""
    count = 0
    for obj in objects:
        try:
            result = call(obj)
        except ApplicationError as error:
            modeladmin.message_user(request, f"{label(obj)}: {error.message}", messages.WARNING)
            continue
        count += 1
        modeladmin.log_change(request, result if result is not None else obj, log(obj))
    if count:
        noun = modeladmin.model._meta.verbose_name
        if count != 1:
            noun = modeladmin.model._meta.verbose_name_plural
        modeladmin.message_user(request, f"{count} {noun} {done}.", messages.SUCCESS)
    return count


def run_with_form(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    form_class: type[ObjectsForm],
    call: Callable,
    title: str,
    intro: str,
    done: str,
    submit: str,
    label: Callable = str,
):
    """The intermediate page of `action`; once its form is valid, `call(obj, value)` for
    each selected object, and back to the changelist (None lets Django redirect)."""
    objects = list(queryset)
    if APPLY in request.POST:
        form = form_class(request.POST, objects=objects)
        if form.is_valid():
            run_each(
                modeladmin,
                request,
                objects,
                lambda obj: call(obj, form.value_for(obj)),
                done=done,
                log=lambda obj: f"{title}: {form.value_for(obj)}",
                label=label,
            )
            return None
    else:
        form = form_class(objects=objects)
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": opts,
        "objects": objects,
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "apply": APPLY,
        "submit": submit,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/prop_firm/action_form.html", context)
