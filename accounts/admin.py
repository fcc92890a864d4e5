from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from config.admin import ReadOnlyAdmin

from .models import Membership, Organization, User
from .services import user_admin_changed


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff accounts and roles (groups) are managed here; every change is audited."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})
    ]
    filter_horizontal = ["groups"]

    def save_related(self, request, form, formsets, change):
        user = form.instance
        groups_before = sorted(user.groups.values_list("name", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        user_admin_changed(
            actor=request.user,
            user=user,
            created=not change,
            changed_fields=[name for name in form.changed_data if name not in ("password",)],
            groups_before=groups_before,
            groups_after=sorted(user.groups.values_list("name", flat=True)),
        )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    """Organizations are read here; their members change them in the portal, with its rules."""

    list_display = ["name", "country", "org_type", "created_at"]
    list_filter = ["org_type", "country"]
    search_fields = ["name"]
    inlines = [MembershipInline]
