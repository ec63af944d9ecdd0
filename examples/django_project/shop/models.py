from django.db import models


class Price(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    cents = models.IntegerField()
