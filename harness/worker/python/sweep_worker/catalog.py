"""Every model class the pinned transformers registers in its auto mappings, with task and modality.

Read from the ``*_MAPPING_NAMES`` tables, not by importing ~2000 classes, so listing takes a
second. A class in several tables (``BertForPreTraining`` is also the masked-LM head of some
types) lists every task; its first is the one it is filed under.

Tasks are named as transformers' pipelines name them (``text-generation``, ``fill-mask``,
``feature-extraction``), the vocabulary users know from ``pipeline(task)`` and the Hub, not after
the mapping tables; a table no pipeline serves keeps its table name. Modality and the generative flag
are read from the table names, which are finer (CTC and speech-seq-2-seq share one pipeline task).
"""

from __future__ import annotations

from typing import Any

_VISION = ("image", "depth", "segmentation", "object-detection", "keypoint", "pose", "normal", "pointmap",
           "video", "mask-generation", "backbone", "matting", "table-recognition", "text-recognition")
_AUDIO = ("audio", "ctc", "speech", "rnnt", "tdt", "waveform", "spectrogram")
_MULTIMODAL = ("image-text", "visual-question", "document-question", "multimodal", "retrieval", "zero-shot")
_TIME_SERIES = ("time-series",)
GENERATIVE_TABLES = {"causal-lm", "seq-to-seq-causal-lm", "speech-seq-2-seq", "image-text-to-text", "multimodal-lm",
                     "causal-image-modeling", "text-to-waveform", "text-to-spectrogram"}
PIPELINE_TASKS = {
    "base": "feature-extraction", "text-encoding": "feature-extraction", "image": "image-feature-extraction",
    "causal-lm": "text-generation", "masked-lm": "fill-mask", "seq-to-seq-causal-lm": "text2text-generation",
    "sequence-classification": "text-classification", "ctc": "automatic-speech-recognition",
    "speech-seq-2-seq": "automatic-speech-recognition", "tdt": "automatic-speech-recognition",
    "rnnt": "automatic-speech-recognition", "text-to-waveform": "text-to-audio", "text-to-spectrogram": "text-to-audio",
    "semantic-segmentation": "image-segmentation", "instance-segmentation": "image-segmentation",
    "universal-segmentation": "image-segmentation", "multimodal-lm": "any-to-any",
    "time-series-prediction": "time-series-forecasting",
}
# A class in several tables is filed under its most specific task: a generation head before the
# fill-mask or pretraining head the same class also serves (BartForConditionalGeneration is in the
# masked-LM table too), a bare encoder's feature-extraction last.
_FILED_LAST = ("fill-mask", "pretraining", "next-sentence-prediction", "feature-extraction", "image-feature-extraction")


def _task_name(table: str) -> str:
    if table == "MODEL_MAPPING_NAMES":
        return "base"
    return table.removeprefix("MODEL_FOR_").removesuffix("_MAPPING_NAMES").lower().replace("_", "-")


def pipeline_task(table_task: str) -> str:
    return PIPELINE_TASKS.get(table_task, table_task)


def _filing_order(task: str, generative: set[str], modality: str | None) -> tuple[int, bool, str]:
    # any-to-any last among the generative: a VLM is filed as image-text-to-text, what it is used for;
    # a vision backbone's features are image-feature-extraction, as its pipeline and the Hub say
    later = task == "any-to-any" or (task == "feature-extraction" and modality == "vision")
    return (0 if task in generative else 2 if task in _FILED_LAST else 1, later, task)


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
        tables = sorted(entry["tasks"], key=lambda t: (t == "base", t))  # file base models under their real task last
        modality = next((task_modality(t) for t in tables if task_modality(t)), None)
        generative_tasks = {pipeline_task(t) for t in tables if t in GENERATIVE_TABLES}
        tasks = sorted({pipeline_task(t) for t in tables}, key=lambda t: _filing_order(t, generative_tasks, modality))
        if modality is None:  # a bare base model: the modality its type's heads have
            kinds = type_modalities.get(entry["model_type"], [])
            modality = max(set(kinds), key=kinds.count) if kinds else "text"
        entries.append({
            **entry,
            "tasks": tasks,
            "task": tasks[0],
            "modality": modality,
            "generative": bool(generative_tasks),
        })
    return entries
