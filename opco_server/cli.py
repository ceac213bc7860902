"""The `opco-server` command: run the sandbox, print identities, manage editors and keys,
generate dossiers in bulk."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Sequence

from opco_server.config import Settings
from opco_server.http import admin


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opco-server",
        description="OPCO Sandbox : serveur de test de la norme API CFA/OPCO, côté OPCO.",
    )
    parser.add_argument(
        "--database",
        help="URL SQLAlchemy (défaut : OPCO_DATABASE_URL ou "
        "le fichier SQLite data/opco-sandbox.sqlite3)",
    )
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="migrer, initialiser les données de démo, servir")
    run.add_argument("--host", default=os.environ.get("OPCO_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("OPCO_PORT", "8000")))
    run.add_argument("--workers", type=int, default=1, help="processus (PostgreSQL conseillé)")
    run.add_argument(
        "--ouvert",
        action="store_true",
        help="écouter sur une adresse non locale SANS jeton d'administration (OPCO_ADMIN_TOKEN) : "
        "l'API de pilotage et la console sont alors ouvertes à tout le réseau",
    )
    run.add_argument(
        "--log-level",
        default=os.environ.get("OPCO_UVICORN_LOG_LEVEL", "info"),
        choices=["critical", "error", "warning", "info", "debug"],
        help="niveau du journal d'accès uvicorn (défaut : info)",
    )
    run.add_argument("--database", dest="database_run", help=argparse.SUPPRESS)
    run.set_defaults(func=_run)

    ident = sub.add_parser("identities", help="les identités de démonstration")
    ident.add_argument("--json", action="store_true", help="sortie JSON")
    ident.set_defaults(func=_identities)

    editors = sub.add_parser("editors", help="identifiants OAuth2 des éditeurs")
    editors_sub = editors.add_subparsers(dest="action", required=True)
    create_editor = editors_sub.add_parser(
        "create", help="créer un éditeur (secret affiché une fois)"
    )
    create_editor.add_argument("--name", default="Éditeur", help="nom de l'éditeur")
    create_editor.add_argument("--client-id", help="identifiant client (généré sinon)")
    create_editor.set_defaults(func=_create_editor)

    keys = sub.add_parser("keys", help="clés API des CFA")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create_key = keys_sub.add_parser(
        "create", help="générer la clé d'un CFA (remplace la précédente)"
    )
    create_key.add_argument("--opco", required=True, help="identifiant de l'OPCO (akto, atlas…)")
    create_key.add_argument("--siren", required=True, help="SIREN du CFA (9 chiffres)")
    create_key.add_argument("--days", type=int, help="durée de validité en jours (défaut : l'OPCO)")
    create_key.set_defaults(func=_create_key)

    seed = sub.add_parser(
        "seed", help="générer en masse des dossiers réalistes pour un CFA (tests de charge)"
    )
    seed.add_argument("--dossiers", type=int, required=True, help="nombre de dossiers (N ≥ 1)")
    seed.add_argument("--opco", default="akto", help="OPCO destinataire (défaut : akto)")
    seed.add_argument("--cfa", help="SIREN du CFA (défaut : le premier CFA de démonstration)")
    seed.add_argument(
        "--progress",
        action="store_true",
        help="barre de progression même quand la sortie d'erreur n'est pas un terminal",
    )
    seed.add_argument("--database", dest="database_run", help=argparse.SUPPRESS)
    seed.set_defaults(func=_seed)

    check = sub.add_parser("check", help="vérifier un Cerfa JSON hors ligne (les deux moments)")
    check.add_argument("fichier", help='fichier JSON : {"cerfa": {...}} ou le Cerfa seul')
    check.add_argument("--opco", default="akto", help="OPCO destinataire (défaut : akto)")
    check.add_argument("--date", help="date d'évaluation AAAA-MM-JJ (défaut : aujourd'hui)")
    check.add_argument("--json", action="store_true", help="sortie JSON")
    check.set_defaults(func=_check)
    exemple = sub.add_parser(
        "exemple",
        help="un corps de requête valide à la date du bac à sable (contrat, convention, facture)",
        description="Affiche un corps JSON valide à la date donnée : le contrat de démonstration "
        "daté de ce jour (un apprenti différent à chaque appel), la partie JSON d'une convention "
        "(pour --dossier, sinon numéro à remplir) ou d'une facture de la première échéance "
        "ouverte d'un dossier engagé (--dossier obligatoire).",
    )
    exemple.add_argument("type", choices=["contrat", "convention", "facture"])
    exemple.add_argument(
        "--date", help="date de réception AAAA-MM-JJ (défaut : la date de l'horloge du bac à sable)"
    )
    exemple.add_argument("--opco", default="akto", help="OPCO destinataire (défaut : akto)")
    exemple.add_argument("--dossier", help="numeroInterne du dossier (convention, facture)")
    exemple.set_defaults(func=_exemple)
    return parser


def _exemple(args: argparse.Namespace) -> int:
    from datetime import date

    from opco_server.services import exemples

    try:
        jour = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        print(f"Date invalide : {args.date} (attendu : AAAA-MM-JJ).", file=sys.stderr)
        return 2
    if args.type == "facture" and not args.dossier:
        print("Une facture porte sur un dossier engagé : précisez --dossier.", file=sys.stderr)
        return 2
    sandbox = _sandbox(args)
    try:
        if jour is None:  # the sandbox clock's day (moved by the control API, persisted)
            sandbox.etat.synchroniser()
            jour = sandbox.horloge.aujourdhui()
        if args.type == "contrat":
            body = exemples.contrat(sandbox, jour, args.opco)
        elif args.type == "convention":
            body = exemples.convention(sandbox, jour, args.opco, args.dossier)
        else:
            body = exemples.facture(sandbox, jour, args.opco, args.dossier)
    except exemples.ErreurExemple as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        sandbox.fermer()
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0


def _check(args: argparse.Namespace) -> int:
    from datetime import date
    from pathlib import Path

    from opco_server.outils import checker

    try:
        jour = date.fromisoformat(args.date) if args.date else date.today()
        body = checker.lire(Path(args.fichier))
    except (ValueError, OSError) as exc:
        print(f"Entrée invalide : {exc}", file=sys.stderr)
        return 2
    try:
        verdict = checker.verifier(body, args.opco.lower(), jour)
    except KeyError:
        print(f"OPCO inconnu : {args.opco}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2))
    else:
        print(checker.tableau(verdict))
    return 1 if verdict.bloquant else 0


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    url = getattr(args, "database_run", None) or args.database
    return Settings.from_env(database_url=url, **overrides)


def _sandbox(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from opco_server.donnees.seed import preparer_base
    from opco_server.sandbox import Sandbox

    sandbox = Sandbox(_settings(args))
    preparer_base(sandbox)
    return sandbox


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from opco_server.app import create_app

    settings = _settings(args)
    if not admin.is_loopback(args.host) and settings.admin_token is None and not args.ouvert:
        print(
            f"Refus de démarrer : écouter sur « {args.host} » exposerait l'API de pilotage et la "
            "console à tout le réseau sans jeton d'administration.\n"
            "Définissez OPCO_ADMIN_TOKEN (recommandé pour une sandbox partagée), écoutez sur "
            "127.0.0.1, ou ajoutez --ouvert si c'est voulu.",
            file=sys.stderr,
        )
        return 2
    print(f"OPCO Sandbox — base : {_redact(settings.database_url)}", file=sys.stderr)
    print(
        f"OPCO servis sur http://{args.host}:{args.port}/<opco> "
        f"(ex. http://{args.host}:{args.port}/akto/ui/)",
        file=sys.stderr,
    )
    # X-Forwarded-* are believed only from the proxies the operator names (create_app).
    options = dict(
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=False,
        **_uvicorn_bounds(settings),
    )
    if args.workers > 1:
        # Migrate and seed once here; the workers then only open the database.
        _sandbox(args).fermer()
        os.environ["OPCO_DATABASE_URL"] = settings.database_url
        os.environ["OPCO_MIGRATE"] = "0"
        os.environ["OPCO_SEED_DEMO"] = "0"
        # One console secret for all the workers (a form served by one is posted to another).
        os.environ.setdefault("OPCO_SECRET_CONSOLE", secrets.token_urlsafe(32))
        uvicorn.run("opco_server.app:create_app", factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def _uvicorn_bounds(settings: Settings) -> dict[str, object]:
    """uvicorn options bounding slow clients and concurrency (issue 11 §6a).

    The protocol class reads its deadlines from the OPCO_DELAI_* environment variables in each
    process (workers included), as Settings.from_env did here.
    """
    from opco_server.http.delais import BoundedHTTPProtocol

    return {"http": BoundedHTTPProtocol, "limit_concurrency": settings.concurrence_max}


def _identities(args: argparse.Namespace) -> int:
    from opco_server.donnees.seed import identities
    from opco_server.sandbox import Sandbox

    data = identities(Sandbox(_settings(args, migrate=False, seed_demo=False)))
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(
        f"Éditeur : client_id={data['editeur']['client_id']} "
        f"client_secret={data['editeur']['client_secret']}"
    )
    for cfa in data["cfas"]:
        sirets = ", ".join(f"{e['siret']} (UAI {e['uai']})" for e in cfa["etablissements"])
        print(f"\nCFA {cfa['denomination']} — SIREN {cfa['siren']} — établissements : {sirets}")
        for opco, key in cfa["cles"].items():
            print(f"  {opco:<13} X-API-KEY: {key}")
    return 0


def _create_editor(args: argparse.Namespace) -> int:
    from opco_server.services import identites

    sandbox = _sandbox(args)
    with sandbox.session() as session:
        editeur, secret = identites.creer_editeur(
            session, sandbox.horloge, args.name, args.client_id
        )
        session.commit()
    print(json.dumps({"client_id": editeur.client_id, "client_secret": secret}, ensure_ascii=False))
    print("Conservez ce secret : il ne sera plus affiché.", file=sys.stderr)
    return 0


def _create_key(args: argparse.Namespace) -> int:
    from opco_server.errors import NormError
    from opco_server.services import identites

    sandbox = _sandbox(args)
    opco = sandbox.opcos.get(args.opco.lower())
    if opco is None:
        print(
            f"OPCO inconnu : {args.opco} (connus : {', '.join(sandbox.opcos.ids)})", file=sys.stderr
        )
        return 2
    with sandbox.session() as session:
        try:
            cle, valeur = identites.generer_cle(
                session, sandbox.horloge, opco, args.siren, args.days
            )
        except NormError as exc:
            print(exc.items[0].description, file=sys.stderr)
            return 2
        session.commit()
    print(
        json.dumps(
            {
                "opco": opco.id,
                "siren": cle.siren,
                "cle": valeur,
                "dateFinValidite": cle.date_fin_validite.isoformat(),
            }
        )
    )
    print(
        "Conservez cette clé : elle ne sera plus affichée ; elle remplace la précédente.",
        file=sys.stderr,
    )
    return 0


def _seed(args: argparse.Namespace) -> int:
    from opco_server.outils import generation, plan

    if args.dossiers < 1:
        print(
            f"Le nombre de dossiers doit être au moins 1 (reçu : {args.dossiers}).", file=sys.stderr
        )
        return 2
    sandbox = _sandbox(args)
    barre = _Progression() if args.progress or sys.stderr.isatty() else None
    try:
        bilan = generation.generer(sandbox, args.dossiers, args.opco, args.cfa, progression=barre)
    except generation.ErreurGeneration as exc:
        if barre:
            barre.fin()
        print(str(exc), file=sys.stderr)
        return exc.code
    finally:
        sandbox.fermer()
    if barre:
        barre.fin()
    print(
        f"{_nombre(bilan.nombre)} dossiers générés chez {bilan.opco} pour le CFA {bilan.siren} "
        f"(rangs {_nombre(bilan.premier_rang)} à {_nombre(bilan.dernier_rang)}) en "
        f"{_duree(bilan.duree)} : {_nombre(bilan.nombre / bilan.duree)} dossiers/s, "
        f"{_nombre(bilan.lignes)} lignes ({_nombre(bilan.lignes / bilan.duree)} lignes/s)."
    )
    for etat in plan.ETATS:
        print(f"  {etat:<22}{_nombre(bilan.par_etat.get(etat, 0)):>12}")
    return 0


def _nombre(valeur: float) -> str:
    """1 234 567 (French thousands separator)."""
    return f"{round(valeur):,}".replace(",", "\u202f")


def _duree(secondes: float) -> str:
    if secondes < 60:
        return f"{secondes:.1f} s".replace(".", ",")
    minutes, secondes = divmod(round(secondes), 60)
    if minutes < 60:
        return f"{minutes} min {secondes:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class _Progression:
    """A progress bar on stderr: count, percentage, dossiers per second, time left."""

    def __init__(self) -> None:
        import time

        self._horloge = time.perf_counter
        self._debut = self._dernier = self._horloge()

    def __call__(self, fait: int, total: int) -> None:
        maintenant = self._horloge()
        if fait < total and maintenant - self._dernier < 0.2:
            return
        self._dernier = maintenant
        ecoule = max(maintenant - self._debut, 1e-9)
        debit = fait / ecoule
        reste = (total - fait) / debit if debit else 0
        largeur = 30
        plein = largeur * fait // total
        print(
            f"\r[{'#' * plein}{'.' * (largeur - plein)}] {_nombre(fait)}/{_nombre(total)} "
            f"{100 * fait / total:5.1f} % · ".replace(".", ",")
            + f"{_nombre(debit)} dossiers/s · reste {_duree(reste)}   ",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def fin(self) -> None:
        print(file=sys.stderr, flush=True)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
