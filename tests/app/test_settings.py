"""The settings tree: the documented variable names reach the parts' options, and nothing else reads them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.settings import VARIABLES, load_settings, markdown_table
from voice.asr import AsrOptions

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app", "agent", "tools", "shop", "voice")


def test_readme_table_is_the_settings_table() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "README's configuration table is stale: python -m app.settings --markdown"


def test_every_variable_is_a_field_of_the_tree() -> None:
    tree = load_settings({})
    for variable in VARIABLES:
        for name, (section, field_name) in variable.pairs():
            assert hasattr(getattr(tree, section), field_name), name


def _reads_the_environment(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "os" \
                and any(alias.name in ("environ", "getenv") for alias in node.names):
            lines.append(node.lineno)
    return lines


def test_only_app_settings_reads_the_environment() -> None:
    readers = {str(path.relative_to(ROOT)): lines for part in PRODUCT for path in (ROOT / part).rglob("*.py")
               if (lines := _reads_the_environment(path))}
    assert readers == {"app/settings.py": readers.get("app/settings.py", [])} and readers, readers


def test_variables_reach_each_part(tmp_path: Path) -> None:
    settings = load_settings({
        "VOICESHOP_DATA_DIR": str(tmp_path), "CHROMA_URL": "http://chroma:8000", "WARM_INDEXES": "0",
        "VOICESHOP_EMBED_THREADS": "2", "VOICESHOP_RECOMMEND_REFIT_S": "0", "VOICESHOP_HELPCENTER_DIR": "/faq",
        "VOICESHOP_ASR_MODEL": "/models/whisper-small-ct2", "VOICESHOP_ASR_THREADS": "2",
        "VOICESHOP_ASR_LANGUAGE": "auto", "VOICESHOP_ASR_VAD": "off", "VOICESHOP_ASR_BEAM_SIZE": "1",
        "VOICESHOP_ASR_PROMPT_FILE": "/etc/voiceshop/asr_prompt.txt", "LLM_TIMEOUT": "2.5", "REPLY_MODE": "llm",
    })
    assert settings.asr == AsrOptions(model="/models/whisper-small-ct2", cpu_threads=2, language=None, vad=False,
                                      beam_size=1, prompt_file=Path("/etc/voiceshop/asr_prompt.txt"))
    assert settings.app.data_dir == tmp_path and settings.app.warm_indexes is False
    assert (settings.llm.llm_timeout_s, settings.agent.reply_mode) == (2.5, "llm")
    assert settings.search.chroma_url == settings.help_center.chroma_url == "http://chroma:8000"
    assert settings.encoder.intra_op_threads == 2 and settings.recommender.refit_interval_s == 0
    assert settings.help_center.helpcenter_dir == Path("/faq")


def test_every_data_path_follows_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"VOICESHOP_DATA_DIR": str(tmp_path)})
    assert settings.recommender.embedding_cache == tmp_path / "recommend-embeddings.npz"
    assert settings.search.chroma_path == settings.help_center.chroma_path == tmp_path / "chroma"
    assert settings.app.shop_database_url == f"sqlite:///{tmp_path / 'shop.db'}"


def test_defaults_are_stated_once() -> None:
    settings = load_settings({})
    assert settings.app.warm_indexes is True, "WARM_INDEXES is on unless turned off"
    assert settings.asr.cpu_threads == settings.llm.llm_threads, "ASR shares the LLM's thread plan by default"
    assert load_settings({"VOICESHOP_ASR_THREADS": "1", "LLM_THREADS": "2"}).asr.cpu_threads == 1
    assert load_settings({"WARM_INDEXES": ""}).app.warm_indexes is True, "an empty value counts as unset"


@pytest.mark.parametrize(("variable", "value"), [
    ("VOICESHOP_ASR_BACKEND", "vosk"), ("VOICESHOP_ASR_VAD", "maybe"), ("LLM_CONTEXT", "lots"),
    ("LLM_TIMEOUT", "0"), ("UNDERSTAND_MODE", "guess"), ("VOICESHOP_RECOMMEND_REFIT_S", "soon"),
])
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        load_settings({variable: value})


def test_the_app_hands_each_part_its_section(tmp_path: Path) -> None:
    from app.main import create_app
    from shop.recsys.service import get_recommender
    from shop.vectors import EncoderOptions, configure_encoder, get_encoder

    settings = load_settings({"VOICESHOP_DATA_DIR": str(tmp_path), "VOICESHOP_RECOMMEND_REFIT_S": "0",
                              "VOICESHOP_EMBED_THREADS": "2", "VOICESHOP_ASR_BEAM_SIZE": "3"})
    app = create_app(settings)
    try:
        recommender = get_recommender(app.state.database.engine)
        assert recommender.options.embedding_cache == tmp_path / "recommend-embeddings.npz", "not ./var"
        assert recommender.options.refit_interval_s == 0
        assert app.state.transcriber.options.beam_size == 3
        assert get_encoder().options.intra_op_threads == 2
    finally:
        configure_encoder(EncoderOptions())
        app.state.database.engine.dispose()


def test_each_part_has_its_own_section_and_flat_names_reach_them(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path, llm_slots=2, reply_mode="llm", demo_login=False)
    assert (settings.app.data_dir, settings.llm.llm_slots) == (tmp_path, 2)
    assert (settings.agent.reply_mode, settings.sign_in.demo_login) == ("llm", False)
    changed = settings.replace(llm_slots=3, shop_url="http://shop")
    assert (changed.llm.llm_slots, changed.app.shop_url, settings.llm.llm_slots) == (3, "http://shop", 2)
    with pytest.raises(TypeError, match="no section"):
        load_settings({}, no_such_setting=1)
