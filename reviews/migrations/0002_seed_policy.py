"""Install the seed policy (fixtures/policy/seed.json) as the published version."""

from django.db import migrations


def install_seed(apps, schema_editor):
    from reviews.seed import install_policy_document, load_seed_document

    models = tuple(apps.get_model("reviews", name) for name in ("Policy", "PolicyVersion", "Rule"))
    if models[1].objects.exists():
        return
    install_policy_document(load_seed_document(), models=models, publish=True)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(install_seed, migrations.RunPython.noop)]
