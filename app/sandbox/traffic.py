"""Realistic customer traffic for the sandbox (French and English).

In-process::

    gen = TrafficGenerator(store)
    threading.Thread(target=gen.run, kwargs={"rate": 2, "count": 50}).start()
    gen.stop()

Over HTTP (a sandbox served elsewhere)::

    python -m app.sandbox.traffic --url http://127.0.0.1:5000/sandbox --rate 2 --count 50
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import urllib.request
from typing import Any, Protocol

from app.sandbox.store import SandboxStore

CUSTOMERS: list[tuple[str, str, int]] = [
    ("julie_mrtn", "Julie Martin", 312),
    ("tomlefevre", "Thomas Lefèvre", 1280),
    ("nadia.b", "Nadia Benali", 87),
    ("kev_dupont", "Kévin Dupont", 45),
    ("sophie_vend_pro", "Sophie – Brocante Pro", 5400),
    ("marc_h", "Marc Henry", 230),
    ("emma_w", "Emma Wilson", 640),
    ("jbrown_uk", "James Brown", 19),
    ("lea_vintage", "Léa Vintage Shop", 12800),
    ("p_garcia", "Pablo Garcia", 158),
    ("chloe.r", "Chloé Roux", 3),
    ("mike_t", "Mike Turner", 2210),
]

# (language, category, text). Placeholders: {order} {phone} {amount} {days}.
MESSAGES: list[tuple[str, str, str]] = [
    ("fr", "delivery", "Commande {order} toujours pas livrée après {days} jours… vous pouvez "
                       "m'expliquer ? 😡"),
    ("fr", "delivery", "Bjr, colis annoncé livré mais rien ds ma boîte aux lettres. Cmd {order}"),
    ("fr", "security", "Mon compte a été piraté !! Qqn a changé mon mail et mon mdp, aidez-moi "
                       "svp c urgent 🙏"),
    ("fr", "fraud", "Un acheteur me demande de payer via un lien bizarre pour « valider la "
                    "vente », c'est une arnaque ?"),
    ("fr", "fraud", "J'ai reçu un SMS soi-disant de chez vous avec un lien, c'est du phishing ? "
                    "Mon num c'est le {phone}"),
    ("fr", "dispute", "Remboursement refusé « selon les conditions générales de vente » alors "
                      "que l'article est cassé. Inadmissible."),
    ("fr", "listing", "Mon annonce a été refusée par la modération sans explication, je vends "
                      "juste un vélo 🚲"),
    ("fr", "payment", "Paiement bloqué depuis {days} jours, {amount} € en attente, je fais "
                      "comment pour payer mon loyer ?"),
    ("fr", "praise", "Merci à l'équipe pour la réponse rapide hier, problème réglé 👍👍"),
    ("fr", "technical", "L'appli plante dès que j'ouvre mes messages depuis la mise à jour 📱"),
    ("fr", "dispute", "Vendeur injoignable, article jamais reçu. Vous pouvez intervenir ? "
                      "commande {order}"),
    ("en", "delivery", "Order {order} still not delivered after {days} days. Any update?? 😤"),
    ("en", "security", "My account got hacked, someone is selling stuff in my name. Pls help "
                       "ASAP!!"),
    ("en", "fraud", "Buyer asked me to confirm payment on a weird site that looks like yours. "
                    "Scam right?"),
    ("en", "dispute", "Refund refused 'under the terms of sale' but the item was not as "
                      "described. Seriously?"),
    ("en", "listing", "Why was my listing rejected by moderation? It's just a vintage lamp 🤷"),
    ("en", "payment", "Payment blocked, {amount} EUR stuck for {days} days. Call me on "
                      "{phone}"),
    ("en", "praise", "Shoutout to the care team, sorted my issue in 10 min 🙌"),
    ("en", "technical", "Can't log in on the app, keeps saying 'unknown error' 🙄"),
    ("en", "other", "Do you ship to Belgium? Thx"),
]

# Weighted mix of what customers do.
ACTIONS: list[tuple[str, str, int]] = [
    ("x", "mention", 40),
    ("x", "reply", 10),
    ("x", "dm", 12),
    ("facebook", "comment", 28),
    ("facebook", "message", 10),
]


class Sink(Protocol):
    """Where generated traffic goes."""

    def post(self, event: dict[str, Any]) -> dict[str, Any]:
        """Publish one customer event."""
        ...

    def recent_tweets(self) -> list[str]:
        """Return ids of recent tweets a customer could reply to."""
        ...


class StoreSink:
    """Writes straight into a SandboxStore (same process)."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    def post(self, event: dict[str, Any]) -> dict[str, Any]:
        """Publish one customer event through the store."""
        return self.store.customer_post(**event)

    def recent_tweets(self) -> list[str]:
        """Return the ids of the 20 latest tweets."""
        rows = self.store.query("SELECT id FROM posts WHERE network='x' AND kind='tweet' "
                                "ORDER BY seq DESC LIMIT 20")
        return [r["id"] for r in rows]


