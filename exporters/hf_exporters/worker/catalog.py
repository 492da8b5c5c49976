"""Every model class the pinned transformers registers in its auto mappings, with task and modality.

Read from the ``*_MAPPING_NAMES`` tables, not by importing ~2000 classes, so listing takes a
second. A class in several tables (``BertForPreTraining`` is also the masked-LM head of some
types) lists every task; its first is the one it is filed under.
"""

from __future__ import annotations

from typing import Any

_VISION = ("image", "depth", "segmentation", "object-detection", "keypoint", "pose", "normal", "pointmap",
           "video", "mask-generation", "backbone", "matting", "table-recognition", "text-recognition")
_AUDIO = ("audio", "ctc", "speech", "rnnt", "tdt", "waveform", "spectrogram")
_MULTIMODAL = ("image-text", "visual-question", "document-question", "multimodal", "retrieval", "zero-shot")
_TIME_SERIES = ("time-series",)
GENERATIVE_TASKS = {"causal-lm", "seq-to-seq-causal-lm", "speech-seq-2-seq", "image-text-to-text", "multimodal-lm",
                    "causal-image-modeling", "text-to-waveform", "text-to-spectrogram"}


def _task_name(table: str) -> str:
    if table == "MODEL_MAPPING_NAMES":
        return "base"
    return table.removeprefix("MODEL_FOR_").removesuffix("_MAPPING_NAMES").lower().replace("_", "-")


def task_modality(task: str) -> str | None:
    for modality, keys in (("multimodal", _MULTIMODAL), ("time-series", _TIME_SERIES), ("audio", _AUDIO), ("vision", _VISION)):
        if any(key in task for key in keys):
            return modality
    return None if task == "base" else "text"


def _own_model_type(class_name: str, model_types: list[str]) -> str:
    """Several types may share a class (gpt-sw3 uses GPT2LMHeadModel); the class's own type is the
    one its name starts with, else the first listed."""
    squashed = class_name.lower()
    matches = [t for t in model_types if squashed.startswith(t.replace("_", "").replace("-", ""))]
    return max(matches, key=len) if matches else model_types[0]


def list_model_classes() -> list[dict[str, Any]]:
    from transformers.models.auto import modeling_auto

    by_class: dict[str, dict[str, Any]] = {}
    type_modalities: dict[str, list[str]] = {}
    for table in sorted(name for name in dir(modeling_auto) if name.startswith("MODEL") and name.endswith("_MAPPING_NAMES")):
        mapping = getattr(modeling_auto, table)
        if not isinstance(mapping, dict):
            continue
        task = _task_name(table)
        for model_type, names in mapping.items():
            for name in names if isinstance(names, (tuple, list)) else (names,):
                entry = by_class.setdefault(name, {"class": name, "model_types": [], "tasks": []})
                if task not in entry["tasks"]:
                    entry["tasks"].append(task)
                if model_type not in entry["model_types"]:
                    entry["model_types"].append(model_type)
                if task_modality(task):
                    type_modalities.setdefault(model_type, []).append(task_modality(task))
    entries = []
    for name, entry in sorted(by_class.items()):
        entry["model_type"] = _own_model_type(name, entry["model_types"])
        tasks = sorted(entry["tasks"], key=lambda t: (t == "base", t))  # file base models under their real task last
        modality = next((task_modality(t) for t in tasks if task_modality(t)), None)
        if modality is None:  # a bare base model: the modality its type's heads have
            kinds = type_modalities.get(entry["model_type"], [])
            modality = max(set(kinds), key=kinds.count) if kinds else "text"
        entries.append({
            **entry,
            "tasks": tasks,
            "task": tasks[0],
            "modality": modality,
            "generative": any(t in GENERATIVE_TASKS for t in tasks),
        })
    return entries
