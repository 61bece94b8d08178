"""GGUF LoRA export: llama.cpp's tensor names, shapes and adapter metadata (read back with the gguf library)."""

from __future__ import annotations

import numpy as np
import pytest

from training.export import export_gguf_adapter, gguf_tensor_name

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
