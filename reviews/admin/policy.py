"""Admin for the policy as data: versions and their rules, simulation and publication."""

import json
import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from config.admin import ReadOnlyAdmin
from reviews.decision import (
    ConditionError,
    PolicyError,
    describe_condition,
    golden_case_failures,
    validate_condition,
)

from ..models import Policy, PolicySimulation, PolicyVersion, Reassessment, Rule
from ..policy import compile_version
from ..services import (
    PolicyPublishError,
    policy_simulation_start,
    policy_version_create_draft,
    policy_version_publish,
)
from .audited import AuditedAdminMixin

_RULE_ID = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$")
_MONO = {"rows": 8, "style": "font-family: monospace; width: 100%;"}


class PrettyJSONField(forms.JSONField):
    """A JSON field shown indented, so conditions and cases read like documents."""

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError("This JSON is nested too deeply.", code="invalid") from None
        except ValueError:  # a number of thousands of digits, beyond Python's int limit
            raise forms.ValidationError(
                "This JSON has a number too long.", code="invalid"
            ) from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except (RecursionError, ValueError):
            return forms.fields.InvalidJSONInput(data)


class RuleForm(forms.ModelForm):
    condition = PrettyJSONField(widget=forms.Textarea(attrs=_MONO))

    class Meta:
        model = Rule
        fields = [
            "order",
            "rule_id",
            "title",
            "outcome",
            "weight",
            "active",
            "clause",
            "source",
            "explanation",
            "condition",
        ]

    def clean_rule_id(self) -> str:
        rule_id = self.cleaned_data["rule_id"].strip()
        if not _RULE_ID.match(rule_id):
            raise forms.ValidationError(
                "Use capitals, digits and single hyphens, e.g. US-POLICE-FR.", code="rule_id"
            )
        return rule_id

    def clean_condition(self):
        condition = self.cleaned_data["condition"]
        try:
            validate_condition(condition)
        except ConditionError as error:
            raise forms.ValidationError(str(error), code="condition") from None
        return condition


class RuleInline(admin.StackedInline):
    model = Rule
    form = RuleForm
    extra = 0
    readonly_fields = ["readable_condition"]
    fields = [
        "order",
        "rule_id",
        "title",
        "outcome",
        "weight",
        "active",
        "clause",
        "source",
        "explanation",
        "condition",
        "readable_condition",
    ]

    @admin.display(description="Condition, in words")
    def readable_condition(self, rule: Rule) -> str:
        if not rule.pk:
            return "-"
        try:
            return format_html('<pre class="gh-wrap">{}</pre>', describe_condition(rule.condition))
        except ConditionError as error:
            return f"Invalid: {error}"

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_draft

    def get_readonly_fields(self, request, obj=None):
        if self._editable(obj):
            return self.readonly_fields
        return [*self.fields]

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Policy)
class PolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["key", "title"]


class PolicyVersionForm(forms.ModelForm):
    golden_cases = PrettyJSONField(
        widget=forms.Textarea(attrs={**_MONO, "rows": 12}), required=False
    )

    class Meta:
        model = PolicyVersion
        fields = ["policy", "version", "notes", "golden_cases"]

    def clean_golden_cases(self):
        cases = self.cleaned_data["golden_cases"] or []
        if not isinstance(cases, list):
            raise forms.ValidationError("Give a list of cases.", code="golden_cases")
        return cases


class DraftForm(forms.Form):
    version = forms.CharField(max_length=32, help_text="A new name, such as 2024.05.2.")

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy

    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        if PolicyVersion.objects.filter(policy=self.policy, version=version).exists():
            raise forms.ValidationError("This policy already has a version with that name.")
        return version


