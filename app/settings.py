"""The app's settings: one tree, read from the environment here and nowhere else.

Each part declares its own typed options with their defaults (``agent.config.LlmOptions``, ``voice.asr.AsrOptions``,
``shop.search.dense.DenseIndexOptions``, ...); :class:`Settings` composes them into one pydantic-settings tree,
and :data:`VARIABLES` maps the documented flat environment names onto its fields, each documented once.
Every part then receives its section through its constructor.

``python -m app.settings --markdown`` prints README's configuration table; a test keeps the two in step.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agent.config import AgentOptions, LlmOptions
from shop.db import sqlite_url
from shop.helpcenter.store import HELPCENTER_DIR, FaqStoreOptions
from shop.recsys.service import RecommenderOptions
from shop.search.dense import DenseIndexOptions
from shop.vectors import EncoderOptions
from voice.asr import AsrOptions


@dataclass
class AppOptions:
    """Where the app keeps its data and which shop it serves."""

    data_dir: Path = Path("var")  # VOICESHOP_DATA_DIR: SQLite files, conversation checkpoints, Chroma, model
    database_url: str | None = None  # DATABASE_URL: the reference shop's database (default SQLite in data_dir)
    shop_url: str | None = None  # SHOP_URL: an external shop API; default: the reference shop in-process
    # CHECKPOINT_URL: where conversations live between turns: default conversations.db in data_dir; a
    # postgresql:// URL shares them between API replicas (agent/checkpoints.py, docs/deployment.md)
    checkpoint_url: str | None = None
    # WARM_INDEXES: at start, in the background, embed the catalog for hybrid search (about a minute for 2,000
    # products on 2 cores; search stays lexical until then) and fit the recommender, then refit it on a schedule.
    warm_indexes: bool = True
    # LOG_FORMAT: "text" (a terminal) or "json" (one object a line with the turn id, for a log collector)
    log_format: Literal["text", "json"] = "text"
    # VOICESHOP_CATALOG_REFRESH_S: seconds between looks at the shop's catalog words (an unchanged catalog costs a
    # 304); a new import reaches the ASR prompt, name correction and the grammar within this long; 0: read once
    catalog_refresh_s: float = 30.0

    def __post_init__(self) -> None:
        if self.log_format not in ("text", "json"):
            raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {self.log_format!r}")
        if not self.catalog_refresh_s >= 0:  # also refuses NaN
            raise ValueError(f"VOICESHOP_CATALOG_REFRESH_S must be 0 or more seconds, not {self.catalog_refresh_s}")

    @property
    def shop_database_url(self) -> str:
        """The reference shop's database: ``DATABASE_URL``, else SQLite in the data directory."""
        return self.database_url or sqlite_url(self.data_dir)


@dataclass
class SignInOptions:
    """How customers and owners sign in (shop/auth.py turns these into its ``AuthOptions``)."""

    demo_login: bool = True  # DEMO_LOGIN: "demo" signs in without a password; 0 turns that off
    session_ttl_s: float = 12 * 3600  # SESSION_TTL: seconds a session lasts from sign-in
    login_rate_limit: str = "5/minute"  # LOGIN_RATE_LIMIT: failed sign-ins per client address and login
    # SHOP_JWT_KEY: the key that checks tokens a shop signs for its customers (POST /api/session/jwt): an HS256
    # secret of 32+ bytes or a PEM public key (RS256/ES256); unset: no such sign-in. SHOP_JWT_ISSUER and
    # SHOP_JWT_AUDIENCE: the iss and aud those tokens must carry (unchecked when unset).
    shop_jwt_key: str | None = None
    shop_jwt_issuer: str | None = None
    shop_jwt_audience: str | None = None
    owner_password: str | None = None  # OWNER_PASSWORD: the seeded owner's (default: random, printed at seed)


@dataclass(frozen=True)
class Variable:
    """One environment variable: the tree fields it sets and what it means (README's table row)."""

    names: tuple[str, ...]
    paths: tuple[tuple[str, str], ...]  # (section, field) pairs; one name may feed several sections
    default: str
    meaning: str

    def pairs(self) -> list[tuple[str, tuple[str, str]]]:
        """(name, path) pairs: one name per path, or a single name feeding every path."""
        names = self.names * len(self.paths) if len(self.names) == 1 else self.names
        return list(zip(names, self.paths, strict=True))


