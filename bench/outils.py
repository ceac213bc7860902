"""Shared tools of the benchmarks: a real `opco-server run` process, its identity, its memory.

Everything here talks to the server over loopback HTTP (stdlib only), exactly as a vendor's
client would; nothing reaches into the server's process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from opco_server.services.fichiers import pdf_exemple

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "demo-editeur"
CLIENT_SECRET = "demo-secret-a-ne-pas-utiliser-en-production"
SIREN_CFA1 = "912345675"
ENTETES_LOGICIEL = {"EDITEUR": "Bench", "LOGICIEL": "opco-bench", "VERSION": "1.0.0"}


def cle_demo(opco: str, siren: str = SIREN_CFA1) -> str:
    """The demo CFA key (same derivation as opco_server.donnees.seed.demo_key, kept stdlib-only)."""
    import hashlib

    return hashlib.sha256(f"opco-sandbox-demo:{opco}:{siren}".encode()).hexdigest()[:40]


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requete(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def jeton(base: str) -> str:
    """An editor access token from {base}/connect/token (client credentials)."""
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ).encode()
    status, body = requete(
        "POST",
        f"{base}/connect/token",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise RuntimeError(f"jeton refusé ({status}) : {body[:200]!r}")
    return json.loads(body)["access_token"]


def entetes_norme(token: str, opco: str = "akto", siren: str = SIREN_CFA1) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "X-API-KEY": cle_demo(opco, siren),
        **ENTETES_LOGICIEL,
    }


def contrat_exemple() -> dict:
    return json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))


def contrat_pour(nom: str, prenom: str | None = None) -> dict:
    """The demo contract for another apprentice (a distinct contract: no DOSSIER_DUPLICATE)."""
    body = contrat_exemple()
    body["cerfa"]["apprenti"]["nom"] = nom
    if prenom is not None:
        body["cerfa"]["apprenti"]["prenom"] = prenom
    return body


def envoyer_json(
    method: str, url: str, data: object, headers: dict[str, str] | None = None
) -> tuple[int, object]:
    """A JSON request; the answer parsed (None when the body is empty or not JSON)."""
    body = json.dumps(data).encode() if data is not None else None
    status, raw = requete(
        method, url, body, {"Content-Type": "application/json", **(headers or {})}
    )
    return status, _json_ou_none(raw)


def lire_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, object]:
    status, raw = requete("GET", url, headers=headers)
    return status, _json_ou_none(raw)


def _json_ou_none(raw: bytes) -> object:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


PDF_MINIMAL = pdf_exemple("OPCO Sandbox bench")  # uploads are parsed: a real one-page PDF


def multipart(json_parts: dict[str, object], fichier: tuple[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body: JSON parts plus one PDF part named `fichier`."""
    boundary = "opco-bench-" + os.urandom(8).hex()
    chunks: list[bytes] = []
    for name, value in json_parts.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
            f"Content-Type: application/json\r\n\r\n".encode()
            + json.dumps(value).encode()
            + b"\r\n"
        )
    nom, contenu = fichier
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="{nom}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + contenu
        + b"\r\n"
    )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def envoyer_multipart(
    url: str, json_parts: dict[str, object], fichier: tuple[str, bytes], headers: dict[str, str]
) -> tuple[int, object]:
    body, content_type = multipart(json_parts, fichier)
    status, raw = requete("POST", url, body, {**headers, "Content-Type": content_type})
    return status, _json_ou_none(raw)


def facture_pour(dossier: dict, numero: str, date_emission: str, echeance: int = 1) -> dict:
    """An invoice of what is left to bill on one échéance of a dossier (GET /v2/dossiers)."""
    from decimal import Decimal

    e = next(x for x in dossier["echeances"] if x["numero"] == echeance)
    montant = (
        Decimal(str(e["montantTotal"]))
        - Decimal(str(e["montantRegle"]))
        - Decimal(str(e["montantEnCoursInstruction"]))
    )
    return {
        "numero": numero,
        "dateEmission": date_emission,
        "ibanEmetteur": e["iban"],
        "siretEmetteur": dossier["cerfa"]["organismeFormation"]["siret"],
        "estCertificatRealisation": False,
        "lignes": [
            {
                "montant": float(montant),
                "natureLigne": "PEDAGOGIE",
                "quantite": 1,
                "numeroEcheance": echeance,
                "codificationEcheance": e["codification"],
                "numeroDeca": dossier["cerfa"]["numeroDeca"],
                "numeroDossier": dossier["cerfa"]["numeroExterne"],
            }
        ],
        "montantTotal": float(montant),
    }


def nom_unique(n: int) -> str:
    """A distinct valid apprentice surname per integer (letters only: A…Z in base 26)."""
    lettres = ""
    n += 26**3  # at least four letters
    while n:
        n, r = divmod(n, 26)
        lettres = chr(65 + r) + lettres
    return "BENCH" + lettres


