"""Admin edits go through a service that saves and writes the audit event together."""

from django.contrib import messages
from django.shortcuts import redirect

from ..services import policy_object_deleted, policy_object_saved
from ..services.policy import FrozenPolicyError


def form_changes(form) -> dict:
    """Return {field: [before, after]} for the fields the form changed, as JSON-safe strings."""
    changes = {}
    for name in form.changed_data:
        before = form.initial.get(name)
        after = form.cleaned_data.get(name)
        changes[name] = [_plain(before), _plain(after)]
    return changes


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


class AuditedAdminMixin:
    """Save, delete and save inlines through the audited policy services."""

    def save_model(self, request, obj, form, change):
        policy_object_saved(
            actor=request.user, obj=obj, created=not change, changes=form_changes(form)
        )

    def delete_model(self, request, obj):
        policy_object_deleted(actor=request.user, obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            policy_object_deleted(actor=request.user, obj=obj)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)  # sets the parent on new rows and sorts the rows by fate
        forms_by_instance = {id(inline.instance): inline for inline in formset.forms}
        for obj in formset.deleted_objects:
            policy_object_deleted(actor=request.user, obj=obj)
        for obj in formset.new_objects:
            policy_object_saved(actor=request.user, obj=obj, created=True, changes={})
        for obj, _fields in formset.changed_objects:
            changes = form_changes(forms_by_instance[id(obj)])
            policy_object_saved(actor=request.user, obj=obj, created=False, changes=changes)
        formset.save_m2m()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except FrozenPolicyError as error:
            messages.error(request, str(error))
            info = self.opts.app_label, self.opts.model_name
            return redirect(f"admin:{info[0]}_{info[1]}_changelist")
