"""LoRA export: llama.cpp's GGUF names, shapes and metadata (read back with the gguf library), and the PEFT form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent.llm import DEFAULT_ADAPTER
from training.export import (export_gguf_adapter, export_peft_adapter, gguf_tensor_name, peft_dir_for, peft_key,
                             read_gguf_adapter)

gguf = pytest.importorskip("gguf", reason="gguf is part of the `train` extra")


def test_names_follow_llama_cpp() -> None:
    assert gguf_tensor_name("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight") == "blk.3.attn_q.weight.lora_a"
    assert gguf_tensor_name("base_model.model.model.layers.17.mlp.down_proj.lora_B.weight") == "blk.17.ffn_down.weight.lora_b"
    with pytest.raises(ValueError):
        gguf_tensor_name("base_model.model.lm_head.lora_A.weight")


def test_adapter_file_reads_back(tmp_path) -> None:
    rng = np.random.default_rng(0)
    state = {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": rng.normal(size=(8, 640)),
             "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": rng.normal(size=(1024, 8))}
    path = export_gguf_adapter(state, tmp_path / "a.gguf", alpha=16.0)
    reader = gguf.GGUFReader(str(path))
    fields = {name: field for name, field in reader.fields.items()}
    assert bytes(fields["general.type"].parts[-1]).decode() == "adapter"
    assert bytes(fields["adapter.type"].parts[-1]).decode() == "lora"
    assert float(fields["adapter.lora.alpha"].parts[-1][0]) == 16.0
    tensors = {t.name: t for t in reader.tensors}
    # GGUF lists dimensions innermost first: lora_a is [in, rank], lora_b is [rank, out], as llama.cpp checks.
    assert list(tensors["blk.0.attn_q.weight.lora_a"].shape) == [640, 8]
    assert list(tensors["blk.0.attn_q.weight.lora_b"].shape) == [8, 1024]
    restored = np.asarray(tensors["blk.0.attn_q.weight.lora_b"].data, dtype=np.float32).reshape(1024, 8)
    assert np.allclose(restored, state["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"], atol=1e-2)


def test_peft_names_are_the_inverse_of_the_gguf_names() -> None:
    key = "base_model.model.model.layers.17.mlp.down_proj.lora_B.weight"
    assert peft_key(gguf_tensor_name(key)) == key
    with pytest.raises(ValueError):
        peft_key("blk.0.attn_norm.weight")


def test_gguf_adapter_reads_back_as_the_same_peft_tensors(tmp_path) -> None:
    safetensors = pytest.importorskip("safetensors.numpy", reason="safetensors is part of the test extra")
    rng = np.random.default_rng(1)
    state = {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": rng.normal(size=(8, 640)),
             "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": rng.normal(size=(1024, 8)),
             "base_model.model.model.layers.1.mlp.up_proj.lora_A.weight": rng.normal(size=(8, 640)),
             "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight": rng.normal(size=(2048, 8))}
    read, alpha = read_gguf_adapter(export_gguf_adapter(state, tmp_path / "a.gguf", alpha=16.0))
    assert alpha == 16.0 and set(read) == set(state)
    for key, value in state.items():
        assert read[key].shape == value.shape and np.allclose(read[key], value, atol=1e-2), key

    out = export_peft_adapter(read, tmp_path / "a-peft", alpha=alpha, base_model="google/gemma-3-270m")
    config = json.loads((out / "adapter_config.json").read_text())
    assert (config["peft_type"], config["r"], config["lora_alpha"]) == ("LORA", 8, 16.0)
    assert config["target_modules"] == ["q_proj", "up_proj"]
    saved = safetensors.load_file(str(out / "adapter_model.safetensors"))
    assert set(saved) == set(state) and all(np.array_equal(saved[k], read[k].astype(np.float16)) for k in saved)


def test_the_committed_peft_adapter_holds_the_committed_gguf_weights() -> None:
    safetensors = pytest.importorskip("safetensors.numpy", reason="safetensors is part of the test extra")
    peft_dir = peft_dir_for(DEFAULT_ADAPTER)
    gguf_state, alpha = read_gguf_adapter(DEFAULT_ADAPTER)
    saved = safetensors.load_file(str(peft_dir / "adapter_model.safetensors"))
    config = json.loads((peft_dir / "adapter_config.json").read_text())
    assert config["lora_alpha"] == alpha and set(saved) == set(gguf_state)
    assert all(np.array_equal(saved[key], gguf_state[key]) for key in saved), "rerun `python -m training.export`"
