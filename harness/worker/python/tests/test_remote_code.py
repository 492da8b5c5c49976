"""``load_model`` on a folder whose ``auto_map`` names the repo's own class: refused without trust,
and with trust the repo's class itself runs, never the stock class ``architectures`` names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers

from sweep_worker.model_folder import load_model, remote_code_info
from sweep_worker.protocol import InputError


# The repo's own subclass: another name, and a forward whose output differs from BertModel's by 1.
MODELING_CUSTOM = '''
from transformers import BertModel


class CustomBertModel(BertModel):
    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
        outputs = super().forward(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs)
        outputs.last_hidden_state = outputs.last_hidden_state + 1
        return outputs
'''


def _stock_bert(folder: Path) -> Path:
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)
    transformers.BertModel(config).save_pretrained(folder, safe_serialization=True)
    return folder


def _remote_repo(folder: Path, auto_map: dict[str, str]) -> Path:
    _stock_bert(folder)
    (folder / "modeling_custom.py").write_text(MODELING_CUSTOM)
    saved = json.loads((folder / "config.json").read_text())
    saved.update(auto_map=auto_map, architectures=["BertModel"])
    (folder / "config.json").write_text(json.dumps(saved))
    return folder


@pytest.fixture
def remote_repo(tmp_path: Path) -> Path:
    return _remote_repo(tmp_path / "custom-bert", {"AutoModel": "modeling_custom.CustomBertModel"})


def test_refused_without_trust(remote_repo: Path) -> None:
    with pytest.raises(InputError, match=r"declares auto_map.*--trust-remote-code"):
        load_model(str(remote_repo))


def test_trust_loads_the_repo_class_and_its_forward(remote_repo: Path) -> None:
    model = load_model(str(remote_repo), trust_remote_code=True)
    assert type(model).__name__ == "CustomBertModel"
    assert remote_code_info(model, remote_repo) == {"module": "modeling_custom", "class": "CustomBertModel", "files": ["modeling_custom.py"], "generative": False}
    stock = transformers.BertModel.from_pretrained(str(remote_repo), local_files_only=True, use_safetensors=True).eval()
    assert remote_code_info(stock, remote_repo) is None
    feeds = {"input_ids": torch.randint(0, 128, (2, 5), generator=torch.Generator().manual_seed(0))}
    with torch.no_grad():
        custom_out = model(**feeds).last_hidden_state
        stock_out = stock(**feeds).last_hidden_state
    # same weights, so the only difference is the repo's forward: +1 everywhere
    torch.testing.assert_close(custom_out, stock_out + 1)


def test_trust_never_falls_back_to_a_stock_class(tmp_path: Path) -> None:
    # AutoModelForMaskedLM would load stock BertForMaskedLM: the repo ships no class for it
    repo = _remote_repo(tmp_path / "custom-bert", {"AutoModel": "modeling_custom.CustomBertModel"})
    with pytest.raises(InputError, match=r"auto_map has no AutoModelForMaskedLM; it has \['AutoModel'\]"):
        load_model(str(repo), model_class="AutoModelForMaskedLM", trust_remote_code=True)
    config_only = _remote_repo(tmp_path / "config-only", {"AutoConfig": "configuration_custom.CustomConfig"})
    with pytest.raises(InputError, match=r"none for a model class"):
        load_model(str(config_only), trust_remote_code=True)
    elsewhere = _remote_repo(tmp_path / "elsewhere", {"AutoModel": "other/repo--modeling_custom.CustomBertModel"})
    with pytest.raises(InputError, match=r"only code shipped in the repo itself"):
        load_model(str(elsewhere), trust_remote_code=True)


def test_load_op_reports_the_remote_class(remote_repo: Path) -> None:
    """The worker's ``load`` reply is what the job's modelClass and the report are built from."""
    from sweep_worker.ops import OPS

    reply = OPS["load"](model_dir=str(remote_repo), handle="remote-test", trust_remote_code=True)
    try:
        assert reply["class"] == "CustomBertModel"
        assert reply["remote_code"] == {"module": "modeling_custom", "class": "CustomBertModel", "files": ["modeling_custom.py"], "generative": False}
    finally:
        OPS["unload"](handle="remote-test")
    stock = _stock_bert(remote_repo.parent / "stock")
    reply = OPS["load"](model_dir=str(stock), handle="stock-test", trust_remote_code=True)
    OPS["unload"](handle="stock-test")
    assert reply["class"] == "BertModel" and "remote_code" not in reply  # trust alone makes no class remote