def _one(name: str, section: str, field_name: str, default: str, meaning: str) -> Variable:
    return Variable((name,), ((section, field_name),), default, meaning)


_ASR = {"BACKEND": "backend", "MODEL": "model", "LANGUAGE": "language", "COMPUTE_TYPE": "compute_type",
        "THREADS": "cpu_threads", "BEAM_SIZE": "beam_size", "VAD": "vad", "DOMAIN_PROMPT": "domain_prompt",
        "PROMPT_FILE": "prompt_file", "CORRECT_NAMES": "correct_names"}

VARIABLES: tuple[Variable, ...] = (
    Variable(("LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"),
             (("llm", "llm_base_url"), ("llm", "llm_model"), ("llm", "llm_api_key")),
             "embedded llama.cpp", "any OpenAI-compatible server, e.g. vLLM"),
    _one("LLM_FINETUNED", "llm", "llm_finetuned", "`0`",
         "`1`: the server runs the bundled model with the committed adapter (vLLM, "
         "[docs/deployment.md](docs/deployment.md)); asked in the compact mode it was trained on"),
    Variable(("MODEL_PATH", "LORA_PATH"), (("llm", "model_path"), ("llm", "lora_path")),
             "bundled Gemma 3 270M", "another GGUF for the embedded engine / a GGUF LoRA adapter"),
    _one("LLM_TIMEOUT", "llm", "llm_timeout_s", "`4`",
         "seconds one model request may take; a timeout or connection error is retried once, then the turn "
         "answers \"Sorry, I can't think right now…\" with `error` set (so at most about twice this per turn)"),
    _one("LLM_THREADS", "llm", "llm_threads", "all usable cores",
         "engine threads (Whisper and the LLM take turns on the cores)"),
    _one("LLM_SLOTS", "llm", "llm_slots", "`4`",
         "conversations the embedded engine serves at once (llama.cpp parallel slots, continuous batching)"),
    _one("LLM_QUEUE_TIMEOUT", "llm", "llm_queue_timeout_s", "`30`",
         "seconds a request may wait for a free slot of the embedded engine before `LLM_TIMEOUT` starts counting"),
    _one("LLM_CONTEXT", "llm", "context_tokens", "`2048`", "context window of the embedded engine, in tokens"),
    _one("MAX_TOOL_STEPS", "agent", "max_tool_steps", "1 embedded, 3 remote", "tools one customer turn may chain"),
    Variable(("UNDERSTAND_MODE", "UNDERSTAND_FEW_SHOT"),
             (("agent", "understand_mode"), ("agent", "understand_few_shot")),
             "compact when embedded or `LLM_FINETUNED`, else instruct / 4 without an adapter, 0 with one",
             "how actions are asked for ([docs/understanding.md](docs/understanding.md))"),
    _one("REPLY_MODE", "agent", "reply_mode", "`template`",
         "`llm` lets a capable model phrase replies from the tool results"),
    _one("CONSENT_MODEL", "agent", "consent_model", "`0`",
         "`1`: the model reads answers to a read-back that the consent rules do not know; its yes counts only "
         "where the rules see no no, hedge, question or request ([docs/confirmation.md](docs/confirmation.md))"),
    _one("DATABASE_URL", "app", "database_url", "`sqlite:///var/shop.db`",
         "the reference shop's database (`postgresql+psycopg://…` with the `postgres` extra)"),
    _one("SHOP_URL", "app", "shop_url", "in-process reference shop",
         "point the tools at another shop implementing [docs/shop-api.md](docs/shop-api.md)"),
    _one("WARM_INDEXES", "app", "warm_indexes", "`1`",
         "at start, in the background: embed the catalog for hybrid search, fit the recommender and refit it "
         "on a schedule"),
    _one("CHECKPOINT_URL", "app", "checkpoint_url", "`var/conversations.db` (SQLite)",
         "where conversations live between turns; `postgresql://…` (the `postgres` extra) shares them between "
         "API replicas ([docs/deployment.md](docs/deployment.md))"),
    Variable(("CHROMA_URL",), (("search", "chroma_url"), ("help_center", "chroma_url")),
             "persistent client in `var/chroma`", "a Chroma server for the product vectors and the help center"),
    _one("VOICESHOP_EMBED_THREADS", "encoder", "intra_op_threads", "`1`",
         "threads of the text encoder (search and help-center embeddings)"),
    _one("VOICESHOP_RECOMMEND_REFIT_S", "recommender", "refit_interval_s", "`600`",
         "seconds between scheduled recommender refit checks; 0 turns the schedule off"),
    _one("VOICESHOP_HELPCENTER_DIR", "help_center", "helpcenter_dir",
         "`helpcenter` in the data dir once `voiceshop import help` made it, else `shop/helpcenter` (the demo's)",
         "the help-center articles indexed at start and followed while running"),
    Variable(tuple(f"VOICESHOP_ASR_{suffix}" for suffix in _ASR), tuple(("asr", name) for name in _ASR.values()),
             "tiny.en int8, VAD, beam 5",
             "Whisper model path/size, backend, prompt; see [docs/voice.md](docs/voice.md)"),
    _one("VOICESHOP_CATALOG_REFRESH_S", "app", "catalog_refresh_s", "`30`",
         "seconds between looks at the shop's catalog words (brands, categories, option values) for the ASR "
         "prompt, name correction and grammar; a new import is picked up within this long; `0` reads them once"),
    _one("VOICESHOP_DATA_DIR", "app", "data_dir", "`var`", "conversations, shop database, Chroma, assembled model"),
    _one("DEMO_LOGIN", "sign_in", "demo_login", "`1`",
         "the seeded `demo` customer signs in without a password; `0` turns that off (then `demo` too needs one)"),
    _one("SESSION_TTL", "sign_in", "session_ttl_s", "`43200` (12 h)",
         "seconds a session lasts from sign-in (it ends earlier at logout or a password change)"),
    _one("LOGIN_RATE_LIMIT", "sign_in", "login_rate_limit", "`5/minute`",
         "failed sign-ins per client address and login before 429; counted per process, so each replica allows "
         "this much"),
    _one("OWNER_PASSWORD", "sign_in", "owner_password", "random, printed once by the seeder",
         "password of the seeded owner account `owner`"),
    _one("SHOP_JWT_KEY", "sign_in", "shop_jwt_key", "off",
         "sign-in with a JWT your shop signs (`POST /api/session/jwt`): an HS256 secret of 32+ bytes or a PEM "
         "public key (RS256, ES256)"),
    Variable(("SHOP_JWT_ISSUER", "SHOP_JWT_AUDIENCE"),
             (("sign_in", "shop_jwt_issuer"), ("sign_in", "shop_jwt_audience")),
             "not checked", "the `iss` / `aud` such tokens must carry"),
    _one("LOG_FORMAT", "app", "log_format", "`text`",
         "`text` for a terminal; `json` (one object a line, with `turn_id`, for a log collector) in production"),
)