class HttpSink:
    """Posts to a sandbox over HTTP (``{url}/_api/posts``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read().decode() or "null")

    def post(self, event: dict[str, Any]) -> dict[str, Any]:
        """Publish one customer event over HTTP."""
        posted: dict[str, Any] = self._request("POST", "/_api/posts", event)
        return posted

    def recent_tweets(self) -> list[str]:
        """Return the ids of recent tweets from the sandbox's JSON timeline."""
        rows = self._request("GET", "/_api/timeline?network=x&kind=tweet&limit=20")
        return [r["id"] for r in rows]


class TrafficGenerator:
    """Generates customer posts at ``rate`` per second for a bounded count or duration."""

    def __init__(self, sink: SandboxStore | Sink | str, *, seed: int | None = None) -> None:
        if isinstance(sink, SandboxStore):
            sink = StoreSink(sink)
        elif isinstance(sink, str):
            sink = HttpSink(sink)
        self.sink: Sink = sink
        self.random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.errors = 0
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        """True while a background run started with ``start`` is going on."""
        return self._thread is not None and self._thread.is_alive()

    def make_event(self) -> dict[str, Any]:
        """Return one random customer event (arguments of ``customer_post``)."""
        rnd = self.random
        network, kind, _ = rnd.choices(ACTIONS, weights=[a[2] for a in ACTIONS])[0]
        handle, name, followers = rnd.choice(CUSTOMERS)
        _lang, _category, template = rnd.choice(MESSAGES)
        text = template.format(
            order=f"{rnd.choice(['CMD', 'FR', '#'])}{rnd.randint(1000000, 9999999)}",
            phone=rnd.choice(["06 12 34 56 78", "+33 7 81 22 90 14", "07 55 43 21 09"]),
            amount=rnd.choice([35, 89, 120, 249, 560]),
            days=rnd.randint(3, 21),
        )
        event: dict[str, Any] = {"network": network, "kind": kind, "handle": handle,
                                 "name": name, "followers": followers, "text": text}
        if kind == "reply":
            recent = self.sink.recent_tweets()
            if recent:
                event["in_reply_to"] = rnd.choice(recent)
            else:
                event["kind"] = "mention"
        return event

    def emit(self) -> dict[str, Any]:
        """Publish one random event and return what the sandbox stored."""
        return self.sink.post(self.make_event())

    def run(self, rate: float = 1.0, count: int | None = None,
            duration: float | None = None) -> int:
        """Publish events until ``count`` are sent or ``duration`` seconds pass; return count.

        Blocking; call ``stop()`` from another thread to end early.
        """
        if rate <= 0:
            raise ValueError("rate must be > 0")
        if count is None and duration is None:
            raise ValueError("give a count or a duration: traffic must be bounded")
        self._stop.clear()
        interval = 1.0 / rate
        deadline = time.monotonic() + duration if duration is not None else None
        sent = 0
        while not self._stop.is_set():
            if count is not None and sent >= count:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            try:
                self.emit()
                sent += 1
                self.sent += 1
            except Exception as exc:  # keep generating: one failed post is not fatal
                self.errors += 1
                self.last_error = str(exc)
            # Waiting on the event lets stop() interrupt the pause at once.
            self._stop.wait(interval)
        return sent

    def start(self, rate: float = 1.0, count: int | None = None,
              duration: float | None = None) -> threading.Thread:
        """Run in a daemon thread (stopping a previous run first)."""
        self.stop()
        thread = threading.Thread(target=self.run, args=(rate, count, duration),
                                  name="sandbox-traffic", daemon=True)
        self._thread = thread
        thread.start()
        return thread

    def stop(self, timeout: float = 5.0) -> None:
        """Ask a running generator to stop and wait for it."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: generate traffic against a sandbox URL."""
    parser = argparse.ArgumentParser(description="Post customer traffic to a sandbox.")
    parser.add_argument("--url", required=True, help="sandbox root, e.g. http://host/sandbox")
    parser.add_argument("--rate", type=float, default=1.0, help="posts per second")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    count = args.count if args.count is not None or args.duration is not None else 50
    generator = TrafficGenerator(args.url, seed=args.seed)
    sent = generator.run(rate=args.rate, count=count, duration=args.duration)
    print(f"sent {sent} posts ({generator.errors} errors)")
    return 0 if generator.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
