"""Sample forward inputs built from a model's signature and config: the input recipes.

Seeded, so eager and every exported artifact see identical tensors. Batch and sequence default to 2
and 7: a size of 1 would make torch.export specialise that dimension (0/1 specialisation,
https://github.com/pytorch/pytorch/issues/151582) and hide dynamic-shape bugs. Each recipe also
says which dims may vary and within which range, for the dynamic-shape fuzzing.

The recipes are generic: by input name, config attribute, the forward's signature and docstring, and
task suffixes of the class name. What one architecture needs beyond them is its row's ``inputs`` in
harness/architectures/architectures.json (docs/architectures.md), read by ``_row_inputs``.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from transformers import PretrainedConfig

from .protocol import InputError

# name -> (dims that may vary as {index: [name, min, max]})
DynamicDims = dict[int, list[Any]]


def _sub(config: Any, *names: str) -> list[Any]:
    """The config and those of its sub-configs that exist, most specific first."""
    found = [getattr(config, name, None) for name in names]
    return [c for c in found if c is not None] + [config]


def _without_prenet(model: torch.nn.Module, part: str) -> bool:
    """SpeechT5's bare model, built without pre-nets, feeds its encoder or decoder hidden states."""
    return type(getattr(model, part, None)).__name__.endswith("WithoutPrenet")


def _nested(config: Any, attr: str) -> Any:
    """``attr`` of the config or of the nearest sub-config that has it, breadth first (PE Audio-Video
    keeps its codec's hop length three configs down)."""
    queue = [config]
    while queue:
        current = queue.pop(0)
        if getattr(current, attr, None) is not None:
            return getattr(current, attr)
        queue += [value for value in vars(current).values() if isinstance(value, PretrainedConfig)]
    return None


def _first(configs: list[Any], *attrs: str, default: Any = None) -> Any:
    for config in configs:
        for attr in attrs:
            value = getattr(config, attr, None)
            if value is not None:
                return value
    return default


@functools.cache
def _architecture_rows() -> dict[str, Any]:
    """The harness's architecture rows, found above this package (the worker is harness code)."""
    for folder in Path(__file__).resolve().parents:
        rows = folder / "harness" / "architectures" / "architectures.json"
        if rows.is_file():
            return json.loads(rows.read_text(encoding="utf-8"))["rows"]
    raise FileNotFoundError(f"no harness/architectures/architectures.json above {__file__}; run the worker from the repository")


def _row_inputs(config: Any) -> dict[str, Any]:
    """The input-recipe overrides of the row of ``config.model_type`` (empty without one)."""
    return _architecture_rows().get(getattr(config, "model_type", None), {}).get("inputs", {})


def forward_parameters(model: torch.nn.Module) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(model.forward).parameters)


