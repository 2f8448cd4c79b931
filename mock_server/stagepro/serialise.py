"""StagePro's batches and workflows as the API answers them (and as ``batch.completed``
webhooks carry them): read from the account's state when asked, called by the handlers, the
backend (events) and the dashboard. Pure: no Starlette, no I/O. Jobs and uploads keep their
own JSON forms (``models.Job.as_json``, ``json_bytes``; ``Upload.as_json``)."""

from __future__ import annotations

from ..core.clock import iso
from ..core.lifecycle import COMPLETED, FAILED, PROCESSING, QUEUED
from ..jsontypes import JsonObject
from .models import Account, Batch, Workflow


def batch_json(account: Account, batch: Batch) -> JsonObject:
    counts = {"total": len(batch.jobs), QUEUED: 0, PROCESSING: 0, COMPLETED: 0, FAILED: 0}
    jobs = []
    for job_id, label in batch.jobs:
        status = account.jobs[job_id].status
        counts[status] += 1
        jobs.append({"job_id": job_id, "label": label, "status": status})
    terminal = counts[COMPLETED] + counts[FAILED]
    if terminal == counts["total"]:
        status = "completed"
    elif counts[QUEUED] == counts["total"]:
        status = "queued"
    else:
        status = "processing"
    return {
        "id": batch.id,
        "batch_id": batch.id,
        "object": "batch",
        "type": batch.type,
        "listing_id": batch.listing_id,
        "status": status,
        "job_ids": [j for j, _ in batch.jobs],
        "jobs": jobs,
        "counts": counts,
        "credits_charged": batch.credits_charged,
        "webhook_endpoint_id": batch.webhook_endpoint_id,
        "metadata": batch.metadata,
        "created_at": iso(batch.created_at),
        "completed_at": iso(batch.completed_at) if batch.completed_at else None,
    }


def workflow_json(account: Account, wf: Workflow) -> JsonObject:
    b = batch_json(account, account.batches[wf.batch_id])
    return {
        "id": wf.id,
        "workflow_id": wf.id,
        "object": "workflow",
        "template": wf.template,
        "job_type": wf.job_type,
        "listing_tool": wf.listing_tool,
        "listing_id": wf.listing_id,
        "batch_id": wf.batch_id,
        "job_ids": b["job_ids"],
        "status": b["status"],
        "counts": b["counts"],
        "credits_charged": b["credits_charged"],
        "created_at": iso(wf.created_at),
        "completed_at": b["completed_at"],
    }