@admin.register(PolicyVersion)
class PolicyVersionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PolicyVersionForm
    inlines = [RuleInline]
    list_display = ["version", "status", "policy", "rule_count", "published_at", "short_hash"]
    list_filter = ["status", "policy"]
    list_select_related = ["policy"]
    change_form_template = "admin/reviews/policyversion/change_form.html"
    readonly_fields = [
        "status",
        "checks",
        "content_hash",
        "published_at",
        "published_by",
        "retired_at",
        "created_by",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["policy", "version", "status", "checks", "notes"]}),
        ("Golden cases", {"fields": ["golden_cases"], "classes": ["collapse"]}),
        (
            "Publication",
            {
                "fields": [
                    "content_hash",
                    "created_by",
                    "created_at",
                    "published_by",
                    "published_at",
                    "retired_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(rule_total=Count("rules"))

    @admin.display(description="Rules", ordering="rule_total")
    def rule_count(self, version) -> int:
        return version.rule_total

    @admin.display(description="Hash")
    def short_hash(self, version) -> str:
        return version.content_hash[:12]

    @admin.display(description="Checks")
    def checks(self, version) -> str:
        """Compile the version and run its golden cases, so staff see problems before publishing."""
        if version.pk is None:
            return "-"
        try:
            policy = compile_version(version)
        except PolicyError as error:
            return format_html(
                '<strong class="gh-bad">The rules do not compile:</strong><ul>{}</ul>',
                format_html_join("", "<li><code>{}</code>: {}</li>", error.errors),
            )
        failures = golden_case_failures(policy, now=timezone.now())
        total = len(policy.spec.golden_cases)
        if failures:
            return format_html(
                '<strong class="gh-bad">{} of {} golden cases fail:</strong><ul>{}</ul>',
                len(failures),
                total,
                format_html_join("", "<li>{}</li>", ((f,) for f in failures)),
            )
        return format_html(
            '<strong class="gh-good">Valid: {} rules; all {} golden cases pass.</strong>',
            len(policy.rules),
            total,
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return [*self.readonly_fields, "policy", "version", "notes", "golden_cases"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_draft) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/simulate/",
                wrap(require_POST(self.simulate_view)),
                name="reviews_policyversion_simulate",
            ),
            path(
                "<int:pk>/publish/",
                wrap(require_POST(self.publish_view)),
                name="reviews_policyversion_publish",
            ),
            path("<int:pk>/draft/", wrap(self.draft_view), name="reviews_policyversion_draft"),
            *super().get_urls(),
        ]

    def _version(self, request, pk: int) -> PolicyVersion:
        version = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=pk)
        if not self.has_view_permission(request, version):
            raise Http404
        return version

    def _change_url(self, version) -> str:
        return reverse("admin:reviews_policyversion_change", args=[version.pk])

    def simulate_view(self, request, pk: int):
        version = self._version(request, pk)
        if not self.has_change_permission(request, version):
            raise PermissionDenied
        try:
            simulation = policy_simulation_start(
                actor=request.user, version_id=version.pk, now=timezone.now()
            )
        except PolicyPublishError as error:
            for problem in error.problems:
                messages.error(request, problem)
            return redirect(self._change_url(version))
        return redirect(simulation.get_absolute_url())

    def publish_view(self, request, pk: int):
        version = self._version(request, pk)
        if not request.user.has_perm("reviews.publish_policyversion"):
            raise PermissionDenied
        try:
            run = policy_version_publish(
                actor=request.user, version_id=version.pk, now=timezone.now()
            )
        except PolicyPublishError as error:
            messages.error(request, f"Version {version.version} was not published.")
            for problem in error.problems:
                messages.error(request, problem)
            return redirect(self._change_url(version))
        messages.success(
            request, f"Version {version.version} is published; open applications are re-assessed."
        )
        return redirect(reverse("admin:reviews_reassessment_change", args=[run.pk]))

    def draft_view(self, request, pk: int):
        source = self._version(request, pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DraftForm(request.POST or None, policy=source.policy)
        if request.method == "POST" and form.is_valid():
            draft = policy_version_create_draft(
                actor=request.user,
                source_version_id=source.pk,
                version=form.cleaned_data["version"],
                now=timezone.now(),
            )
            messages.success(request, f"Draft {draft.version} was created from {source.version}.")
            return redirect(self._change_url(draft))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "source": source,
            "form": form,
            "title": f"New draft from {source.version}",
        }
        return TemplateResponse(request, "admin/reviews/policyversion/draft.html", context)


class PolicyRunAdmin(ReadOnlyAdmin):
    """A read-only page per run: progress while it works, the transitions when done."""

    list_display = ["__str__", "status", "processed", "total", "created_at", "finished_at"]
    list_select_related = ["policy_version__policy"]
    change_form_template = "admin/reviews/policy_run.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is None or not self.has_view_permission(request, run):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": run,
            "run": run,
            "title": str(run),
            "transitions": sorted(run.transitions.items(), key=lambda item: -item[1]),
            "refresh": not run.is_finished,
        }
        return TemplateResponse(request, self.change_form_template, context)


admin.site.register(PolicySimulation, PolicyRunAdmin)
admin.site.register(Reassessment, PolicyRunAdmin)
