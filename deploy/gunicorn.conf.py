"""gunicorn settings for one kartlegg app server (`gunicorn -c deploy/gunicorn.conf.py kartlegg.wsgi`).

Every value can be set from the environment, so the systemd unit and the Procfile share this file. Sync workers:
nginx buffers whole requests and answers (deploy/nginx/kartlegg.conf), so a slow client never holds a worker, and
a request is one database transaction at a time. See docs/deployment.md.
"""

import os

bind = os.environ.get("KARTLEGG_BIND", "127.0.0.1:8001")
# Two or three workers per core is the usual start; each holds one database connection (DB_CONN_MAX_AGE).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes longer is a bug or a job that belongs on the worker; the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Replace workers now and then, so slow growth in memory cannot build up (jitter: not all at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Only nginx on this host may set X-Forwarded-*.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_fields = 100
# Logs go to standard output and error (journald or the platform's log collector).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "kartlegg-web"
