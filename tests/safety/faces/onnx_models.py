"""Small ONNX models in the shapes InsightFace expects, built with onnx.helper, to test the pack loading path.

The detector has SCRFD's nine outputs (scores, boxes and keypoints for strides 8, 16 and 32, two anchors each)
for a 640x640 input and reports one face centred at (320, 320), 128 px wide. The recognizer maps a 112x112 face
to 512 numbers through the mean colour (a fixed projection), so different colours embed differently.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DET_SIZE = 640
STRIDES = (8, 16, 32)


def _detector_outputs() -> dict[str, np.ndarray]:
    outputs: dict[str, np.ndarray] = {}
    for stride in STRIDES:
        cells = (DET_SIZE // stride) ** 2 * 2
        scores = np.zeros((cells, 1), np.float32)
        boxes = np.zeros((cells, 4), np.float32)
        kps = np.zeros((cells, 10), np.float32)
        if stride == 32:
            grid = DET_SIZE // stride
            anchor = (10 * grid + 10) * 2  # cell (row 10, column 10) → centre (320, 320)
            scores[anchor] = 0.95
            boxes[anchor] = [2.0, 2.0, 2.0, 2.0]  # 64 px each way, in stride units
            kps[anchor] = [-0.7, -0.6, 0.7, -0.6, 0.0, 0.0, -0.5, 0.7, 0.5, 0.7]
        outputs[f"score_{stride}"] = scores
        outputs[f"bbox_{stride}"] = boxes
        outputs[f"kps_{stride}"] = kps
    return outputs


def build_detector(path: Path) -> Path:
    data = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, DET_SIZE, DET_SIZE])
    nodes = [helper.make_node("ReduceMean", ["input.1"], ["mean"], keepdims=0)]
    nodes.append(helper.make_node("Mul", ["mean", "zero"], ["nothing"]))
    initializers = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outputs = []
    order = [f"score_{s}" for s in STRIDES] + [f"bbox_{s}" for s in STRIDES] + [f"kps_{s}" for s in STRIDES]
    constants = _detector_outputs()
    for name in order:
        initializers.append(numpy_helper.from_array(constants[name], f"{name}_const"))
        # Adding 0 x (input mean) keeps every output a function of the input.
        nodes.append(helper.make_node("Add", [f"{name}_const", "nothing"], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(constants[name].shape)))
    graph = helper.make_graph(nodes, "tiny_scrfd", [data], outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def build_recognizer(path: Path) -> Path:
    data = helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])
    out = helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [1, 512])
    weights = np.random.default_rng(7).normal(size=(3, 512)).astype(np.float32)
    nodes = [
        helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["fc1"]),
    ]
    graph = helper.make_graph(nodes, "tiny_arcface", [data], [out], [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def build_pack(
    folder: Path, name: str = "tiny", *, tamper: bool = False, extra: dict[str, bytes] | None = None
) -> Path:
    """A pack zip holding both models and a manifest with their checksums."""
    folder.mkdir(parents=True, exist_ok=True)
    det = build_detector(folder / "det.onnx")
    rec = build_recognizer(folder / "rec.onnx")
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (det, rec)}
    manifest = {"name": name, "model_id": f"insightface-{name}", "detector": "det.onnx", "recognizer": "rec.onnx"}
    manifest["files"] = files  # type: ignore[assignment]
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("cameoguard-pack.json", json.dumps(manifest))
        bundle.write(det, "det.onnx")
        data = rec.read_bytes()
        bundle.writestr("rec.onnx", data[:-1] + bytes([data[-1] ^ 1]) if tamper else data)
        for extra_name, payload in (extra or {}).items():
            bundle.writestr(extra_name, payload)
    return archive
