"""The stored page's fingerprint (ETag) and when it changed (Last-Modified), filled in for reports built before."""

import hashlib

from django.db import migrations, models


def fingerprint(apps, schema_editor):  # noqa: ANN001, ARG001 - migration signature
    Report = apps.get_model("reports", "Report")
    for stored in Report.objects.exclude(html="").only("pk", "html", "built_at", "created_at").iterator():
        Report.objects.filter(pk=stored.pk).update(
            html_hash=hashlib.sha256(stored.html.encode("utf-8")).hexdigest(),
            html_at=stored.built_at or stored.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="html_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="report",
            name="html_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(fingerprint, migrations.RunPython.noop),
    ]
