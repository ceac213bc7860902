"""The shortcut of masquer_texte (short texts, texts without digit, "eyJ" or hex run) never lets
through what the five patterns would mask: property test against the patterns themselves."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opco_server import masquage


def _lent(texte: str) -> str:
    """masquer_texte as it was: every pattern, on every text."""
    texte = masquage.nettoyer(texte)
    texte = masquage._JWT.sub(lambda m: m[0][:4] + "…", texte)
    texte = masquage._HEX.sub(lambda m: m[0][:4] + "…", texte)
    texte = masquage._URLSAFE.sub("***", texte)
    return masquage.masquer_donnees(texte)


_MORCEAUX = st.sampled_from(
    [
        "2 84 05 75 056 123 45",
        "184057505612345",
        "FR7630004000010001234567830",
        "FR76 3000 4000 0100 0123 4567 830",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
        "a" * 40,
        "0123456789abcdef" * 3,
        "x" * 42 + "1",
        "rue",
        " ",
        "-",
    ]
)


@given(st.lists(st.one_of(_MORCEAUX, st.text(max_size=20)), max_size=6).map("".join))
def test_the_shortcut_masks_exactly_what_the_patterns_mask(texte):
    assert masquage.masquer_texte(texte) == _lent(texte)


@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30), _MORCEAUX),
        lambda enfants: (
            st.lists(enfants, max_size=4)
            | st.dictionaries(st.sampled_from(["nir", "iban", "nom", "clientSecret", "x"]), enfants)
        ),
        max_leaves=20,
    )
)
def test_masking_a_value_twice_with_repeated_keys_is_stable(valeur):
    une_fois = masquage.masquer([valeur, valeur])
    assert une_fois[0] == une_fois[1] == masquage.masquer(valeur)
