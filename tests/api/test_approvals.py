"""Approvals: listed with `read`, decided only with `approve`; decisions reach the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapekd.errors import ApprovalError
from tests.api.harness import APPROVE, READ, Api, bearer


class Approvals:
    """The ApprovalQueue the knowledge base implements, over a dict."""

    def __init__(self) -> None:
        self.rows = {
            7: {
                "id": 7,
                "decision_id": 3,
                "incident_id": 1,
                "action": "restart_web",
                "target": "process:web",
                "expires_at": 2e9,
                "requested_at": 1e9,
            }
        }
        self.decided: list[tuple[int, bool, str]] = []

    def pending_approvals(self) -> list[dict[str, Any]]:
        return list(self.rows.values())

    def decide_approval(self, approval_id: int, approve: bool, by: str) -> str:
        if approval_id not in self.rows:
            raise ApprovalError(f"approval {approval_id} is not pending")
        del self.rows[approval_id]
        self.decided.append((approval_id, approve, by))
        return "approved" if approve else "denied"


async def test_list_and_decide(tmp_path: Path) -> None:
    queue = Approvals()
    async with Api(tmp_path, approvals=queue) as api:
        listed = (await api.client.get("/api/v1/approvals", headers=bearer(READ))).json()
        assert [a["action"] for a in listed["approvals"]] == ["restart_web"]

        refused = await api.client.post(
            "/api/v1/approvals/7", headers=bearer(READ), json={"decision": "approve"}
        )
        assert refused.status_code == 403 and queue.decided == []

        done = await api.client.post(
            "/api/v1/approvals/7", headers=bearer(APPROVE), json={"decision": "deny"}
        )
        assert done.status_code == 200 and done.json() == {"id": 7, "state": "denied", "by": "approver"}
        assert queue.decided == [(7, False, "approver")]

        again = await api.client.post(
            "/api/v1/approvals/7", headers=bearer(APPROVE), json={"decision": "approve"}
        )
        assert again.status_code == 409 and queue.decided == [(7, False, "approver")]

        bad = await api.client.post(
            "/api/v1/approvals/7", headers=bearer(APPROVE), json={"decision": "maybe"}
        )
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "decision"


async def test_without_an_approval_queue(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        response = await api.client.get("/api/v1/approvals", headers=bearer(READ))
        assert response.status_code == 404 and response.json()["error"]["code"] == "no_approvals"
