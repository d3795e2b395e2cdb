import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartlegg.settings")
django.setup(set_prefix=False)

from kartlegg.lib.checks import refuse_insecure_start  # noqa: E402

# With DEBUG off and no SECRET_KEY the web process does not start (gunicorn, runserver).
refuse_insecure_start()
application = WSGIHandler()