def rss_arbre(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants (workers included)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending += [int(c) for c in children]
    return total


@dataclass
class Serveur:
    process: subprocess.Popen
    base_url: str  # http://127.0.0.1:<port>
    demarrage_s: float  # spawn → first 200 on /akto/v1/status

    def url(self, opco: str = "akto") -> str:
        return f"{self.base_url}/{opco}"

    def rss(self) -> int:
        return rss_arbre(self.process.pid)

    def tuer(self) -> None:
        """SIGKILL the whole process group (uvicorn's workers too): a crash, no clean-up."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def arreter(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.tuer()


def attendre_statut(base: str, deadline: float) -> float:
    """Poll until GET {base}/akto/v1/status answers 200 (token taken as soon as possible)."""
    token = None
    while time.perf_counter() < deadline:
        try:
            if token is None:
                token = jeton(f"{base}/akto")
            status, _ = requete("GET", f"{base}/akto/v1/status", headers=entetes_norme(token))
            if status == 200:
                return time.perf_counter()
        except (OSError, RuntimeError):
            pass
        time.sleep(0.005)
    raise TimeoutError(f"le serveur {base} n'a pas répondu 200 à temps")


@contextmanager
def serveur(
    database_url: str,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    journal: Path | None = None,
    timeout: float = 60,
) -> Iterator[Serveur]:
    """Start `opco-server run` in its own process group and stop it on exit."""
    port = port_libre()
    env = {**os.environ, "OPCO_LOG_LEVEL": "WARNING", **(extra_env or {})}
    out = open(journal, "ab") if journal else subprocess.DEVNULL  # noqa: SIM115
    cmd = [sys.executable, "-m", "opco_server", "run", "--port", str(port)]
    cmd += ["--database", database_url, "--workers", str(workers), "--log-level", "warning"]
    start = time.perf_counter()
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    srv = Serveur(process, base, 0.0)
    try:
        srv.demarrage_s = attendre_statut(base, start + timeout) - start
        yield srv
    finally:
        srv.arreter()
        if journal:
            out.close()


INSTANT_BENCH = "2026-11-23T09:00:00+00:00"  # the demo contract passes every rule on this day


def figer_horloge(srv: Serveur, instant: str = INSTANT_BENCH) -> None:
    """Freeze the sandbox clock (control API): every worker reads it from the database."""
    status, body = envoyer_json(
        "POST", f"{srv.base_url}/_sandbox/horloge/figer", {"instant": instant}
    )
    if status != 200:
        raise RuntimeError(f"horloge non figée ({status}) : {body}")


class ClientNorme:
    """A CFA's client of one OPCO of a running server, as a vendor writes it (stdlib only)."""

    def __init__(self, srv: Serveur, opco: str = "akto", siren: str = SIREN_CFA1) -> None:
        self.base = srv.url(opco)
        self.pilotage = f"{srv.base_url}/_sandbox/opcos/{opco}"
        self.entetes = entetes_norme(jeton(self.base), opco, siren)

    def transmettre(self, body: dict) -> tuple[int, object]:
        return envoyer_json("POST", f"{self.base}/v1/dossiers", body, self.entetes)

    def dossier(self, numero_interne: str) -> tuple[int, object]:
        query = urllib.parse.urlencode({"numeroInterne": numero_interne})
        return lire_json(f"{self.base}/v2/dossiers?{query}", self.entetes)

    def dossiers(self, numeros: list[str]) -> list[dict]:
        """Details of many dossiers, 100 per GET /v1/dossiers/liste (unknown ones omitted)."""
        found: list[dict] = []
        for i in range(0, len(numeros), 100):
            query = urllib.parse.urlencode({"numerosInternes": ",".join(numeros[i : i + 100])})
            status, body = lire_json(f"{self.base}/v1/dossiers/liste?{query}", self.entetes)
            if status != 200 or not isinstance(body, list):
                raise RuntimeError(f"liste des dossiers : {status} {body}")
            found += body
        return found

    def engager(self, numero_interne: str) -> tuple[int, object]:
        """Instruct and decide now (control API): a SANDBOX-ENGAGE dossier becomes ENGAGE."""
        url = f"{self.pilotage}/dossiers/{numero_interne}/instruction"
        return envoyer_json("POST", url, None)

    def deposer_facture(self, facture: dict) -> tuple[int, object]:
        fichier = (f"{facture['numero']}.pdf", PDF_MINIMAL)
        return envoyer_multipart(
            f"{self.base}/v1/factures", {"facture": facture}, fichier, self.entetes
        )

    def _pages(self, path: str, cle: str) -> tuple[list[dict], int]:
        items: list[dict] = []
        total, page = 0, 1
        while True:
            status, body = lire_json(f"{self.base}{path}?numeroPage={page}", self.entetes)
            if status != 200 or not isinstance(body, dict):
                raise RuntimeError(f"{path} page {page} : {status} {body}")
            total = body["total"]
            if not body[cle]:
                return items, total
            items += body[cle]
            page += 1

    def etats_dossiers(self) -> tuple[list[dict], int]:
        """Every item of the v2 états pages, in rank order, and the announced total."""
        return self._pages("/v2/dossiers/etats", "EtatDossierResult")

    def etats_factures(self) -> tuple[list[dict], int]:
        return self._pages("/v2/factures/etats", "factures")
