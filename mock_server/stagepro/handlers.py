"""StagePro handlers, named after ``openapi/stagepro.yaml``'s operationIds. Each parses the
validated call, asks the model, serialises the answer."""

from __future__ import annotations

from starlette.responses import Response

from ..http import json_response
from ..spec.router import Call, Handler, not_implemented


async def getCapabilities(call: Call) -> Response:
    backend = call.context.backends["stagepro"]
    return json_response(backend.catalog.as_capabilities(backend.limits))


async def getUsage(call: Call) -> Response:
    account = call.principal.account
    plan = account.plan
    counts = {"queued": 0, "processing": 0, "completed": 0, "failed": 0}
    for job in account.objects.get("jobs", {}).values():
        counts[job.status] = counts.get(job.status, 0) + 1
    return json_response(
        {
            "object": "usage",
            "livemode": account.livemode,
            "plan": {
                "name": plan.name,
                "max_parallel_jobs": plan.max_parallel_jobs,
                "storage_limit_bytes": plan.storage_limit_bytes,
            },
            "credits": {
                "balance": account.credits if account.credits is not None else 0,
                "spent": account.credits_spent,
                "unlimited": account.credits is None,
            },
            "storage": {
                "used_bytes": account.storage_used_bytes,
                "limit_bytes": plan.storage_limit_bytes,
                "uploads": len(account.objects.get("uploads", {})),
                "outputs": 0,
            },
            "jobs": counts,
        }
    )


HANDLERS: dict[str, Handler] = {
    "getCapabilities": getCapabilities,
    "getUsage": getUsage,
}
for _op in (
    "createJob", "listJobs", "getJob", "regenerateJob", "createBatch", "getBatch",
    "createWorkflow", "getWorkflow", "createUpload",
):
    HANDLERS[_op] = not_implemented(_op)
