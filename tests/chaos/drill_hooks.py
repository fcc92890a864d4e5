"""Fault injection for the nightly drills, loaded into a drill worker only (`celery worker
-I tests.chaos.drill_hooks`); it does nothing unless DRILL_REDIS_URL is set.

It records every task start and end in Redis (list `drill:events`, one JSON object each,
with the pid of the process that ran it and the run number of that task id) and, on the
first run of DRILL_TASK, pauses for DRILL_PAUSE_SECONDS at DRILL_PAUSE_AT:

- "before": before the task body, nothing done yet;
- "during": inside the assessment's transaction, its row lock held, nothing committed;
- "after": after the body committed, before the worker acknowledges the message;
- "step": after every committed chunk of a re-assessment run (every run, not only the first).

While paused, key `drill:paused` holds the pausing pid, so the test knows whom to kill.
DRILL_CHUNK_SIZE shrinks re-assessment chunks; DRILL_ACKS_LATE=0 turns late acknowledgement
off (the negative control); DRILL_MAIL_DIR keeps sent mail as files, to count notifications.
"""

import json
import os
import time

from celery import signals

_URL = os.environ.get("DRILL_REDIS_URL", "")
_TASK = os.environ.get("DRILL_TASK", "")
_PAUSE_AT = os.environ.get("DRILL_PAUSE_AT", "")
_PAUSE = float(os.environ.get("DRILL_PAUSE_SECONDS", "0") or 0)


def _redis():
    import redis

    return redis.Redis.from_url(_URL, decode_responses=True)


def _event(**fields) -> None:
    _redis().rpush("drill:events", json.dumps({"pid": os.getpid(), "at": time.time(), **fields}))


def _pause(where: str, task_id: str) -> None:
    _redis().set("drill:paused", json.dumps({"pid": os.getpid(), "where": where, "id": task_id}))
    _event(event="paused", where=where, id=task_id)
    time.sleep(_PAUSE)  # the simulated slow work the drill kills
    _redis().delete("drill:paused")


def _first_run(task_id: str) -> bool:
    return int(_redis().get(f"drill:runs:{task_id}") or 0) == 1


def _on_prerun(task_id=None, task=None, **_):
    run = _redis().incr(f"drill:runs:{task_id}")
    _event(event="start", task=task.name, id=task_id, run=run)
    if task.name == _TASK and _PAUSE_AT == "before" and run == 1:
        _pause("before", task_id)


def _on_postrun(task_id=None, task=None, state=None, **_):
    run = int(_redis().get(f"drill:runs:{task_id}") or 0)
    _event(event="end", task=task.name, id=task_id, state=state, run=run)
    if task.name == _TASK and _PAUSE_AT == "after" and state == "SUCCESS" and _first_run(task_id):
        _pause("after", task_id)


def _pause_inside_the_assessment() -> None:
    from django.db import transaction

    from reviews import services

    original = services.application_assess

    def application_assess(*, application_id, now):
        from celery import current_task

        with transaction.atomic():
            assessment = original(application_id=application_id, now=now)
            if _first_run(current_task.request.id):
                _pause("during", current_task.request.id)
        return assessment

    services.application_assess = application_assess


def _pause_after_each_step() -> None:
    from reviews import services

    original = services.reassessment_step

    def reassessment_step(*, part_id, now):
        from celery import current_task

        more = original(part_id=part_id, now=now)
        _event(event="step", id=current_task.request.id, more=more)
        if more:
            _pause("step", current_task.request.id)
        return more

    services.reassessment_step = reassessment_step


def _on_after_setup(**_):
    """Adjust the worker once every task is registered, before it starts consuming."""
    from django.conf import settings

    from config.celery import app

    if os.environ.get("DRILL_CHUNK_SIZE"):
        from reviews.services import policy

        policy.CHUNK_SIZE = int(os.environ["DRILL_CHUNK_SIZE"])
    if os.environ.get("DRILL_ACKS_LATE") == "0":
        app.conf.task_acks_late = False
        for task in app.tasks.values():
            task.acks_late = False
        print("drill: late acknowledgement is OFF", flush=True)
    if os.environ.get("DRILL_MAIL_DIR"):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": os.environ["DRILL_MAIL_DIR"]},
            }
        }
    if _PAUSE_AT == "during":
        _pause_inside_the_assessment()
    if _PAUSE_AT == "step":
        _pause_after_each_step()


if _URL:
    signals.task_prerun.connect(_on_prerun, weak=False)
    signals.task_postrun.connect(_on_postrun, weak=False)
    signals.celeryd_after_setup.connect(_on_after_setup, weak=False)
