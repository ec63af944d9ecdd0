#!/usr/bin/env python
"""The example project's manage.py. ``python examples/django_project/manage.py demo`` runs the
whole example; add ``--serve`` to keep a server running for the dashboard."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
