"""``dynamic_shapes`` as JSON: the form a request can carry, turned into torch.export ``Dim`` specs.

Per input, a dict from dimension index to ``"auto"``, ``"static"``, or ``{"name", "min", "max"}``.
Dims with the same name are one ``Dim`` object, which is how torch.export learns that two inputs
share a size (``input_ids`` and ``attention_mask`` along ``seq``).
"""

from __future__ import annotations

from typing import Any

from torch.export import Dim

from .protocol import InputError


def dynamic_shapes_from_json(spec: dict[str, Any]) -> dict[str, Any]:
    named: dict[str, Any] = {}

    def dim(value: Any, where: str) -> Any:
        if value == "auto":
            return Dim.AUTO
        if value == "static" or value is None:
            return Dim.STATIC
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            name = value["name"]
            if name not in named:
                named[name] = Dim(name, min=value.get("min", 0), max=value.get("max", 2**31 - 2))
            return named[name]
        raise InputError(f"dynamic_shapes{where} is {value!r}; use \"auto\", \"static\" or {{\"name\", \"min\", \"max\"}}.")

    result: dict[str, Any] = {}
    for input_name, dims in spec.items():
        if dims is None:
            result[input_name] = None
            continue
        if not isinstance(dims, dict):
            raise InputError(f"dynamic_shapes['{input_name}'] must map dimension indices to dims, got {dims!r}.")
        result[input_name] = {int(index): dim(value, f"['{input_name}'][{index}]") for index, value in dims.items()}
    return result


def export_config(config: dict[str, Any]) -> dict[str, Any]:
    """A request's JSON config made ready for an exporter: ``dynamic_shapes`` turned into ``Dim`` specs."""
    ready = dict(config)
    if ready.get("dynamic_shapes") is not None:
        ready["dynamic_shapes"] = dynamic_shapes_from_json(ready["dynamic_shapes"])
    return ready
