from django.db import models


class Row(models.Model):
    """One row the write_rows command writes; ``n`` is unique, so a duplicate cannot hide."""

    n = models.IntegerField(unique=True)

    class Meta:
        app_label = "djapp"
