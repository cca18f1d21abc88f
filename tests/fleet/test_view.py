"""What the loop reads from the fleet, in memory: each candidate's fleet record, when the fleet
proves a remedy (H hosts, K successes, rate P; not against this host's own record), the source
`fleet` choosing it, and a quarantined remedy held for an approval by the one enforcement point."""

from __future__ import annotations

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.record import Snapshot, Tally
from mapekd.fleet.source import fleet_remedy
from mapekd.fleet.view import FleetView
from mapekd.plan.decide import Decider
from mapekd.plan.enforcer import Admitted, NeedsApproval
from mapekd.plan.proposal import Candidate, Proposal
from tests.plan.test_enforcer import NOW, enforcer, settings

SIG = "web_down@process:web"


def view(**snapshot: object) -> FleetView:
    fleet = FleetView(FleetConfig(url="postgresql://h@db/fleet", host_id="h"))
    fleet.snapshot = Snapshot(**snapshot)  # type: ignore[arg-type]
    return fleet


def cands(*names: str, cause: tuple[int, int] = (0, 0)) -> list[Candidate]:
    return [Candidate(n, "command", "", "low", True, 0, 0, *cause) for n in names]


def test_the_record_for_the_cause_comes_first_then_the_signature() -> None:
    fleet = view(
        by_cause={(SIG, "fp1"): {"restart_web": Tally(6, 6, 3)}},
        by_signature={SIG: {"restart_web": Tally(7, 9, 4), "kill_web": Tally(1, 4, 2)}},
    )
    restart, kill = fleet.annotate(SIG, "process:web", "fp1", cands("restart_web", "kill_web"))
    assert (restart.fleet_successes, restart.fleet_tries, restart.fleet_hosts) == (6, 6, 3)
    assert restart.fleet_proven
    assert (kill.fleet_successes, kill.fleet_tries, kill.fleet_hosts, kill.fleet_proven) == (1, 4, 2, False)
    (other_cause,) = fleet.annotate(SIG, "process:web", "fp2", cands("restart_web"))
    assert (other_cause.fleet_tries, other_cause.fleet_proven) == (9, False)  # 7/9 is below P


def test_the_signature_record_proves_where_the_cause_record_is_short_but_not_against_it() -> None:
    def proven(cause: Tally) -> bool:
        fleet = view(by_cause={(SIG, "fp1"): {"a": cause}}, by_signature={SIG: {"a": Tally(9, 9, 4)}})
        return fleet.annotate(SIG, "process:web", "fp1", cands("a"))[0].fleet_proven

    assert proven(Tally(1, 1, 1)), "too short a record for the cause: the signature's decides"
    assert not proven(Tally(1, 3, 2)), "the cause's record refutes it"


def test_the_fleet_proves_only_past_every_threshold() -> None:
    def proven(tally: Tally, cause: tuple[int, int] = (0, 0)) -> bool:
        fleet = view(by_signature={SIG: {"a": tally}})
        return fleet.annotate(SIG, "process:web", None, cands("a", cause=cause))[0].fleet_proven

    assert proven(Tally(5, 5, 3))
    assert not proven(Tally(5, 5, 2)), "fewer hosts than min_hosts"
    assert not proven(Tally(4, 4, 3)), "fewer successes than min_successes"
    assert not proven(Tally(9, 11, 3)), "a rate below min_rate"
    assert not proven(Tally(5, 5, 3), cause=(0, 2)), "this host's own record for the cause refutes it"
    assert proven(Tally(5, 5, 3), cause=(2, 2)), "this host's own record agrees"


def test_the_fleet_source_chooses_the_best_proven_remedy_of_the_rule() -> None:
    fleet = view(by_signature={SIG: {"a": Tally(9, 10, 3), "b": Tally(10, 10, 4)}})
    chosen = fleet_remedy(fleet.annotate(SIG, "process:web", None, cands("a", "b")))
    assert chosen is not None and chosen.action == "b" and chosen.source == "fleet"
    assert chosen.reason == "fleet: resolved 10/10 times on 4 hosts"
    assert fleet_remedy(cands("a", "b")) is None


def test_the_decider_asks_this_hosts_record_first_then_the_fleet() -> None:
    configs = {a.name: a for a in settings().actions}
    decider = Decider(settings().plan, configs, None, prefer_knowledge=True)
    fleet = view(by_signature={SIG: {"cleanup": Tally(5, 5, 3)}})
    candidates = fleet.annotate(SIG, "process:web", None, cands("per_target", "cleanup"))
    decided = decider.fast(candidates)
    assert decided is not None and decided.action == "cleanup" and decided.reason.startswith("fleet:")
    own = [Candidate("per_target", "command", "", "low", True, 4, 4), candidates[1]]
    decided = decider.fast(own)
    assert decided is not None and decided.action == "per_target", "this host's proven remedy first"


def test_a_quarantined_remedy_is_not_proven_and_needs_an_approval() -> None:
    fleet = view(by_signature={SIG: {"cleanup": Tally(5, 5, 3)}}, quarantined={("cleanup", "process:web"): 2})
    (candidate,) = fleet.annotate(SIG, "process:web", None, cands("cleanup"))
    assert candidate.fleet_proven is False
    gate = enforcer(settings())
    gate.fleet = fleet
    held = gate.admit(Proposal("act", "cleanup", "rule", "why"), "process:web", gate.configs["cleanup"], NOW)
    assert isinstance(held, NeedsApproval) and "quarantined fleet-wide" in held.reason
    approved = Proposal("act", "cleanup", "rule", "why", approval=7)
    assert isinstance(gate.admit(approved, "process:web", gate.configs["cleanup"], NOW), Admitted)
    other = enforcer(settings())
    other.fleet = fleet
    elsewhere = other.admit(
        Proposal("act", "cleanup", "rule", "why"), "process:api", other.configs["cleanup"], NOW
    )
    assert isinstance(elsewhere, Admitted), "only that remedy on that target"