class Recipe:
    def __init__(self, model: torch.nn.Module, batch: int, seq: int, seed: int, padding: str) -> None:
        self.model, self.config = model, model.config
        # a row's own cap (TVP: eager views its position embeddings with the batch size and fails above 1)
        self.max_batch = _row_inputs(self.config).get("maxBatch", 8)
        self.batch, self.seq, self.padding = min(batch, self.max_batch), seq, padding
        self.generator = torch.Generator().manual_seed(seed)
        self.dynamic: dict[str, DynamicDims] = {}
        self.placeholders = 0  # leading image and audio tokens in the text, which any valid sequence keeps

    def batch_dims(self) -> DynamicDims:
        return {0: ["batch", 1, self.max_batch]} if self.max_batch > 1 else {}

    def min_sequence(self) -> int:
        return _row_inputs(self.config).get("minSequence", 1)  # a row's own (RWKV: eager is wrong at 1)

    def text_dims(self) -> DynamicDims:
        return {**self.batch_dims(), 1: ["sequence", self.min_sequence() + self.placeholders, 64 + self.placeholders]}

    def vocab(self) -> int:
        text = getattr(self.config, "get_text_config", lambda **_: self.config)(decoder=True)
        # FastSpeech2 with its vocoder keeps the text model's config as model_config
        vocab = _first([text, *_sub(self.config, "model_config")], "vocab_size")
        if not vocab:
            raise InputError(f"{type(self.model).__name__} takes token ids but its config has no vocab_size; set it in config.json.")
        return vocab

    def token_ids(self, name: str, seq: int, vocab: int | None = None) -> torch.Tensor:
        self.dynamic[name] = {**self.batch_dims(), 1: ["sequence", self.min_sequence(), 64]}
        return torch.randint(0, vocab or self.vocab(), (self.batch, seq), generator=self.generator)

    def attention_mask(self) -> torch.Tensor:
        mask = torch.ones(self.batch, self.seq, dtype=torch.long)
        if self.padding in ("left", "right") and self.batch > 1 and self.seq > 1:
            pad = torch.randint(1, self.seq, (1,), generator=self.generator).item()
            row = mask[-1]
            row[:pad] = 0 if self.padding == "left" else 1
            if self.padding == "right":
                row[self.seq - pad:] = 0
        self.dynamic["attention_mask"] = self.text_dims()
        return mask

    def pixel_values(self, name: str = "pixel_values") -> torch.Tensor:
        configs = _sub(self.config, "vision_config", "backbone_config", "encoder")
        channels = _first(configs, "num_channels", "in_channels", "in_chans", default=3)
        size = _first(configs, "image_size", "img_size", "input_size", default=32)
        height, width = (size, size) if isinstance(size, int) else (size[-2], size[-1])
        height, width = _row_inputs(self.config).get("imageSize", (height, width))  # a row's own (PP-OCR text lines)
        self.dynamic[name] = self.batch_dims()
        frames = _first(configs, "num_frames", "frames_per_clip")
        if type(self.model).__name__.endswith("ForKeypointMatching"):
            frames = 2  # keypoint matchers take image pairs: (batch, 2, channels, height, width)
        frames = _row_inputs(self.config).get("imageFrames", frames)  # a row's own (EfficientLoFTR, Perceiver)
        if frames is not None or name == "pixel_values_videos":  # video models: (batch, frames, channels, height, width)
            return torch.randn(self.batch, frames or 4, channels, height, width, generator=self.generator)
        return torch.randn(self.batch, channels, height, width, generator=self.generator)

    def flattened_patches(self) -> torch.Tensor:
        """Images as Pix2Struct's image processor flattens them: ``(batch, max_patches, 2 + depth)``,
        each row a patch's 1-based row and column id and its ``patch * patch * channels`` values,
        padded with zero rows to max_patches (a processor setting, 2048 by default; 16 here, a 3x4
        grid of real patches). Only the batch may vary."""
        depth = _first([self.config, getattr(self.config, "vision_config", None)], "patch_embed_hidden_size", default=768)
        rows, columns, longest = 3, 4, 16
        ids = torch.stack(torch.meshgrid(torch.arange(rows), torch.arange(columns), indexing="ij"), -1).reshape(-1, 2) + 1
        patches = torch.zeros(self.batch, longest, 2 + depth)
        patches[:, : rows * columns, :2] = ids.float()
        patches[:, : rows * columns, 2:] = torch.randn(self.batch, rows * columns, depth, generator=self.generator)
        self.dynamic["flattened_patches"] = self.batch_dims()
        return patches

    def input_features(self) -> torch.Tensor:
        configs = _sub(self.config, "audio_config", "encoder", "encoder_config")
        bins = _first(configs, "num_mel_bins", "feature_size", "input_feat_per_channel", default=80)
        positions = _first(configs, "max_source_positions", default=None)
        frames = 2 * positions if positions else 64  # whisper-style encoders need exactly their window
        self.dynamic["input_features"] = self.batch_dims()
        stacked = _first(configs, "feature_projection_input_dim")  # w2v-BERT: frames stacked in pairs
        if stacked is not None:
            return torch.randn(self.batch, frames, stacked, generator=self.generator)
        conformer = _first(configs, "input_dim")  # Granite Speech: (batch, frames, input_dim), mel frames stacked in pairs
        if conformer is not None:
            return torch.randn(self.batch, frames, conformer, generator=self.generator)
        if _first(configs, "subsampling_conv_channels") is not None:  # conformers subsample (time, mel) as an image
            return torch.randn(self.batch, frames, bins, generator=self.generator)
        if _first(configs, "input_feat_per_channel") is not None:  # speech_to_text: (batch, frames, features)
            return torch.randn(self.batch, frames, bins * _first(configs, "input_channels", default=1), generator=self.generator)
        return torch.randn(self.batch, bins, frames, generator=self.generator)

    def windowed_features(self, whole: bool = False) -> dict[str, torch.Tensor]:
        """Mel features as Qwen3-ASR's processor gives them: the batch padded to its longest clip, a
        whole number of its encoder's ``2 * n_window`` frame chunks, and ``input_features_mask``
        marking each clip's real frames (the second clip 3/4 as long, so the mask pads, unless
        ``whole``). Only the batch may vary: the frame count must stay a multiple of the chunk."""
        configs = _sub(self.config, "audio_config", "encoder", "encoder_config")
        bins = _first(configs, "num_mel_bins", "feature_size", default=80)
        chunk = 2 * _first(configs, "n_window", default=50)
        frames = 2 * chunk
        lengths = torch.tensor([frames if i % 2 == 0 or whole else 3 * frames // 4 for i in range(self.batch)])
        mask = (torch.arange(frames)[None, :] < lengths[:, None]).long()
        features = torch.randn(self.batch, bins, frames, generator=self.generator) * mask[:, None, :]
        self.dynamic["input_features"] = self.dynamic["input_features_mask"] = self.batch_dims()
        return {"input_features": features, "input_features_mask": mask}

    def audio_mel(self) -> dict[str, torch.Tensor]:
        """Gemma 3n's feature extractor output as its model hands it to the audio encoder: time-major
        mel frames ``(batch, frames, input_feat_size)`` and ``audio_mel_mask``, the inverted
        ``input_features_mask`` (True on padding; the second clip 3/4 as long). Only the batch is
        declared dynamic."""
        bins = _first([self.config], "input_feat_size", "num_mel_bins", default=128)
        frames = 64
        lengths = torch.tensor([frames if i % 2 == 0 else 3 * frames // 4 for i in range(self.batch)])
        padding = torch.arange(frames)[None, :] >= lengths[:, None]
        mel = torch.randn(self.batch, frames, bins, generator=self.generator).masked_fill(padding[..., None], 0.0)
        self.dynamic["audio_mel"] = self.dynamic["audio_mel_mask"] = self.batch_dims()
        return {"audio_mel": mel, "audio_mel_mask": padding}

    def audio_clips(self, params: dict[str, inspect.Parameter]) -> dict[str, torch.Tensor]:
        """Clips for a language model's audio encoder, each whole, so every row's text takes as many
        audio placeholders. A mask of the feature frames goes with them where the forward documents one
        of shape ``(batch_size, feature_sequence_length)`` (Qwen2-Audio's ``feature_attention_mask``,
        Audio Flamingo 3's ``input_features_mask``); Granite Speech's mask of that name is over its
        projected features, and stays out. Only the batch may vary."""
        configs = _sub(self.config, "audio_config", "encoder", "encoder_config")
        windowed = "input_features" in params and _first(configs, "n_window") is not None  # Qwen3-ASR, Qwen-Omni
        if windowed:
            clips = self.windowed_features(whole=True)
            frames = clips.pop("input_features_mask")
            del self.dynamic["input_features_mask"]
        else:
            name = "input_features" if "input_features" in params else "input_values"
            clips = {name: getattr(self, name)()}
            self.dynamic[name] = self.batch_dims()
            frames = torch.ones(self.batch, clips[name].shape[-1], dtype=torch.long)
        doc = inspect.getdoc(self.model.forward) or ""
        for mask in ("input_features_mask", "feature_attention_mask"):
            if mask in params and (windowed or re.search(rf"{mask} \(`[^`]*` of shape `\(batch_size, feature_sequence_length\)", doc)):
                clips[mask] = frames
                self.dynamic[mask] = self.batch_dims()
        return clips

    def input_values(self) -> torch.Tensor:
        if _without_prenet(self.model, "encoder"):  # SpeechT5Model: its encoder takes hidden states, not a waveform
            self.dynamic["input_values"] = self.text_dims()
            return torch.randn(self.batch, self.seq, self.config.hidden_size, generator=self.generator)
        doc = inspect.getdoc(self.model.forward) or ""
        # codecs: (batch, channels, samples); Perception Encoder audio feeds a DAC codec's encoder too,
        # though its docstring says (batch_size, sequence_length)
        codec = any(type(module).__name__.endswith("DacEncoder") for module in self.model.modules())
        if codec or re.search(r"input_values \(`[^`]*` of shape `\(batch_size, (1|channels),", doc):
            # a few frames of the codec's hop: its strided convs need that many samples (PE Audio's hop is 1920)
            hop = _nested(self.config, "hop_length") or 0
            self.dynamic["input_values"] = {**self.batch_dims(), 2: ["samples", max(800, 2 * hop), max(16000, 8 * hop)]}
            channels = _first([self.config], "audio_channels", default=1)
            return torch.randn(self.batch, channels, max(1600, 4 * hop), generator=self.generator)
        if re.search(r"input_values \(`[^`]*` of shape `\(batch_size, max_length, num_mel_bins\)", doc):
            # spectrogram transformers (AST): mel frames padded to the feature extractor's max_length,
            # which the config repeats and sizes the position embeddings by, so only the batch varies
            self.dynamic["input_values"] = self.batch_dims()
            return torch.randn(self.batch, self.config.max_length, self.config.num_mel_bins, generator=self.generator)
        self.dynamic["input_values"] = {**self.batch_dims(), 1: ["samples", 800, 16000]}
        return torch.randn(self.batch, 1600, generator=self.generator)

    def past_values(self) -> torch.Tensor:
        """A history of ``context_length`` steps (plus the largest lag, which lagged models look back
        over), one column per input channel when there are several."""
        lags = getattr(self.config, "lags_sequence", None) or [0]
        self.steps = (getattr(self.config, "context_length", None) or 32) + max(lags)
        channels = _first([self.config], "num_input_channels", "input_size", default=1)
        self.dynamic["past_values"] = self.batch_dims()
        shape = (self.batch, self.steps) if channels == 1 and not hasattr(self.config, "num_input_channels") else (self.batch, self.steps, channels)
        return torch.randn(*shape, generator=self.generator)

    def time_series_extras(self, params: dict[str, inspect.Parameter], inputs: dict[str, torch.Tensor]) -> None:
        """The companions a forecaster requires: which steps were observed, their time features,
        padding and frequency ids (all steps real, frequency class 0)."""
        values = inputs["past_values"]
        required = {name for name, p in params.items() if p.default is inspect.Parameter.empty}
        if "past_observed_mask" in required:
            inputs["past_observed_mask"] = torch.ones_like(values)
        if "past_time_features" in required:
            features = getattr(self.config, "num_time_features", 0) or 0
            inputs["past_time_features"] = torch.randn(self.batch, self.steps, features, generator=self.generator)
        if "past_values_padding" in required:
            inputs["past_values_padding"] = torch.zeros(self.batch, self.steps)
        if "freq" in required:
            inputs["freq"] = torch.zeros(self.batch, 1, dtype=torch.long)
        for name in set(inputs) - {"past_values"}:
            self.dynamic[name] = self.batch_dims()

    def packed_patches(self, name: str, params: dict[str, inspect.Parameter]) -> dict[str, torch.Tensor]:
        """Images as a Qwen2-VL-style image processor packs them: every patch of every image in one
        ``(patches, channels * temporal_patch * patch * patch)`` tensor, with ``grid_thw`` giving each
        image's (frames, rows, columns) of patches. Two images of different grids, so the towers'
        per-image splits (attention windows, cu_seqlens, position interpolation) see more than one;
        the grids are whole multiples of the merge window, as the processor resizes to them.

        No dim is declared dynamic: the patch count is the sum of the grids' products, so neither it
        nor the image count can vary on its own, and the recipe's batch does not change them."""
        configs = _sub(self.config, "vision_config")
        patch = _first(configs, "patch_size", default=14)
        temporal = _first(configs, "temporal_patch_size", "patch_temporal", default=1)
        channels = _first(configs, "in_channels", "num_channels", default=3)
        merge = _first(configs, "spatial_merge_size", "merge_kernel_size", "merge_size", default=1)
        merge_h, merge_w = (merge, merge) if isinstance(merge, int) else merge
        grids = torch.tensor([[1, 2 * merge_h, 2 * merge_w], [1, 2 * merge_h, 3 * merge_w]])
        count = int(grids.prod(-1).sum())
        layout = _row_inputs(self.config).get("patchLayout", "flat")
        shape = (count, channels * temporal * patch * patch) if layout == "flat" else (count, channels, patch, patch)
        inputs = {name: torch.randn(*shape, generator=self.generator), "grid_thw": grids}
        if "merge_sizes" in params:  # VideoLLaMA3: each image's merge window, 1 for images in its processor
            inputs["merge_sizes"] = torch.ones(len(grids), dtype=torch.long)
        return inputs

    def padded_patches(self) -> dict[str, torch.Tensor]:
        """Images as SigLIP2's NaFlex processor gives them: each resized to its own grid of patches,
        flattened to ``(max_num_patches, patch * patch * channels)`` and padded, with
        ``pixel_attention_mask`` marking its real patches and ``spatial_shapes`` its (rows, columns).
        16 patches at most (a processor setting, 256 by default); grids of 3x4 and 2x2 patches, so one
        image is padded. Only the batch may vary: the grids fix the rest."""
        configs = _sub(self.config, "vision_config")
        patch = _first(configs, "patch_size", default=16)
        channels = _first(configs, "num_channels", default=3)
        longest = 16
        grids = [(3, 4), (2, 2)]
        shapes = torch.tensor([grids[i % len(grids)] for i in range(self.batch)])
        mask = (torch.arange(longest)[None, :] < shapes.prod(-1)[:, None]).to(torch.int32)
        values = torch.randn(self.batch, longest, patch * patch * channels, generator=self.generator) * mask[..., None]
        for name in ("pixel_values", "pixel_attention_mask", "spatial_shapes"):
            self.dynamic[name] = self.batch_dims()
        return {"pixel_values": values, "pixel_attention_mask": mask, "spatial_shapes": shapes}

    def positioned_patches(self) -> dict[str, torch.Tensor]:
        """Images as Gemma 4's image processor gives them: flattened patches padded to
        ``max_soft_tokens * pooling_kernel_size ** 2`` (70 soft tokens, the smallest it supports),
        with ``pixel_position_ids`` holding each real patch's (x, y) and (-1, -1) for padding. The
        grids (3x6 and 6x6 kernels' worth of patches) are whole multiples of the pooling kernel, as
        its resize makes them. Only the batch may vary."""
        configs = _sub(self.config, "vision_config")
        patch = _first(configs, "patch_size", default=16)
        kernel = _first(configs, "pooling_kernel_size", default=1)
        channels = _first(configs, "num_channels", default=3)
        longest = 70 * kernel * kernel
        grids = [(kernel, 2 * kernel), (2 * kernel, 2 * kernel)]  # (rows, columns)
        values = torch.zeros(self.batch, longest, patch * patch * channels)
        positions = torch.full((self.batch, longest, 2), -1, dtype=torch.long)
        for i in range(self.batch):
            rows, columns = grids[i % len(grids)]
            y, x = torch.meshgrid(torch.arange(rows), torch.arange(columns), indexing="ij")
            positions[i, : rows * columns] = torch.stack([x.flatten(), y.flatten()], -1)
            values[i, : rows * columns] = torch.rand(rows * columns, patch * patch * channels, generator=self.generator)
        self.dynamic["pixel_values"] = self.dynamic["pixel_position_ids"] = self.batch_dims()
        return {"pixel_values": values, "pixel_position_ids": positions}

    def image_tiles(self) -> dict[str, torch.Tensor]:
        """One image per example as Mllama's image processor tiles it: ``(batch, images, max_num_tiles,
        channels, size, size)``, the tiles past the image's own zero, its aspect ratio (rows, columns
        of tiles) as its 1-based index in ``supported_aspect_ratios`` and a mask of its real tiles.
        The examples take different aspect ratios, so the mask has padding. Only the batch may vary."""
        configs = _sub(self.config, "vision_config")
        size = _first(configs, "image_size", default=32)
        channels = _first(configs, "num_channels", default=3)
        ratios = _first(configs, "supported_aspect_ratios")
        tiles = _first(configs, "max_num_tiles", default=max(h * w for h, w in ratios))
        chosen = [ratios[1 % len(ratios)], ratios[-1]]  # e.g. 1x2 and 4x1 tiles of the 4 at most
        pixel_values = torch.zeros(self.batch, 1, tiles, channels, size, size)
        ids = torch.zeros(self.batch, 1, dtype=torch.long)
        mask = torch.zeros(self.batch, 1, tiles, dtype=torch.long)
        for i in range(self.batch):
            rows, columns = chosen[i % len(chosen)]
            used = rows * columns
            pixel_values[i, 0, :used] = torch.randn(used, channels, size, size, generator=self.generator)
            ids[i, 0] = ratios.index([rows, columns]) + 1  # 0 marks no image
            mask[i, 0, :used] = 1
        for name in ("pixel_values", "aspect_ratio_ids", "aspect_ratio_mask"):
            self.dynamic[name] = self.batch_dims()
        return {"pixel_values": pixel_values, "aspect_ratio_ids": ids, "aspect_ratio_mask": mask}

    def prompted_images(self) -> dict[str, torch.Tensor]:
        """SegGPT's in-context inputs as its image processor gives them: the image, a prompt image
        and the prompt's mask, each half the height of the config's image_size (the model stacks
        prompt over image). The mask is a binary segmentation painted black and white, rescaled and
        normalised with ImageNet's mean and std like the images. Only the batch may vary."""
        height, width = self.config.image_size
        shape = (self.batch, self.config.num_channels, height // 2, width)
        mean = torch.tensor([0.485, 0.456, 0.406])[: shape[1], None, None]
        std = torch.tensor([0.229, 0.224, 0.225])[: shape[1], None, None]
        classes = (torch.rand(self.batch, 1, height // 2, width, generator=self.generator) > 0.5).float()
        inputs = {
            "pixel_values": torch.randn(*shape, generator=self.generator),
            "prompt_pixel_values": torch.randn(*shape, generator=self.generator),
            "prompt_masks": (classes.expand(shape) - mean) / std,
        }
        for name in inputs:
            self.dynamic[name] = self.batch_dims()
        return inputs

    def masked_patches(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Which patches a masked-autoencoder pretraining head reconstructs (VideoMAE): 3 in 4 of
        them, MAE's ratio, at random but as many in every example, which its decoder requires (it
        reshapes the visible and the masked patches per example). A video's patches are tubelets."""
        configs = _sub(self.config, "vision_config")
        patch = _first(configs, "patch_size", default=16)
        tubelet = _first(configs, "tubelet_size", default=1)
        frames = pixel_values.shape[1] // tubelet if pixel_values.dim() == 5 else 1
        count = frames * (pixel_values.shape[-2] // patch) * (pixel_values.shape[-1] // patch)
        masked = max(1, min(count - 1, (3 * count) // 4))
        order = torch.stack([torch.randperm(count, generator=self.generator) for _ in range(self.batch)])
        self.dynamic["bool_masked_pos"] = self.batch_dims()
        return order < masked

    def region_features(self) -> dict[str, torch.Tensor]:
        """Images as LXMERT's detector hands them over: ``visual_feats``, one ROI-pooled feature per
        detected box (``visual_feat_dim`` wide, 36 boxes as its Faster R-CNN keeps), and
        ``visual_pos``, each box's corners normalised to [0, 1] (x1 <= x2, y1 <= y2). Only the batch
        may vary: the box count is the detector's setting."""
        boxes = 36
        corners = torch.rand(self.batch, boxes, 2, 2, generator=self.generator).sort(dim=2).values  # (x, y) min then max
        inputs = {
            "visual_feats": torch.randn(self.batch, boxes, self.config.visual_feat_dim, generator=self.generator),
            "visual_pos": corners.reshape(self.batch, boxes, 4),  # x1, y1, x2, y2
        }
        for name in inputs:
            self.dynamic[name] = self.batch_dims()
        return inputs

    def bbox(self) -> torch.Tensor:
        corners = torch.randint(0, 500, (self.batch, self.seq, 2), generator=self.generator)
        self.dynamic["bbox"] = self.text_dims()
        return torch.cat([corners, corners + torch.randint(1, 500, (self.batch, self.seq, 2), generator=self.generator)], -1)


def _image_token_count(model: torch.nn.Module, pixel_values: torch.Tensor, inputs: dict[str, torch.Tensor]) -> int | None:
    """Placeholder tokens one image takes in the text, measured by the model's own image encoder
    (given the inputs built so far that it also takes: InstructBLIP's Q-Former prompt); None where
    that encoder needs more than that (image sizes, grids, patch masks)."""
    get_image_features = getattr(model, "get_image_features", None)
    if get_image_features is None:
        return None
    takes = inspect.signature(get_image_features).parameters
    extra = {name: value[:1] for name, value in inputs.items() if name in takes and name != "pixel_values"}
    # what the forward fills from the config before calling it (Llama 4's vision_feature_select_strategy)
    configs = _sub(model.config, "vision_config")
    for name, param in takes.items():
        required = param.default is inspect.Parameter.empty and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
        if required and name not in extra and name != "pixel_values":
            value = _first(configs, name)
            if value is not None:
                extra[name] = value
    return _feature_rows(get_image_features, pixel_values=pixel_values[:1], **extra)


def _feature_rows(get_features: Callable[..., Any], **inputs: Any) -> int | None:
    """The rows ``get_features`` (a model's ``get_image_features`` / ``get_audio_features``) returns
    for one example: the placeholder tokens it takes in the text. None when it fails on them."""
    try:
        with torch.no_grad():
            output = get_features(**inputs)
    except Exception:  # noqa: BLE001 - any failure means the recipe cannot feed this encoder
        return None
    features = getattr(output, "pooler_output", output)
    if features is None:  # an encoder output without the projection (Llama 4's): one token per output row
        features = getattr(output, "last_hidden_state", None)
    if isinstance(features, (list, tuple)):
        features = features[0]
    if not isinstance(features, torch.Tensor) or features.dim() < 2:
        return None
    return features.shape[-2]


def _audio_token_count(model: torch.nn.Module, clips: dict[str, torch.Tensor]) -> int | None:
    """Placeholder tokens one whole clip takes in the text: the rows the model's own
    ``get_audio_features`` returns for it. Where there is none (Qwen2-Audio merges in its forward) or
    it needs the placeholders already in place (Music Flamingo's timestamps), the audio tower's own
    output length for the clip's frames, as those forwards count them."""
    one = {name: value[:1] for name, value in clips.items()}
    get_audio_features = getattr(model, "get_audio_features", None)
    count = _feature_rows(get_audio_features, **one) if get_audio_features is not None else None
    if count is not None:
        return count
    tower = getattr(model, "audio_tower", None) or getattr(getattr(model, "model", None), "audio_tower", None)
    lengths = getattr(tower, "_get_feat_extract_output_lengths", None)
    mask = next((value for name, value in one.items() if name.endswith("mask")), None)
    if lengths is None or mask is None:
        return None
    out = lengths(mask.sum(-1))
    out = out[-1] if isinstance(out, tuple) else out  # (after the convs, after the pooling)
    return int(out[0])


def _prepend_placeholders(recipe: Recipe, inputs: dict[str, torch.Tensor], token: int, count: int) -> None:
    """``count`` placeholder tokens before each row's text, where the model writes one modality's
    features, as its processor expands them."""
    text = inputs["input_ids"]
    text[text == token] = (token + 1) % recipe.vocab()  # a stray placeholder would miscount
    inputs["input_ids"] = torch.cat([torch.full((recipe.batch, count), token, dtype=text.dtype), text], dim=1)
    # the attention mask and token types built next span the placeholders too
    recipe.seq, recipe.placeholders = recipe.seq + count, recipe.placeholders + count
    recipe.dynamic["input_ids"] = recipe.text_dims()


def _placeholder_token(config: Any) -> int | None:
    """The token the processor writes in the text where image features go; a video-only model's
    video token (InstructBLIP-Video's pixel values are clips)."""
    return _first([config], "image_token_id", "image_token_index", "video_token_id", "video_token_index")


def _add_image(recipe: Recipe, inputs: dict[str, torch.Tensor]) -> None:
    """Pixel values for a text model with a vision tower, which marks both inputs optional.

    Dual encoders (CLIP, SigLIP) fail or return nothing useful from one tower. Vision-language
    models take one placeholder token per image feature in ``input_ids`` (the processor inserts
    them); without pixel values only their language model would be exported. Where the image
    encoder needs more than pixel values the inputs stay text-only.
    """
    config = recipe.config
    if getattr(config, "vision_config", None) is None:
        return
    pixel_values = recipe.pixel_values()
    image_token = _placeholder_token(config)
    if image_token is None:
        inputs["pixel_values"] = pixel_values
        return
    # a placeholder outside the vocabulary (a config shrunk without it) cannot be embedded
    count = _image_token_count(recipe.model, pixel_values, inputs) if 0 <= image_token < recipe.vocab() else None
    queries = getattr(config, "num_query_tokens", None)
    if count is None and queries and 0 <= image_token < recipe.vocab():
        # BLIP-2-family processors write num_query_tokens placeholders per image, per frame for a
        # video (InstructBLIP-Video's 4); their Model classes have no image encoder of their own to ask
        count = queries * (pixel_values.shape[1] if pixel_values.dim() == 5 else 1)
    if count is None:
        del recipe.dynamic["pixel_values"]
        return
    _prepend_placeholders(recipe, inputs, image_token, count)
    inputs["pixel_values"] = pixel_values


_AUDIO_DATA = ("input_features", "input_values")


def _add_audio(recipe: Recipe, inputs: dict[str, torch.Tensor], params: dict[str, inspect.Parameter]) -> None:
    """Audio for a language model with an audio encoder (Qwen2-Audio, Granite Speech, Voxtral, Audio
    Flamingo 3), which marks the audio optional: one placeholder token per audio feature in
    ``input_ids``, as the processor expands them. Without it only the language model would be
    exported. Where the recipe cannot count the features the inputs stay text-only."""
    token = _first([recipe.config], "audio_token_id", "audio_token_index")
    if not isinstance(token, int) or not 0 <= token < recipe.vocab() or any(name in inputs for name in _AUDIO_DATA):
        return
    dynamic = dict(recipe.dynamic)
    clips = recipe.audio_clips(params)
    count = _audio_token_count(recipe.model, clips)
    if not count:
        recipe.dynamic = dynamic
        return
    _prepend_placeholders(recipe, inputs, token, count)
    inputs.update(clips)


# Inputs filled when the forward takes them; the first group present decides the modality.
_PRIMARY: list[tuple[str, Callable[[Recipe], torch.Tensor]]] = [
    ("input_ids", lambda r: r.token_ids("input_ids", r.seq)),
    ("pixel_values", Recipe.pixel_values),
    ("pixel_values_videos", lambda r: r.pixel_values("pixel_values_videos")),
    ("flattened_patches", Recipe.flattened_patches),
    ("input_features", Recipe.input_features),
    ("input_values", Recipe.input_values),
    ("past_values", Recipe.past_values),
]


def _flatten_codebooks(model: torch.nn.Module, inputs: dict[str, torch.Tensor], recipe: Recipe) -> None:
    """Token ids the forward documents as ``(batch_size * num_codebooks, ...)`` (MusicGen's audio
    codes) get one row per codebook."""
    doc = inspect.getdoc(model.forward) or ""
    for name in list(inputs):
        if f"{name} (`torch.LongTensor` of shape `(batch_size * num_codebooks," not in doc:
            continue
        configs = _sub(model.config, "decoder") if name.startswith("decoder_") else [model.config]
        codebooks = _first(configs, "num_codebooks", default=1)
        inputs[name] = inputs[name].repeat_interleave(codebooks, dim=0)


def build_recipe(
    model: torch.nn.Module, batch: int = 2, seq: int = 7, seed: int = 0, padding: str = "none"
) -> tuple[dict[str, torch.Tensor], dict[str, DynamicDims]]:
    """``(inputs, dynamic dims per input)`` for ``model``'s forward."""
    if batch < 1 or seq < 1:
        raise InputError(f"sample input sizes must be >= 1, got batch={batch} seq={seq}; pass positive sizes.")
    if padding not in ("none", "left", "right"):
        raise InputError(f"padding '{padding}' is not one of none, left, right.")
    params = forward_parameters(model)
    recipe = Recipe(model, batch, seq, seed, padding)
    inputs: dict[str, torch.Tensor] = {}
    if "audio_mel" in params and "audio_mel_mask" in params:  # Gemma 3n's audio encoder on its own
        inputs = recipe.audio_mel()
        params = {name: p for name, p in params.items() if name not in inputs}
    packed = next((name for name in ("hidden_states", "pixel_values") if name in params), None)
    if "grid_thw" in params and packed is not None:  # a vision tower taking packed patches
        inputs = recipe.packed_patches(packed, params)
        params = {name: p for name, p in params.items() if name not in inputs}
    primary = next((name for name, _ in _PRIMARY if name in params), None)
    if primary is None and not inputs:
        raise InputError(
            f"no sample-input recipe fits {type(model).__name__} (forward takes {list(params)[:6]}...); "
            "pass inputs as a safetensors file instead."
        )
    if primary is not None:
        inputs[primary] = dict(_PRIMARY)[primary](recipe)
    eos = getattr(model.config, "eos_token_id", None)
    if primary == "input_ids" and isinstance(eos, int) and 0 <= eos < recipe.vocab():
        inputs["input_ids"][:, -1] = eos  # as a tokenizer ends each text; BART-style heads pool at the eos
    # a second modality the forward cannot do without (BLIP: text and image), or one a contrastive
    # model (CLIP, with its return_loss) compares the first with
    contrastive = "return_loss" in params and type(model).__name__.endswith("Model")  # not pretraining heads (FLAVA)
    # an audio-visual encoder (PE Audio-Video's) runs both towers, though each input is optional
    every_modality = contrastive or (primary == "pixel_values_videos" and "input_values" in params)
    every_modality = every_modality or _row_inputs(model.config).get("everyModality", False)  # a row's own (TVP)
    if "qformer_input_ids" in params and primary == "input_ids":
        # InstructBLIP's processor tokenizes the prompt a second time for its Q-Former, in that
        # tokenizer's own vocabulary; the image encoder reads it, so it comes before the image
        qformer = getattr(model.config, "qformer_config", None)
        inputs["qformer_input_ids"] = recipe.token_ids("qformer_input_ids", seq, getattr(qformer, "vocab_size", None))
    # an image the forward requires next to text whose placeholders the recipe can count goes in
    # with them (InstructBLIP: one per query token), as the processor writes them
    placeholders = primary == "input_ids" and _placeholder_token(model.config) is not None and getattr(model.config, "vision_config", None) is not None
    for name, make in _PRIMARY:
        if name != primary and name in params and (every_modality or params[name].default is inspect.Parameter.empty):
            if name == "pixel_values" and placeholders:
                _add_image(recipe, inputs)
                if name in inputs:
                    continue
            inputs[name] = make(recipe)
    if "decoder_input_values" in params and _without_prenet(model, "decoder"):  # and so does its decoder
        inputs["decoder_input_values"] = torch.randn(recipe.batch, seq, model.config.hidden_size, generator=recipe.generator)
        recipe.dynamic["decoder_input_values"] = recipe.text_dims()
    if primary == "input_ids" and "pixel_values" in params and "pixel_values" not in inputs:
        _add_image(recipe, inputs)
    if primary == "input_ids" and any(name in params for name in _AUDIO_DATA):
        _add_audio(recipe, inputs, params)
    if primary == "input_ids":
        if "attention_mask" in params:
            inputs["attention_mask"] = recipe.attention_mask()
            # Padded positions hold the pad token, as a tokenizer writes them: a random id there can
            # win a pooling by token id (CLIP's text pooling takes the argmax id), which would make the
            # model read a position whose value is unspecified under the mask.
            pad = getattr(model.config, "pad_token_id", None)
            pad = pad if isinstance(pad, int) and 0 <= pad < recipe.vocab() else 0
            text = slice(recipe.placeholders, None)  # placeholders keep their token
            inputs["input_ids"][:, text][inputs["attention_mask"][:, text] == 0] = pad
        type_vocab = getattr(model.config, "type_vocab_size", 0) or 0
        if "token_type_ids" in params and type_vocab > 0:
            inputs["token_type_ids"] = torch.randint(0, type_vocab, (recipe.batch, recipe.seq), generator=recipe.generator)
            recipe.dynamic["token_type_ids"] = recipe.text_dims()
        if "bbox" in params:
            inputs["bbox"] = recipe.bbox()
    if primary == "input_ids" and "visual_feats" in params and "visual_pos" in params:
        # the forward marks both optional but raises without them: the text is read against the image
        inputs.update(recipe.region_features())
    if primary == "past_values":
        recipe.time_series_extras(params, inputs)
    if primary == "flattened_patches" and "attention_mask" in params:
        # as Pix2Struct's image processor marks them: a patch row is padding when it sums to 0
        inputs["attention_mask"] = (inputs["flattened_patches"].sum(-1) != 0).float()
        recipe.dynamic["attention_mask"] = recipe.batch_dims()
    if primary == "input_features" and "input_features_mask" in params and params["input_features_mask"].default is inspect.Parameter.empty:
        inputs.update(recipe.windowed_features())
    if primary == "pixel_values" and "prompt_masks" in params and params["prompt_masks"].default is inspect.Parameter.empty:
        inputs.update(recipe.prompted_images())
    # NaFlex towers take padded patches; the dual encoder and classifier around one (SigLIP2) mark the
    # grid optional, as pixel values are, but their tower cannot read an image without it
    naflex = "spatial_shapes" in params and (params["spatial_shapes"].default is inspect.Parameter.empty or "pixel_attention_mask" in params)
    if "pixel_values" in inputs and primary in ("pixel_values", "input_ids") and naflex:
        inputs.update(recipe.padded_patches())
    if primary == "pixel_values" and "pixel_position_ids" in params and params["pixel_position_ids"].default is inspect.Parameter.empty:
        inputs.update(recipe.positioned_patches())
    if primary == "pixel_values" and "aspect_ratio_ids" in params and params["aspect_ratio_ids"].default is inspect.Parameter.empty:
        inputs.update(recipe.image_tiles())
    if "bool_masked_pos" in params and params["bool_masked_pos"].default is inspect.Parameter.empty and primary == "pixel_values":
        inputs["bool_masked_pos"] = recipe.masked_patches(inputs["pixel_values"])
    if "task_inputs" in params and primary == "pixel_values":
        # OneFormer's processor tokenizes the task prompt ("the task is semantic") padded to
        # task_seq_len, in its text encoder's vocabulary; the task MLP takes exactly that length
        length = getattr(model.config, "task_seq_len", 77)
        vocab = getattr(model.config, "text_encoder_vocab_size", None) or recipe.vocab()
        inputs["task_inputs"] = torch.randint(0, vocab, (recipe.batch, length), generator=recipe.generator)
        recipe.dynamic["task_inputs"] = recipe.batch_dims()
    # BART-style classification and QA heads build decoder ids from input_ids and pool at its eos
    # tokens; separate decoder ids would not line up with them.
    pools_input_ids = type(model).__name__.endswith(("ForSequenceClassification", "ForQuestionAnswering"))
    if "decoder_input_ids" in params and getattr(model.config, "is_encoder_decoder", False) and not pools_input_ids:
        inputs["decoder_input_ids"] = recipe.token_ids("decoder_input_ids", max(2, seq // 2))
    _flatten_codebooks(model, inputs, recipe)
    if type(model).__name__.endswith("ForMultipleChoice"):
        # (batch, choices, sequence): two choices per example
        for name in [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in inputs]:
            inputs[name] = torch.stack([inputs[name], inputs[name].roll(1, -1)], dim=1)
            recipe.dynamic[name] = {**recipe.batch_dims(), 2: ["sequence", recipe.min_sequence(), 64]}
    missing = [
        name for name, p in params.items()
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and name not in inputs
    ]
    if missing:
        raise InputError(f"no sample-input recipe for required input(s) {missing} of {type(model).__name__}; add one to the recipes.")
    return inputs, recipe.dynamic


# A modality's inputs, told apart by name in the forward's own signature: the data tensors first,
# then the companions that only mean something next to them (grids, sizes, masks).
_MODALITIES: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    ("image", re.compile(r"pixel_values(_images)?|flattened_patches"), re.compile(r"image_\w+|pixel_(attention_)?mask")),
    ("video", re.compile(r"pixel_values_videos"), re.compile(r"video_\w+")),
    ("audio", re.compile(r"input_features|input_values|audio_values|audio_features"),
     re.compile(r"audio_\w+|feature_attention_mask|input_features_mask")),
]


def inputs_not_fed(model: torch.nn.Module, fed: dict[str, Any]) -> list[str]:
    """The modality inputs ``model``'s forward takes for a modality the recipe fed nothing of (a VLM
    fed text only lists ``pixel_values`` and its grid): a job that passes on ``fed`` has not tested
    that part of the model. A fed modality's optional companions are not listed: the recipe leaves
    them out on purpose (LLaVA's ``image_sizes`` only matters to other encoders)."""
    params = [name for name, p in forward_parameters(model).items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    missing: list[str] = []
    for _, data, companions in _MODALITIES:
        takes = [name for name in params if data.fullmatch(name) or companions.fullmatch(name)]
        if not any(data.fullmatch(name) for name in takes):
            continue  # the forward has no data input of this modality
        if any(name in fed for name in takes):
            continue
        missing.extend(name for name in takes if name not in missing)
    return missing
