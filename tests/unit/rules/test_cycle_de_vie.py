"""The lifecycle table: legal edges only, terminal states stay terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from rules.cycle_de_vie import (
    TERMINAUX,
    TRANSITIONS,
    Etat,
    Evenement,
    TransitionInterdite,
    evenement_vers,
    evenements_possibles,
    prochain_etat,
)


def test_happy_path():
    etat = Etat.TRANSMIS
    for ev in (Evenement.INSTRUIRE, Evenement.ENGAGER, Evenement.ROMPRE, Evenement.SOLDER):
        etat = prochain_etat(etat, ev)
    assert etat == Etat.SOLDE


@pytest.mark.parametrize(
    ("etat", "evenement"),
    [
        (Etat.TRANSMIS, Evenement.ENGAGER),
        (Etat.REFUSE, Evenement.INSTRUIRE),
        (Etat.SOLDE, Evenement.ROMPRE),
        (Etat.RUPTURE, Evenement.ENGAGER),
    ],
)
def test_illegal_transitions_are_refused(etat, evenement):
    with pytest.raises(TransitionInterdite):
        prochain_etat(etat, evenement)


def test_terminal_states_have_no_way_out():
    assert all(not evenements_possibles(e) for e in TERMINAUX)
    assert all(source not in TERMINAUX for source, _ in TRANSITIONS)


def test_every_state_is_reachable_from_transmis():
    reachable = {Etat.TRANSMIS}
    frontier = [Etat.TRANSMIS]
    while frontier:
        etat = frontier.pop()
        for ev in evenements_possibles(etat):
            nxt = prochain_etat(etat, ev)
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(Etat)


@given(st.sampled_from(list(Etat)), st.sampled_from(list(Etat)))
def test_evenement_vers_agrees_with_the_table(source, cible):
    ev = evenement_vers(source, cible)
    if ev is None:
        assert all(TRANSITIONS.get((source, e)) != cible for e in Evenement)
    else:
        assert prochain_etat(source, ev) == cible


class Cycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.etat = Etat.TRANSMIS
        self.termine = False

    @rule(ev=st.sampled_from(list(Evenement)))
    def appliquer(self, ev):
        try:
            suivant = prochain_etat(self.etat, ev)
        except TransitionInterdite:
            return
        assert not self.termine, "a transition left a terminal state"
        self.etat = suivant
        self.termine = suivant in TERMINAUX

    @invariant()
    def terminal_is_sticky(self):
        if self.termine:
            assert self.etat in TERMINAUX


TestCycle = Cycle.TestCase