def _variable_of(section: str, field_name: str) -> str | None:
    for variable in VARIABLES:
        for name, path in variable.pairs():
            if path == (section, field_name):
                return name
    return None


class _FlatEnvironment(PydanticBaseSettingsSource):
    """The documented flat variable names, placed on the tree's nested fields; empty values count as unset."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole tree at once

    def __call__(self) -> dict[str, Any]:
        tree: dict[str, dict[str, Any]] = {}
        for variable in VARIABLES:
            for name, (section, field_name) in variable.pairs():
                raw = self.environ.get(name, "").strip()
                if raw:
                    tree.setdefault(section, {})[field_name] = raw
        return tree


class Settings(BaseSettings):
    """How the whole app runs: one section per part, each the part's own options."""

    model_config = SettingsConfigDict(arbitrary_types_allowed=True, extra="forbid")

    app: AppOptions = field(default_factory=AppOptions)
    llm: LlmOptions = field(default_factory=LlmOptions)
    agent: AgentOptions = field(default_factory=AgentOptions)
    sign_in: SignInOptions = field(default_factory=SignInOptions)
    asr: AsrOptions = field(default_factory=AsrOptions)
    encoder: EncoderOptions = field(default_factory=EncoderOptions)
    search: DenseIndexOptions = field(default_factory=DenseIndexOptions)
    recommender: RecommenderOptions = field(default_factory=RecommenderOptions)
    help_center: FaqStoreOptions = field(default_factory=FaqStoreOptions)

    environ: ClassVar[Mapping[str, str]] = os.environ  # the one place the environment is read

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **_: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _FlatEnvironment(settings_cls, cls.environ)

    @model_validator(mode="before")
    @classmethod
    def _share_the_thread_plan(cls, values: Any) -> Any:
        # Whisper and llama.cpp take turns on the cores (one lock), so ASR may use the LLM's threads.
        if isinstance(values, dict):
            asr = values.get("asr") or {}
            if isinstance(asr, dict) and "cpu_threads" not in asr:
                llm = values.get("llm") or {}
                threads = llm.llm_threads if isinstance(llm, LlmOptions) else llm.get("llm_threads")
                if not str(threads).strip().isdigit():  # unset, or a bad LLM_THREADS reported on its own
                    threads = LlmOptions().llm_threads
                values["asr"] = {**asr, "cpu_threads": threads}
        return values

    @model_validator(mode="after")
    def _follow_the_data_dir(self) -> Settings:
        # Every data path follows the data dir unless set on its own: an eval run's own data dir holds it all.
        data_dir = self.app.data_dir
        chroma = data_dir / "chroma"
        if self.search.chroma_path is None:
            self.search = dataclasses.replace(self.search, chroma_path=chroma)
        if self.help_center.chroma_path is None:
            self.help_center = dataclasses.replace(self.help_center, chroma_path=chroma)
        if self.help_center.helpcenter_dir == HELPCENTER_DIR and self.own_helpcenter_dir.is_dir():
            self.help_center = dataclasses.replace(self.help_center, helpcenter_dir=self.own_helpcenter_dir)
        if self.recommender.embedding_cache is None:
            self.recommender = dataclasses.replace(self.recommender,
                                                   embedding_cache=data_dir / "recommend-embeddings.npz")
        return self


    @property
    def own_helpcenter_dir(self) -> Path:
        """Where ``voiceshop import help`` writes unless VOICESHOP_HELPCENTER_DIR says: the shop's own folder in
        its data dir, never the demo's shipped one in the source tree (which the shop reads until this exists)."""
        return self.help_center.helpcenter_dir if self.help_center.helpcenter_dir != HELPCENTER_DIR \
            else self.app.data_dir / "helpcenter"

    def replace(self, **fields: Any) -> Settings:
        """A copy with some fields changed, named flat as in :func:`load_settings`."""
        sections = {name: dataclasses.replace(getattr(self, name), **values)
                    for name, values in _by_section(fields).items()}
        return self.model_copy(update=sections)


