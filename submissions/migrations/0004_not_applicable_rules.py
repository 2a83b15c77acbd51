"""The rules a check could not apply to the formats sent, stored with the submission."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0003_canonical_extract"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="not_applicable_rules",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