def _section_of(field_name: str) -> str:
    for name, info in Settings.model_fields.items():
        if dataclasses.is_dataclass(info.annotation) and field_name in {f.name for f in dataclasses.fields(info.annotation)}:
            return name
    raise TypeError(f"no section of the settings has a field {field_name!r}")


def _by_section(fields: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {}
    for field_name, value in fields.items():
        sections.setdefault(_section_of(field_name), {})[field_name] = value
    return sections


def load_settings(environ: Mapping[str, str] | None = None, **fields: Any) -> Settings:
    """The tree from the environment (``environ``, default ``os.environ``), ``fields`` on top.

    ``fields`` are named flat (``data_dir=``, ``llm_transport=``: field names are unique across sections),
    for tests and eval trials. A bad value raises ``ValueError`` naming the variable that holds it."""
    source = os.environ if environ is None else environ
    tree = type("_Settings", (Settings,), {"environ": source})
    try:
        return tree(**_by_section(fields))
    except ValidationError as exc:
        raise ValueError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        location = tuple(str(part) for part in error["loc"])
        name = _variable_of(*location[:2]) if len(location) >= 2 else None
        where = name or ".".join(location) or "settings"
        lines.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return "invalid settings:\n  " + "\n  ".join(lines)


def markdown_table() -> str:
    """README's configuration table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for variable in VARIABLES:
        if variable.names[0].startswith("VOICESHOP_ASR_"):
            names = "`VOICESHOP_ASR_*`"
        else:
            names = (" / " if variable.names[0] in ("MODEL_PATH", "UNDERSTAND_MODE") else ", ").join(
                f"`{name}`" for name in variable.names)
        rows.append(f"| {names} | {variable.default} | {variable.meaning} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.settings", description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true",
                        help="print README's configuration table (default: the settings the environment gives)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table(), end="")
    else:
        settings = load_settings()
        if settings.llm.llm_api_key:  # the tree is for reading over; the key stays off the screen
            settings = settings.replace(llm_api_key="***")
        print(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
